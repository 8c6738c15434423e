"""The HTTP endpoint under random requests: random headers, bodies and payloads, signed and not.

Whatever arrives: never a 5xx; an unsigned request reaches nothing (no call to Slack, nothing
written); a signed one leaves the database whole (every ledger row has its audit record, every
draw its schedule, every alert a consistent state). A bounded number of examples, so CI stays
steady; hypothesis keeps any failure it finds and replays it first next time.
"""

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.installation import this_installation
from bot.models import Alert, AuditRecord, Base, Draw, Installment
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION, SNOOZE_ACTION, TICKET_ACTION
from bot.slack.draw_replies import CANCEL_ACTION, CONFIRM_ACTION
from bot.slack.views.metadata import pack
from tests.slack.test_alert_buttons import deliver
from tests.slack.test_commands import open_alerts
from tests.support.slack_app import ALERTS, ALICE, BOB, CHARLIE, DANA, TEAM_CHANNEL

EXAMPLES = 300
AUDITED = ("draws", "repayments", "bills", "limit_readings", "facilities")

# Mostly the installation's own team, app and cast, so that most signed requests are admitted
# and act; sometimes someone else's.
users = st.sampled_from([ALICE, BOB, DANA, ALICE, BOB, DANA, CHARLIE, ALERTS, "U0STRANGER", ""])
teams = st.sampled_from(["T0FINANCE"] * 8 + ["T0OTHER", ""])
apps = st.sampled_from(["A0LOANWATCH"] * 8 + ["A0OTHER", None])
WORDS = ["jiebei-main", "1", "2", "1,000", "50,000", "5万", "3m", "12m", "4h", "2026-12-10"]
WORDS += ["paid", "available", "frozen", "all", "list", "remove", "add", "check:bill_missing"]
WORDS += ["²", "9" * 30, "-1", "0", "1e9", "CNY100", "<!channel>", "", "١٢", "NaN"]
SUBCOMMANDS = ["help", "draw", "repay", "bill", "limit", "status", "ack", "snooze", "resolve"]
SUBCOMMANDS += ["silence", "facility", "nonsense", ""]
# Commands that do something when the right person types them.
WORKING = ["draw jiebei-main 1,000 3m", "draw", "ack 1", "snooze 2 4h", "resolve 1 paid"]
WORKING += ["bill jiebei-main 2026-12-10 899.75", "limit jiebei-main 200,000 available 1,000"]
WORKING += ["repay jiebei-main 100", "silence all 1h maintenance", "silence remove 1"]
WORKING += ["facility add jiebei-two jiebei 10k 0.05% C0ALERTS", "status jiebei-main"]
ACTION_IDS = [ACK_ACTION, SNOOZE_ACTION, RESOLVE_ACTION, TICKET_ACTION]
ACTION_IDS += [CONFIRM_ACTION, CANCEL_ACTION, "unknown"]
words = st.sampled_from(WORDS)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
odd_text = st.text(max_size=40) | words
ids = st.sampled_from(["1", "2", "3"]) | odd_text


@st.composite
def slash_command(draw: Any) -> dict[str, Any]:
    made_up = st.tuples(st.sampled_from(SUBCOMMANDS), st.lists(words, max_size=5))
    text = draw(st.sampled_from(WORKING) | made_up.map(lambda t: " ".join([t[0], *t[1]])))
    form = {
        "command": draw(st.sampled_from(["/loan", "/loan", "/other"])),
        "text": text,
        "team_id": draw(teams),
        "api_app_id": draw(apps),
        "user_id": draw(users),
        "channel_id": draw(st.sampled_from([TEAM_CHANNEL, ALERTS, "C0NOWHERE"])),
        "trigger_id": draw(odd_text),
        "response_url": "http://127.0.0.1:9/response",
    }
    return {k: v for k, v in form.items() if v is not None}


@st.composite
def click(draw: Any, messages: list[tuple[str, str]]) -> dict[str, Any]:
    """A click on one of the alert messages really posted (or somewhere else, or App Home)."""
    action_id = draw(st.sampled_from(ACTION_IDS))
    action: dict[str, Any] = {"type": "button", "action_id": action_id, "value": draw(ids)}
    if action_id == SNOOZE_ACTION:
        value = draw(st.tuples(ids, st.sampled_from(["1h", "4h", "1d", "forever", ""])))
        option = {"value": ":".join(value)} if draw(st.booleans()) else None
        action = {"type": "static_select", "action_id": action_id, "selected_option": option}
    channel, ts = draw(st.sampled_from([*messages, (TEAM_CHANNEL, "1.1"), (ALERTS, "²")]))
    on_home = draw(st.booleans())
    container = (
        {"type": "view", "view_id": "V0HOME"}
        if on_home
        else {"type": "message", "channel_id": channel, "message_ts": ts}
    )
    payload = {
        "type": "block_actions",
        "user": {"id": draw(users)},
        "team": {"id": draw(teams)},
        "api_app_id": draw(apps),
        "trigger_id": draw(odd_text),
        "container": container,
        "actions": [action],
    }
    if on_home:
        payload["view"] = {"id": "V0HOME", "type": draw(st.sampled_from(["home", "modal"]))}
    else:
        payload["channel"] = {"id": channel}
    return payload


