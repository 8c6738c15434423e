"""Who may use the API: a token, its scope, its revocation; refusals audited; the rate."""

import pytest
from sqlalchemy import select

from bot.api.tokens import revoke_token
from bot.models import ApiToken, AuditRecord
from tests.api.conftest import DANA
from tests.api.test_observations import limit, written


def refusals(sessions) -> list[dict]:
    with sessions() as session:
        return [
            {"actor": r.actor, **(r.after or {})}
            for r in session.scalars(
                select(AuditRecord).where(AuditRecord.action == "refused").order_by(AuditRecord.id)
            )
        ]


def test_no_token_or_an_unknown_one_gets_401_and_is_audited(api, jiebei, sessions) -> None:
    """No header, another scheme, a made-up token: 401 with WWW-Authenticate, each audited."""
    assert api.anonymous.post([limit()]).status == 401
    basic = api.anonymous.post([limit()], headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status == 401
    made_up = api.anonymous.post([limit()], token="lwt_" + "A" * 43)
    assert made_up.status == 401
    assert made_up.headers["www-authenticate"] == "Bearer"
    assert "not known" in made_up.body["error"]
    assert [r["reason"] for r in refusals(sessions)] == ["missing", "missing", "unknown"]
    assert written(sessions) == (0, 0)


def test_an_address_that_keeps_failing_is_held_back_without_filling_the_audit_trail(
    api, jiebei, sessions
) -> None:
    """Made-up tokens, one after another: each of the first 30 in a minute is refused and
    audited; then 429 with Retry-After and no audit record, while a real token still posts."""
    answers = [api.anonymous.post([limit()], token=f"lwt_{n:043d}") for n in range(40)]
    assert [a.status for a in answers] == [401] * 30 + [429] * 10
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert "without a valid token" in answers[-1].body["error"]
    assert len(refusals(sessions)) == 30
    assert api.writer.post([limit()]).status == 200


def test_a_revoked_token_gets_401(api, jiebei, sessions, clock) -> None:
    """Once revoked, the robot's token no longer posts; the refusal names the token."""
    assert api.writer.get("/api/v1/facilities").status == 200
    with sessions.begin() as session:
        revoke_token(session, DANA, "robot", now=clock())
    answer = api.writer.post([limit()])
    assert answer.status == 401
    assert "revoked" in answer.body["error"]
    assert (refusals(sessions)[-1]["actor"], refusals(sessions)[-1]["reason"]) == (
        "api:robot",
        "revoked",
    )
    assert written(sessions) == (0, 0)


def test_a_read_token_may_read_but_not_post(api, jiebei, sessions) -> None:
    """observations:read gets the facilities, and 403 on posting; audited."""
    assert api.reader.get("/api/v1/facilities").status == 200
    answer = api.reader.post([limit()])
    assert answer.status == 403
    assert "observations:write" in answer.body["error"]
    [refused] = refusals(sessions)
    assert refused["actor"] == "api:sheet"
    assert refused["reason"] == "out_of_scope"
    assert refused["path"] == "/api/v1/observations"
    assert written(sessions) == (0, 0)


def test_only_the_tokens_hash_is_stored(api, sessions) -> None:
    """Neither the table nor the audit trail holds the token itself."""
    with sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "robot"))
        audited = [str(r.after) for r in session.scalars(select(AuditRecord))]
    assert api.writer_token not in (row.token_hash, row.prefix)
    assert row.prefix == api.writer_token[:12]
    assert not any(api.writer_token in text or row.token_hash in text for text in audited)


@pytest.mark.parametrize("rate_limit", ["3/minute"])
def test_past_its_rate_a_token_gets_429_with_retry_after(api, jiebei, rate_limit) -> None:
    """The fourth request in a minute is refused with a Retry-After in seconds; another token
    is not held back."""
    for _ in range(3):
        assert api.writer.get("/api/v1/facilities").status == 200
    answer = api.writer.get("/api/v1/facilities")
    assert answer.status == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert api.reader.get("/api/v1/facilities").status == 200
