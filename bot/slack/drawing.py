"""Logging a draw from Slack, exactly once: by slash command, by modal, or after a confirmation.

Each request has a key Slack gives it (the slash command's trigger id, the modal's view id). The
key is stored with the draw in one transaction, so a retry of the same request finds it and gets
the first answer back instead of a second draw. The same person logging the same amount on the
same facility within minutes is asked first (bot.ledger.draws.recent_duplicate); the pending
request waits in the table and the confirm button carries only its id.
"""

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InputError, NotFoundError
from bot.ledger.draws import DrawRequest, current_installments, recent_duplicate, record_draw
from bot.ledger.facilities import get_facility
from bot.ledger.schedule import RepaymentMethod
from bot.models import CommandRequest, Draw, Facility, Installment
from bot.money import format_money, format_rate
from bot.slack.context import Loanwatch, actor
from bot.slack.mrkdwn import escape, truncate
from bot.slack.reply import Reply

DRAW = "draw"
PENDING = "pending"
DONE = "done"
CANCELLED = "cancelled"
CONFIRM_ACTION = "draw_confirm"
CANCEL_ACTION = "draw_cancel"
# A "log it again?" question left unanswered this long is refused: the person typed it for a
# draw they were making then, not one days later.
CONFIRM_WITHIN = timedelta(minutes=15)
# Slack retries a request within minutes; a week is plenty to answer a retry with its result.
KEEP_REQUESTS = timedelta(days=7)
# Rows of the schedule shown in Slack; a 360-month schedule would not fit in a message.
SHOWN_ROWS = 12


@dataclass(frozen=True)
class DrawArgs:
    """A draw as typed or filled in, before it is logged."""

    facility: str
    amount: Decimal
    months: int
    method: RepaymentMethod | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "facility": self.facility,
            "amount": str(self.amount),
            "months": self.months,
            "method": self.method.value if self.method else None,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DrawArgs":
        return cls(
            facility=data["facility"],
            amount=Decimal(data["amount"]),
            months=int(data["months"]),
            method=RepaymentMethod(data["method"]) if data.get("method") else None,
            note=data.get("note"),
        )


# On SQLite, one draw at a time in this process. PostgreSQL's row lock on the facility (FOR
# UPDATE) orders draws, across replicas too, and a process-wide lock there would only make
# every draw wait behind one busy facility. SQLite ignores FOR UPDATE, and its driver begins
# the transaction only at the first write, so two threads could both find no earlier twin (or
# both find the question still pending) and both log. SQLite means one process.
_one_at_a_time = threading.Lock()


def _in_turn(lw: Loanwatch) -> AbstractContextManager[Any]:
    bind = lw.sessions.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"
    return _one_at_a_time if sqlite else nullcontext()


def log_draw(lw: Loanwatch, user_id: str, key: str, args: DrawArgs) -> Reply:
    """Log the draw once for `key`, or ask first if it looks like a double submission."""
    with _in_turn(lw):
        return _log_draw(lw, user_id, key, args)


def _log_draw(lw: Loanwatch, user_id: str, key: str, args: DrawArgs) -> Reply:
    try:
        with lw.transaction() as session:
            _forget_old_requests(session, lw.clock())
            earlier = _by_key(session, key)
            if earlier is not None:
                return _again(earlier)
            facility = get_facility(session, args.facility, for_update=True)
            now = lw.clock()
            twin = recent_duplicate(session, actor(user_id), facility, args.amount, now=now)
            if twin is not None:
                pending = _remember(session, key, user_id, args, PENDING, None, now)
                return _ask(twin, facility, pending, now)
            reply = _record(session, user_id, facility, args, now)
            _remember(session, key, user_id, args, DONE, reply.text, now)
            return reply
    except IntegrityError:
        # The same request, handled at the same moment by another thread or replica (Slack
        # retried): its draw committed first, so answer with its result.
        with lw.transaction() as session:
            earlier = _by_key(session, key)
            if earlier is None:
                raise
            return _again(earlier)