@st.composite
def submission(draw: Any, signed_metadata: list[str]) -> dict[str, Any]:
    """A form submitted with metadata the bot signed (for someone) or made up."""

    def typed(value: Any) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    def picked(value: Any) -> dict[str, Any]:
        return {"value": {"type": "static_select", "selected_option": {"value": value}}}

    metadata = st.sampled_from(signed_metadata) | odd_text | st.none() | st.just(TEAM_CHANNEL)
    return {
        "type": "view_submission",
        "user": {"id": draw(users)},
        "team": {"id": draw(teams)},
        "api_app_id": draw(apps),
        "view": {
            "id": draw(odd_text),
            "type": "modal",
            "callback_id": draw(st.sampled_from(["draw_modal", "resolve_modal", "other"])),
            "private_metadata": draw(metadata),
            "state": {
                "values": {
                    "facility": picked(draw(words)),
                    "amount": typed(draw(words)),
                    "term": typed(draw(words)),
                    "method": picked(draw(st.sampled_from(["bogus", "equal-principal", None]))),
                    "note": typed(draw(odd_text)),
                    "reason": typed(draw(odd_text)),
                }
            },
        },
    }


event = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
        "team_id": teams,
        "api_app_id": apps,
        "challenge": odd_text,
        "event": st.fixed_dictionaries(
            {
                "type": st.just("app_home_opened"),
                "user": users,
                "tab": st.sampled_from(["home", "messages"]),
            }
        ),
    }
)


def form(payload: Any) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def bodies(messages: list[tuple[str, str]], signed_metadata: list[str]) -> Any:
    """(body, content type) pairs: Slack's kinds of request with odd values, and junk."""
    return st.one_of(
        slash_command().map(lambda f: (urlencode(f).encode(), "application/x-www-form-urlencoded")),
        click(messages).map(form),
        submission(signed_metadata).map(form),
        event.map(lambda e: (json.dumps(e).encode(), "application/json")),
        json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
        json_values.map(form),
        st.tuples(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", ""])),
        st.tuples(
            st.text(max_size=300).map(str.encode), st.just("application/x-www-form-urlencoded")
        ),
    )


# How a request is signed: not at all, with a made-up signature, or as Slack signs (now, or at
# an odd timestamp signed as is).
signings = st.sampled_from(["none", "made up", "slack", "slack", "slack", "slack", "odd stamp"])
# Anything a header can carry: http.client refuses CR and LF in a value, and a lone surrogate
# has no bytes.
header_text = st.text(
    st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=12
)
odd_stamps = st.sampled_from(["9" * 400, "²", "0" * 5000, "", "+1", "1.0", " 1"]) | header_text


def table_counts(sessions) -> dict[str, int]:
    with sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def assert_whole(sessions) -> None:
    """No partial write: each ledger row has its audit record, each draw its schedule, each
    alert the fields its state needs."""
    with sessions() as session:
        audited = set(session.execute(select(AuditRecord.entity, AuditRecord.entity_id)).all())
        for table in AUDITED:
            ids = session.scalars(select(Base.metadata.tables[table].c.id)).all()
            assert {(table, str(i)) for i in ids} <= audited, table
        for draw_id in session.scalars(select(Draw.id)):
            assert session.scalar(
                select(func.count()).select_from(Installment).where(Installment.draw_id == draw_id)
            )
        for alert in session.scalars(select(Alert)):
            if alert.state == "acknowledged":
                assert alert.acknowledged_by
                assert alert.acknowledged_at
            if alert.state == "resolved":
                assert alert.resolved_at
                assert alert.resolved_by


@pytest.fixture
def posted(app, jiebei, sessions, settings, clock, slack) -> tuple[list, list]:
    """Two alerts on jiebei-main posted to #loan-alerts, so clicks have something to act on;
    returns their messages (channel, ts) and form metadata signed for the cast."""
    open_alerts(sessions, jiebei.id, clock(), "2026-12-10", "2027-01-10")
    deliver(sessions, settings, clock)
    messages = [(ALERTS, m.ts) for m in slack.messages(ALERTS)]
    with sessions.begin() as session:
        me = this_installation(session)
        signed = [
            pack(me, kind, user, facts)
            for kind, facts in (
                ("draw_modal", {"channel": TEAM_CHANNEL}),
                ("resolve_modal", {"alert": 1}),
            )
            for user in (ALICE, BOB, DANA)
        ]
    return messages, signed


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    signing=signings,
    odd_stamp=odd_stamps,
    retry=st.none() | st.sampled_from(["1", "²", "x"]),
)
def test_random_requests_never_get_a_5xx_and_unsigned_ones_reach_nothing(
    app, posted, sessions, slack, data, signing, odd_stamp, retry
) -> None:
    """Random requests, signed and not: never a 5xx; an unsigned one calls nothing and writes
    nothing; after any of them the database is whole."""
    raw, content_type = data.draw(bodies(*posted), label="body")
    stamp = str(int(time.time())) if signing in ("slack", "made up") else odd_stamp
    headers: dict[str, str | bytes] = {"Content-Type": content_type}
    if signing != "none":
        headers["X-Slack-Request-Timestamp"] = stamp.encode()
        headers["X-Slack-Signature"] = (
            "v0=" + "0" * 64 if signing == "made up" else app.signature(raw, stamp)
        )
    if retry is not None:
        headers["X-Slack-Retry-Num"] = retry.encode()
    calls, responses = len(slack.calls), len(slack.responses)
    before = table_counts(sessions)

    answer = app.request("POST", "/slack/events", raw, headers)

    assert answer.status < 500, answer
    if signing != "slack":
        assert answer.status in (400, 401), answer
        assert len(slack.calls) == calls
        assert len(slack.responses) == responses
        assert table_counts(sessions) == before
    assert_whole(sessions)
