"""A ticket request that reaches loanwatch twice (Slack retries, a form submitted twice, a
button pressed twice) takes effect once, through signed requests and the fake Web API."""

import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.audit import Actor
from bot.db import transaction
from bot.models import OutboxMessage, Ticket, TicketEntry
from bot.slack.ticket_blocks import CLOSE_ACTION, REPLY_ACTION, SENT_ACTION
from bot.tickets.opening import open_ticket
from tests.slack.test_alert_buttons import deliver
from tests.slack.test_ticket_commands import ticket_row, top_ticket
from tests.support.slack_app import ALERTS, ALICE, BOB

SHANGHAI = ZoneInfo("Asia/Shanghai")


def tickets(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def kinds(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(TicketEntry.kind).order_by(TicketEntry.id)))


def test_a_retried_slash_command_opens_one_ticket_and_answers_the_same(app, jiebei, sessions):
    body = urlencode(app.command_form("ticket jiebei-main 十二月账单缺失", user=BOB))
    first = app.post(body)
    again = app.post(body)  # Slack's retry: the same signed request
    assert "You opened T-1" in first.text
    assert again.text == first.text
    assert tickets(sessions) == 1
    # A new command (its own trigger id) is a new ticket.
    assert "You opened T-2" in app.command("ticket jiebei-main 额度不符", user=BOB).text


def test_the_open_form_submitted_twice_opens_one_ticket(app, jiebei, sessions, slack):
    assert app.command("ticket", user=BOB).body == {}
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    values = {
        "facility": {
            "value": {"type": "static_select", "selected_option": {"value": "jiebei-main"}}
        },
        "subject": {"value": {"type": "plain_text_input", "value": "额度不符"}},
    }
    assert app.submit(form, values, user=BOB).status == 200
    with sessions() as session:
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    second = app.submit(form, values, user=BOB)
    assert second.status == 200
    assert second.body in ({}, "")  # the form closes; nothing to correct
    assert tickets(sessions) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox


def test_mark_as_sent_counts_once_and_the_button_goes(
    app, jiebei, sessions, settings, clock, slack
):
    """Two presses on the same (not yet updated) message and `/loan ticket sent` days later: one
    `sent` entry, the follow-up count and clock untouched; the updated message has no Mark as
    sent; the refusals are `:warning:` lines."""
    app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    deliver(sessions, settings, clock)
    message = top_ticket(slack)
    app.click(message, ALERTS, SENT_ACTION, user=BOB)
    first = ticket_row(sessions)
    app.click(message, ALERTS, SENT_ACTION, user=BOB)
    [refused] = [c.args["text"] for c in slack.calls_to("chat.postEphemeral")]
    assert refused.startswith(":warning: T-1 was marked as sent already (waiting since ")
    assert refused.endswith("nothing changed")

    with sessions() as session:  # the platform stayed quiet through three follow-ups
        session.get(Ticket, first.id).follow_ups = 3
        session.commit()
    clock.advance(days=10)
    again = app.command("ticket sent T-1", user=BOB)
    assert again.text.startswith(":warning: T-1 was marked as sent already")
    assert kinds(sessions).count("sent") == 1
    row = ticket_row(sessions)
    assert (row.follow_ups, row.next_follow_up_at) == (3, first.next_follow_up_at)  # OVERDUE kept
    assert "OVERDUE" in app.command("ticket list", user=BOB).text

    deliver(sessions, settings, clock)
    assert SENT_ACTION not in json.dumps(top_ticket(slack).blocks)
    assert sum("sent T-1" in m.text for m in slack.thread(ALERTS, message.ts)) == 1


def test_a_closed_ticket_says_when_and_how_to_reopen_in_slack(
    app, jiebei, sessions, settings, clock, slack
):
    """Stale buttons and commands on a closed ticket: a `:warning:` line with the facility's
    date and the Slack way back (`ticket reopen`), which treasurers then use."""
    app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    deliver(sessions, settings, clock)
    message = top_ticket(slack)
    assert app.command("ticket close T-1 fixed", user=ALICE).text == "You closed T-1."
    app.click(message, ALERTS, SENT_ACTION, user=BOB)
    app.click(message, ALERTS, REPLY_ACTION, user=BOB)
    app.click(message, ALERTS, CLOSE_ACTION, user=ALICE)
    day = clock().astimezone(SHANGHAI).date()
    assert [c.args["text"] for c in slack.calls_to("chat.postEphemeral")] == [
        f":warning: T-1 was closed on {day}; to mark it as sent, reopen it first "
        "(`ticket reopen T-1 REASON`)",
        f":warning: T-1 was closed on {day}; to record a reply, reopen it first "
        "(`ticket reopen T-1 REASON`)",
        f":warning: T-1 was closed already on {day}",
    ]
    assert "Only treasurers may reopen tickets" in app.command("ticket reopen T-1 x", user=BOB).text
    assert "You reopened T-1" in app.command("ticket reopen T-1 bill gone again", user=ALICE).text
    assert ticket_row(sessions).state == "open"  # by hand: to be sent again
    deliver(sessions, settings, clock)
    assert SENT_ACTION in json.dumps(top_ticket(slack).blocks)


def test_ticket_sent_takes_nothing_after_the_ticket(app, jiebei, sessions):
    app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    answer = app.command("ticket sent T-1 yesterday by phone", user=BOB)
    assert answer.text.startswith(":warning: `ticket sent T-1` takes nothing after the ticket\n")
    assert ticket_row(sessions).state == "open"


def test_a_long_ticket_list_is_cut_with_how_many_more(app, jiebei, sessions, settings, clock):
    """300 open tickets with long subjects: the answer stays far under Slack's limit, says how
    many are left out and where to see them, and an overdue ticket comes first."""
    with transaction(sessions) as session:
        for n in range(300):
            open_ticket(
                session,
                Actor("cli:alice", "cli"),
                "jiebei-main",
                f"subject {n} " + "账" * 150,
                now=clock(),
                calendar=settings.calendar(),
            )
        oldest = session.scalars(select(Ticket).where(Ticket.number == 1)).one()
        oldest.state, oldest.follow_ups = "waiting", 3
    listed = app.command("ticket list", user=BOB).text
    assert len(listed) < 13_000
    lines = listed.splitlines()
    assert lines[0].startswith("• *T-1* ")
    assert "OVERDUE" in lines[0]
    shown = len(lines) - 1
    assert lines[-1] == f"… and {300 - shown} more; see `loanwatch export tickets`"
