"""Draws from Slack, as replies: the ledger logs each request once, this words what it did.

A slash command and the form ask :mod:`bot.ledger.draw_requests` to log a draw under their
request key (the command's trigger id, the form's view id); the buttons on "log it again?"
confirm or cancel the waiting request by its id. Each function here makes that one call and
renders the outcome: the schedule for the channel, the question with its buttons, or the answer
given the first time.
"""

from decimal import Decimal

from bot.ledger import draw_requests
from bot.ledger.draw_requests import (
    AskFirst,
    Cancelled,
    DrawArgs,
    Logged,
    Repeated,
    RequestState,
)
from bot.ledger.terms import describe_rate
from bot.models import Draw, Facility, Installment
from bot.money import format_money
from bot.slack.context import Loanwatch, actor
from bot.slack.mrkdwn import escape, truncate
from bot.slack.reply import Reply

CONFIRM_ACTION = "draw_confirm"
CANCEL_ACTION = "draw_cancel"
# Rows of the schedule shown in Slack; a 360-month schedule would not fit in a message.
SHOWN_ROWS = 12
CANCELLED = "Not logged: cancelled."


def log_draw(lw: Loanwatch, user_id: str, key: str, args: DrawArgs) -> Reply:
    """Log the draw once for `key`, or ask first if it looks like a double submission."""
    with lw.committing() as sessions:
        outcome = draw_requests.log_draw(
            sessions, actor(user_id), key, args, clock=lw.clock, answer=_answer(user_id)
        )
    return _reply(outcome, user_id)


def confirm(lw: Loanwatch, user_id: str, request_id: int) -> Reply:
    """Log a draw that was waiting for its maker's confirmation (a second click does nothing)."""
    with lw.committing() as sessions:
        outcome = draw_requests.confirm_draw(
            sessions, actor(user_id), request_id, clock=lw.clock, answer=_answer(user_id)
        )
    return _reply(outcome, user_id)


def cancel(lw: Loanwatch, user_id: str, request_id: int) -> Reply:
    """Drop a draw that was waiting for confirmation."""
    with lw.committing() as sessions:
        outcome = draw_requests.cancel_draw(sessions, actor(user_id), request_id)
    return _reply(outcome, user_id)


def _answer(user_id: str) -> draw_requests.Answer:
    """The words kept with a logged draw's request, for its retries: its reply's text."""
    return lambda logged: (
        schedule_reply(logged.draw, logged.facility, logged.installments, user_id).text
    )


def _reply(outcome: Logged | AskFirst | Repeated | Cancelled, user_id: str) -> Reply:
    match outcome:
        case Logged(draw, facility, installments):
            return schedule_reply(draw, facility, installments, user_id)
        case AskFirst():
            return _question(outcome)
        case Repeated(RequestState.PENDING, _):
            return Reply(
                "This draw is waiting for you to confirm it (see the buttons above).",
                repeated=True,
            )
        case Repeated(RequestState.CANCELLED, _):
            return Reply(CANCELLED, repeated=True)
        case Repeated(_, answer):
            return Reply(answer or "Already done.", repeated=True)
        case Cancelled():
            return Reply(CANCELLED)
    raise AssertionError(f"no reply for {outcome!r}")


def schedule_reply(
    draw: Draw, facility: Facility, installments: list[Installment], user_id: str
) -> Reply:
    """The draw and its schedule: first due date, installment, total interest, then the rows."""
    money = facility.currency
    total_interest = sum((i.interest for i in installments), Decimal("0.00"))
    first = installments[0]
    payments = sorted({i.amount for i in installments[:-1]}) or [first.amount]
    level = (
        f"{format_money(payments[0], money)} a month"
        if len(payments) == 1
        else f"{format_money(first.amount, money)} first"
    )
    note = f" — {escape(draw.note)}" if draw.note else ""
    summary = (
        f"<@{user_id}> logged draw #{draw.id} on *{facility.slug}*: "
        f"{format_money(draw.amount, money)} for {draw.months} months at "
        f"{describe_rate(draw)} ({draw.repayment_method}){note}\n"
        f"First due *{first.due_date.isoformat()}*: {format_money(first.amount, money)}; "
        f"{level}; total interest *{format_money(total_interest, money)}*"
    )
    rows = [
        f"{i.seq:>3}  {i.due_date.isoformat()}  {format_money(i.amount, money):>14}"
        f"  principal {format_money(i.principal, money):>14}"
        for i in installments[:SHOWN_ROWS]
    ]
    if len(installments) > SHOWN_ROWS:
        rows.append(f"… {len(installments) - SHOWN_ROWS} more (`loanwatch export installments`)")
    table = "```" + "\n".join(rows) + "```"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(summary, 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(table, 3000)}},
    ]
    return Reply(summary, blocks, in_channel=True)


def _question(ask: AskFirst) -> Reply:
    """The "log another?" question, with buttons that carry only the waiting request's id."""
    minutes = max(1, int(ask.since.total_seconds() // 60))
    text = (
        f"You logged {format_money(ask.twin.amount, ask.facility.currency)} on "
        f"*{ask.facility.slug}* {minutes} min ago (draw #{ask.twin.id}). "
        "Log another draw of the same amount?"
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"draw_confirm:{ask.request_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": CONFIRM_ACTION,
                    "text": {"type": "plain_text", "text": "Log it again"},
                    "style": "primary",
                    "value": str(ask.request_id),
                },
                {
                    "type": "button",
                    "action_id": CANCEL_ACTION,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": str(ask.request_id),
                },
            ],
        },
    ]
    return Reply(text, blocks)
