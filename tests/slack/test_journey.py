"""The whole journey: a draw, a missing bill found later, an acknowledgement, the bill, resolved."""

import json
from datetime import UTC, datetime

from bot.db import transaction
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver
from tests.support.slack_app import ALERTS, ALICE, BOB


def check(sessions, settings, clock) -> None:
    """One scheduled run: every check, the lifecycle, then delivery."""
    with transaction(sessions) as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


def bill_missing_message(slack):
    [message] = [m for m in slack.messages(ALERTS) if "bill_missing" in m.text]
    return message


def test_draw_missing_bill_ack_bill_resolved(app, jiebei, sessions, settings, clock, slack):
    """From `/loan draw` to the alert resolving itself once `/loan bill` records the bill."""
    # 1. Alice logs 10,000 over 12 months on 1 December; the first installment is due 1 January.
    drawn = app.command("draw jiebei-main 10,000 12m working capital", user=ALICE)
    assert "First due *2027-01-01*" in drawn.text

    # 2. On 24 December no bill has appeared (lead 10 days + grace 24 h): the check finds it.
    clock.now = datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    check(sessions, settings, clock)
    message = bill_missing_message(slack)
    blocks = json.dumps(message.blocks)
    assert "899.75" in blocks
    assert ACK_ACTION in blocks
    assert RESOLVE_ACTION in blocks

    # 3. Bob clicks Acknowledge on that message; the message now names him.
    clock.advance(minutes=5)
    assert app.click(message, ALERTS, ACK_ACTION, user=BOB).status == 200
    deliver(sessions, settings, clock)
    message = bill_missing_message(slack)
    assert "<@U0BOB>" in json.dumps(message.blocks)
    assert ACK_ACTION not in json.dumps(message.blocks)

    # 4. Bob records the bill the platform finally shows.
    clock.advance(hours=1)
    recorded = app.command("bill jiebei-main 2027-01-01 899.75", user=BOB)
    assert recorded.text.startswith("recorded bill")

    # 5. The next check resolves the alert: the message says so, and so does its thread.
    clock.advance(minutes=15)
    check(sessions, settings, clock)
    message = bill_missing_message(slack)
    assert "resolved" in message.text.lower()
    assert ACK_ACTION not in json.dumps(message.blocks)
    thread = [m.text for m in slack.thread(ALERTS, message.ts)]
    assert len(thread) == 2
    assert "Acknowledged by <@U0BOB>" in thread[0]
    assert "condition has cleared" in thread[1]
    # One message for the alert the whole way through: updated, never posted again.
    assert len([m for m in slack.messages(ALERTS) if "bill_missing" in m.text]) == 1
