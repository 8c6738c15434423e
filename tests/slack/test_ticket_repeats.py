"""A ticket request that reaches loanwatch twice (Slack retries, a form submitted twice, a
button pressed twice) takes effect once, through signed requests and the fake Web API."""

from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.models import OutboxMessage, Ticket, TicketEntry
from tests.support.slack_app import BOB


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
