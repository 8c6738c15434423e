"""Draws from Slack, as replies: the ledger logs each request once, this words what it did.

A slash command and the form ask :mod:`bot.ledger.draw_requests` to log a draw under their
request key (the command's trigger id, the form's view id); the buttons on "log it again?"
confirm or cancel the waiting request by its id. Each function here makes that one call and
renders the outcome: the schedule for the channel, the question with its buttons, or the answer
given the first time.
"""

from decimal import Decimal

from bot.i18n import N_, _
from bot.i18n.formats import day
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
CANCELLED = N_("Not logged: cancelled.")
# How a draw's repayment method is named beside its rate (the stored value, in English).
METHOD_NAMES = (
    N_("equal-installment"),
    N_("equal-principal"),
    N_("interest-first"),
    N_("bullet"),
    N_("quarterly-interest"),
)


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
                _("This draw is waiting for you to confirm it (see the buttons above)."),
                repeated=True,
            )
        case Repeated(RequestState.CANCELLED, _):
            return Reply(_(CANCELLED), repeated=True)
        case Repeated(_, answer):
            return Reply(answer or _("Already done."), repeated=True)
        case Cancelled():
            return Reply(_(CANCELLED))
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
        _("{amount} a month").format(amount=format_money(payments[0], money))
        if len(payments) == 1
        else _("{amount} first").format(amount=format_money(first.amount, money))
    )
    logged = _(
        "<@{user}> logged draw #{draw} on *{facility}*: {amount} for {months} months at "
        "{rate} ({method})"
    ).format(
        user=user_id,
        draw=draw.id,
        facility=facility.slug,
        amount=format_money(draw.amount, money),
        months=draw.months,
        rate=describe_rate(draw),
        method=_(str(draw.repayment_method)),
    )
    if draw.note:
        logged = _("{logged} — {note}").format(logged=logged, note=escape(draw.note))
    summary = (
        logged
        + "\n"
        + _("First due *{due}*: {amount}; {level}; total interest *{interest}*").format(
            due=day(first.due_date),
            amount=format_money(first.amount, money),
            level=level,
            interest=format_money(total_interest, money),
        )
    )
    shown = installments[:SHOWN_ROWS]
    dues = [day(i.due_date) for i in shown]
    wide = max((len(due) for due in dues), default=0)  # a column: 1月5日 beside 12月15日
    rows = [
        _("{seq}  {due}  {amount}  principal {principal}").format(
            seq=f"{i.seq:>3}",
            due=due.ljust(wide),
            amount=f"{format_money(i.amount, money):>14}",
            principal=f"{format_money(i.principal, money):>14}",
        )
        for i, due in zip(shown, dues, strict=True)
    ]
    if len(installments) > SHOWN_ROWS:
        rows.append(
            _("… {count} more (`loanwatch export installments`)").format(
                count=len(installments) - SHOWN_ROWS
            )
        )
    table = "```" + "\n".join(rows) + "```"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(summary, 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(table, 3000)}},
    ]
    return Reply(summary, blocks, in_channel=True)


def _question(ask: AskFirst) -> Reply:
    """The "log another?" question, with buttons that carry only the waiting request's id."""
    minutes = max(1, int(ask.since.total_seconds() // 60))
    text = _(
        "You logged {amount} on *{facility}* {minutes} min ago (draw #{draw}). "
        "Log another draw of the same amount?"
    ).format(
        amount=format_money(ask.twin.amount, ask.facility.currency),
        facility=ask.facility.slug,
        minutes=minutes,
        draw=ask.twin.id,
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
                    "text": {"type": "plain_text", "text": _("Log it again")},
                    "style": "primary",
                    "value": str(ask.request_id),
                },
                {
                    "type": "button",
                    "action_id": CANCEL_ACTION,
                    "text": {"type": "plain_text", "text": _("Cancel")},
                    "value": str(ask.request_id),
                },
            ],
        },
    ]
    return Reply(text, blocks)
