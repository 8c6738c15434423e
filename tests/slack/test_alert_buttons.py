"""The buttons on an alert message, clicked the way Slack sends clicks, and who may click them."""

import json

import pytest
from sqlalchemy import func, select

from bot.models import Alert, AuditRecord
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION, SNOOZE_ACTION, TICKET_ACTION
from bot.slack.draw_replies import CONFIRM_ACTION
from jobs.delivery import DeliveryWorker
from jobs.transports.slack import SlackTransport
from tests.slack.test_commands import open_alerts
from tests.slack.test_draw_flow import answer, draws
from tests.support.slack_app import ALERTS, BOB, CHARLIE


def deliver(sessions, settings, clock) -> None:
    """Run the delivery worker until the outbox is empty (what `loanwatch worker` does)."""
    worker = DeliveryWorker(
        sessions, SlackTransport.from_settings(settings), worker_id="test", clock=clock
    )
    while worker.step():
        pass


def posted_alert(slack, alert_id: int):
    """The alert's own message in #loan-alerts."""
    [message] = [
        m
        for m in slack.messages(ALERTS)
        if (m.metadata or {}).get("event_payload", {}).get("alert_id") == alert_id
    ]
    return message


@pytest.fixture
def alert(app, jiebei, sessions, settings, clock, slack):
    """A bill_missing alert on jiebei-main, posted to #loan-alerts."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    return alert_id


def state_of(sessions, alert_id: int) -> Alert:
    with sessions() as session:
        return session.get(Alert, alert_id)


def test_acknowledge_updates_the_message_in_place(app, alert, sessions, settings, clock, slack):
    """Bob clicks Acknowledge: the alert is his, and the message says so, with a thread line."""
    answer = app.click(posted_alert(slack, alert), ALERTS, ACK_ACTION, user=BOB)
    assert answer.status == 200
    assert state_of(sessions, alert).acknowledged_by == BOB
    deliver(sessions, settings, clock)
    message = posted_alert(slack, alert)
    assert message.edited == 1
    assert "<@U0BOB>" in json.dumps(message.blocks)
    assert ACK_ACTION not in json.dumps(message.blocks)
    [line] = slack.thread(ALERTS, message.ts)
    assert "Acknowledged by <@U0BOB>" in line.text


def test_snooze_picks_the_chosen_duration(app, alert, sessions, clock, slack) -> None:
    """Snooze → 4 hours: snoozed until four hours from now."""
    app.click(posted_alert(slack, alert), ALERTS, SNOOZE_ACTION, user=BOB, option=f"{alert}:4h")
    assert state_of(sessions, alert).snoozed_until == clock.advance(hours=4)


def test_resolve_asks_why_then_resolves(app, alert, sessions, slack) -> None:
    """Resolve opens a form; an empty reason is refused on the field; a reason resolves it."""
    app.click(posted_alert(slack, alert), ALERTS, RESOLVE_ACTION, user=BOB)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    assert form["callback_id"] == "resolve_modal"
    empty = app.submit(
        form, {"reason": {"value": {"type": "plain_text_input", "value": " "}}}, user=BOB
    )
    assert empty.body["response_action"] == "errors"
    assert state_of(sessions, alert).state == "open"
    app.submit(
        form, {"reason": {"value": {"type": "plain_text_input", "value": "paid <!here>"}}}, user=BOB
    )
    resolved = state_of(sessions, alert)
    assert (resolved.state, resolved.resolved_by, resolved.resolve_reason) == (
        "resolved",
        BOB,
        "paid <!here>",
    )


def test_a_double_click_on_acknowledge_leaves_one_owner(app, alert, sessions, slack) -> None:
    """Two clicks (Bob's, then Dana's a moment later): Bob keeps it; Dana is told, privately."""
    message = posted_alert(slack, alert)
    app.click(message, ALERTS, ACK_ACTION, user=BOB)
    app.click(message, ALERTS, ACK_ACTION, user="U0DANA")
    assert state_of(sessions, alert).acknowledged_by == BOB
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == "U0DANA"
    assert "already acknowledged by <@U0BOB>" in note.args["text"]


@pytest.mark.parametrize(
    ("action_id", "option"),
    [
        (ACK_ACTION, None),
        (SNOOZE_ACTION, "1h"),
        (RESOLVE_ACTION, None),
        (TICKET_ACTION, None),
    ],
)
def test_every_button_refuses_someone_without_the_role(
    app, alert, sessions, slack, action_id, option
) -> None:
    """Charlie (viewer) clicks: an ephemeral refusal, an audit record, and nothing else."""
    message = posted_alert(slack, alert)
    chosen = f"{alert}:{option}" if option else None
    app.click(message, ALERTS, action_id, user=CHARLIE, option=chosen)
    after = state_of(sessions, alert)
    assert (after.state, after.acknowledged_by, after.snoozed_until) == ("open", None, None)
    assert [v for v in slack.views if v["method"] == "views.open"] == []
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == CHARLIE
    assert "Only " in note.args["text"]
    with sessions() as session:
        refused = session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "refused")
        )
    assert refused == 1


def test_the_confirm_button_refuses_someone_without_the_role(app, jiebei, sessions, slack):
    """The "log it again" button, clicked by a viewer, logs nothing."""
    app.command("draw jiebei-main 1,000 3m")
    question = app.command("draw jiebei-main 1,000 3m")
    assert "Only treasurers may" in answer(app, slack, question, CONFIRM_ACTION, CHARLIE)
    assert draws(sessions) == 1
