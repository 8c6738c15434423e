"""`loanwatch token create/list/revoke` as an admin types them."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.api.tokens import Scope, authenticate, hash_token
from bot.db import make_engine
from bot.models import AuditRecord
from bot.sessions import session_factory
from tests.cli.test_ledger_commands import loanwatch_on, ok


@pytest.fixture
def loanwatch(database_url, capsys, terminal_clock):
    return loanwatch_on(database_url, capsys)


def test_a_token_is_printed_once_listed_by_name_and_revoked(loanwatch, database_url) -> None:
    """create prints the token (and only create does); list shows its name, scope and start,
    never the token; revoke stops it; each change is audited."""
    created = ok(loanwatch("token create robot --scope observations:write"))
    token = created.out.strip()
    assert token.startswith("lwt_")
    assert len(token) > 40
    assert "shown only this once" in created.err
    listed = ok(loanwatch("token list")).out
    assert "robot" in listed
    assert "observations:write" in listed
    assert token[:12] in listed
    assert token not in listed
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        assert authenticate(session, f"Bearer {token}", Scope.WRITE, now=_now()).name == "robot"
    assert "revoked" in ok(loanwatch("token revoke robot")).out
    listed = ok(loanwatch("token list")).out.splitlines()[-1]
    assert listed.endswith("UTC")
    assert listed.count("UTC") >= 2
    with sessions() as session:
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
        kept = [str(r.after) for r in session.scalars(select(AuditRecord))]
    engine.dispose()
    assert actions == ["api_token.create", "api_token.revoke"]
    assert not any(token in text or hash_token(token) in text for text in kept)


def test_a_name_in_use_or_a_scope_unknown_is_refused(loanwatch) -> None:
    """Two tokens cannot share a name; a scope must be one of the two."""
    ok(loanwatch("token create robot --scope observations:read"))
    again = loanwatch("token create robot --scope observations:read")
    assert again.status == 2
    assert "exists already" in again.err
    assert loanwatch("token create other --scope admin").status == 2
    assert loanwatch("token revoke nobody").status == 2


def _now() -> datetime:
    return datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_the_name_of_a_revoked_token_is_refused_saying_so(loanwatch) -> None:
    """Revoking does not free the name: create says the token was revoked and a new name is
    needed (it used to say "revoke it first", which did not help)."""
    ok(loanwatch("token create robot --scope observations:write"))
    ok(loanwatch("token revoke robot"))
    again = loanwatch("token create robot --scope observations:write")
    assert again.status == 2
    assert "was revoked" in again.err
    assert "choose a new name" in again.err
    assert "revoke it first" not in again.err
