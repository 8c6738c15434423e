"""A reading request is not sent to someone who has left the workspace: the admins are told.

Dana owns jiebei-main's readings (workdays 10:00) and her account has been deactivated; the
admin alerts go to #loan-alerts.
"""

import json

from sqlalchemy import func, select

from bot.audit import Actor
from bot.ledger.reading_requests import READING_REQUEST_KIND, set_readings
from bot.models import Alert, Facility, OutboxMessage, ReadingRequest
from tests.slack.test_reading_requests import DANA_DM, shanghai
from tests.slack.test_request_reminders import at, own
from tests.support.slack_app import ALERTS, DANA

ERIC = "U0ERIC"
TOLD = (
    "jiebei-main's reading owner U0DANA is no longer in the workspace: set another with "
    "`loanwatch facility set jiebei-main --owner U…`"
)


def alerts(sessions) -> list[tuple[str, str]]:
    """The admin alerts about delivery and owners (the checks' own alerts aside)."""
    with sessions() as session:
        return [
            (a.check, a.state)
            for a in session.scalars(select(Alert).order_by(Alert.id))
            if a.check in ("owner_gone", "delivery_failed", "delivery_degraded")
        ]


def told_in_alerts_channel(slack) -> list:
    return [m for m in slack.messages(ALERTS) if TOLD in json.dumps(m.blocks, ensure_ascii=False)]


def test_a_deactivated_owner_gets_nothing_and_the_admins_are_told_once(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Tuesday and Wednesday 10:00: no direct message, no reminder; one owner_gone alert in
    #loan-alerts saying whom to set instead, no delivery_failed; the row dropped, not dead.
    Alice sets Eric as the owner: the alert resolves and Eric is asked."""
    own(sessions, jiebei.id, "workdays 10:00")
    slack.deleted_users.add(DANA)
    at(sessions, settings, clock, 2026, 12, 1, 10, 0)
    assert slack.messages(DANA_DM) == []
    assert alerts(sessions) == [("owner_gone", "open")]
    assert len(told_in_alerts_channel(slack)) == 1
    with sessions() as session:
        [row] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == READING_REQUEST_KIND)
        ).all()
    assert row.state == "dropped"
    for moment in ((2026, 12, 1, 12, 0), (2026, 12, 2, 10, 0), (2026, 12, 2, 12, 0)):
        at(sessions, settings, clock, *moment)
    assert slack.messages(DANA_DM) == []
    assert alerts(sessions) == [("owner_gone", "open")]
    assert len(told_in_alerts_channel(slack)) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReadingRequest)) == 1

    with sessions.begin() as session:
        set_readings(
            session,
            Actor("cli:alice", "cli"),
            session.get(Facility, jiebei.id),
            owner=ERIC,
            readings=None,
            now=shanghai(2026, 12, 2, 13, 0),
        )
    at(sessions, settings, clock, 2026, 12, 2, 13, 0)
    assert alerts(sessions) == [("owner_gone", "resolved")]
    [question] = slack.messages("D" + ERIC[1:])
    assert question.text.startswith("借呗 jiebei-main: what does the platform show now?")


def test_an_owner_slack_will_not_open_a_conversation_with_is_gone_too(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """An app without users:read: conversations.open's user_disabled tells the same."""
    own(sessions, jiebei.id, "workdays 10:00")
    slack.deleted_users.add(DANA)
    slack.refusals["users.info"] = "missing_scope"
    at(sessions, settings, clock, 2026, 12, 1, 10, 0)
    assert slack.messages(DANA_DM) == []
    assert alerts(sessions) == [("owner_gone", "open")]
    [told] = told_in_alerts_channel(slack)
    assert "user_disabled" in json.dumps(told.blocks)