def confirm(lw: Loanwatch, user_id: str, request_id: int) -> Reply:
    """Log a draw that was waiting for its maker's confirmation (a second click does nothing)."""
    now = lw.clock()
    with _in_turn(lw), lw.transaction() as session:
        pending = session.get(CommandRequest, request_id)
        if pending is None or pending.action != DRAW:
            raise NotFoundError("that request is gone; type the draw again")
        if pending.user_id != user_id:
            raise InputError("only the person who typed this draw can confirm it")
        if pending.state == PENDING and now - pending.created_at > CONFIRM_WITHIN:
            raise InputError(
                "this question is too old to answer; type the draw again if it is still needed"
            )
        # The claim: only the click whose UPDATE finds it still pending logs the draw.
        claimed = session.execute(
            update(CommandRequest)
            .where(CommandRequest.id == request_id, CommandRequest.state == PENDING)
            .values(state=DONE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            session.refresh(pending)
            return _again(pending)
        args = DrawArgs.from_json(pending.args)
        facility = get_facility(session, args.facility, for_update=True)
        reply = _record(session, user_id, facility, args, now)
        pending.state = DONE
        pending.result = reply.text
        return reply


def cancel(lw: Loanwatch, user_id: str, request_id: int) -> Reply:
    """Drop a draw that was waiting for confirmation."""
    with _in_turn(lw), lw.transaction() as session:
        pending = session.get(CommandRequest, request_id)
        if pending is None or pending.user_id != user_id:
            raise NotFoundError("that request is gone")
        # The same claim as confirm(): a cancel racing a confirm leaves one of them done.
        text = "Not logged: cancelled."
        claimed = session.execute(
            update(CommandRequest)
            .where(CommandRequest.id == request_id, CommandRequest.state == PENDING)
            .values(state=CANCELLED, result=text)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(pending)
        return Reply(text) if claimed == 1 else _again(pending)


def _record(
    session: Session, user_id: str, facility: Facility, args: DrawArgs, now: datetime
) -> Reply:
    request = DrawRequest(
        amount=args.amount, months=args.months, repayment_method=args.method, note=args.note
    )
    draw = record_draw(session, actor(user_id), facility, request, now=now)
    return schedule_reply(draw, facility, current_installments(session, draw), user_id)


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
        f"{format_rate(draw.daily_rate)} ({draw.repayment_method}){note}\n"
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


def _ask(twin: Draw, facility: Facility, pending: CommandRequest, now: datetime) -> Reply:
    minutes = max(1, int((now - twin.created_at).total_seconds() // 60))
    text = (
        f"You logged {format_money(twin.amount, facility.currency)} on *{facility.slug}* "
        f"{minutes} min ago (draw #{twin.id}). Log another draw of the same amount?"
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"draw_confirm:{pending.id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": CONFIRM_ACTION,
                    "text": {"type": "plain_text", "text": "Log it again"},
                    "style": "primary",
                    "value": str(pending.id),
                },
                {
                    "type": "button",
                    "action_id": CANCEL_ACTION,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": str(pending.id),
                },
            ],
        },
    ]
    return Reply(text, blocks)


def _again(request: CommandRequest) -> Reply:
    if request.state == PENDING:
        return Reply(
            "This draw is waiting for you to confirm it (see the buttons above).", repeated=True
        )
    return Reply(request.result or "Already done.", repeated=True)


def _forget_old_requests(session: Session, now: datetime) -> None:
    """Drop requests too old for Slack to retry or anyone to confirm (the draws keep their
    audit records); the table stays the size of a few days of draws."""
    session.execute(delete(CommandRequest).where(CommandRequest.created_at < now - KEEP_REQUESTS))


def _by_key(session: Session, key: str) -> CommandRequest | None:
    return session.scalar(select(CommandRequest).where(CommandRequest.key == key))


def _remember(
    session: Session,
    key: str,
    user_id: str,
    args: DrawArgs,
    state: str,
    result: str | None,
    now: datetime,
) -> CommandRequest:
    row = CommandRequest(
        key=key,
        user_id=user_id,
        action=DRAW,
        args=args.to_json(),
        state=state,
        result=result,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
