"""Logging a draw once per request: retries, double submissions, and the question in between.

Each request has a key its surface gives it (in Slack, the slash command's trigger id or the
form's view id). The key is stored with the draw in one transaction (`command_requests`), so a
retry of the same request finds it and gets the first answer back instead of a second draw. The
same person logging the same amount on the same facility within minutes
(:func:`bot.ledger.draws.recent_duplicate`) is asked first: the request waits in the table as
pending, and the answer to the question (confirm or cancel) names only its id.

The functions return what happened (:class:`Logged`, :class:`AskFirst`, :class:`Repeated`,
:class:`Cancelled`); the surface words it. The one wording kept here is the caller's own: the
answer it gave when the draw was logged (`answer`), stored so that a retry shows the same.
"""

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.db import transaction
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.ledger.draws import DrawRequest, current_installments, recent_duplicate, record_draw
from bot.ledger.facilities import get_facility
from bot.ledger.schedule import RepaymentMethod
from bot.models import CommandRequest, Draw, Facility, Installment

DRAW = "draw"  # command_requests.action of a draw
# A "log it again?" question left unanswered this long is refused: the person typed it for a
# draw they were making then, not one days later.
CONFIRM_WITHIN = timedelta(minutes=15)
# Slack retries a request within minutes; a week is plenty to answer a retry with its result.
KEEP_REQUESTS = timedelta(days=7)


class RequestState(StrEnum):
    """Where a request stands (command_requests.state)."""

    PENDING = "pending"  # waiting for its maker to confirm or cancel
    DONE = "done"  # its draw is logged
    CANCELLED = "cancelled"  # its maker said no; nothing was logged


@dataclass(frozen=True)
class DrawArgs:
    """A draw as typed or filled in, before it is logged (kept as JSON while it waits)."""

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


@dataclass(frozen=True)
class Logged:
    """The draw was logged now, with its schedule as it stands."""

    draw: Draw
    facility: Facility
    installments: list[Installment]


@dataclass(frozen=True)
class AskFirst:
    """Not logged: the same person logged the same amount here `since` ago (`twin`), so request
    `request_id` waits for them to confirm or cancel."""

    request_id: int
    twin: Draw
    facility: Facility
    since: timedelta


@dataclass(frozen=True)
class Repeated:
    """The request was handled before and nothing was done now: `state` is where it stands,
    `answer` what was answered when its draw was logged (None before that, or if not kept)."""

    state: RequestState
    answer: str | None


@dataclass(frozen=True)
class Cancelled:
    """The waiting draw was dropped; nothing was logged."""


# The words the surface answers a logged draw with, kept with the request for its retries.
Answer = Callable[[Logged], str]
Clock = Callable[[], datetime]

# On SQLite, one draw at a time in this process. PostgreSQL's row lock on the facility (FOR
# UPDATE) orders draws, across replicas too, and a process-wide lock there would only make
# every draw wait behind one busy facility. SQLite ignores FOR UPDATE, and its driver begins
# the transaction only at the first write, so two threads could both find no earlier twin (or
# both find the question still pending) and both log. SQLite means one process.
_one_at_a_time = threading.Lock()


def _in_turn(sessions: sessionmaker[Session]) -> AbstractContextManager[Any]:
    bind = sessions.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"
    return _one_at_a_time if sqlite else nullcontext()


def log_draw(
    sessions: sessionmaker[Session],
    who: audit.Actor,
    key: str,
    args: DrawArgs,
    *,
    clock: Clock,
    answer: Answer,
) -> Logged | AskFirst | Repeated:
    """Log the draw once for `key`, or ask first if it looks like a double submission."""
    with _in_turn(sessions):
        return _log_draw(sessions, who, key, args, clock, answer)


def _log_draw(
    sessions: sessionmaker[Session],
    who: audit.Actor,
    key: str,
    args: DrawArgs,
    clock: Clock,
    answer: Answer,
) -> Logged | AskFirst | Repeated:
    try:
        with transaction(sessions) as session:
            _forget_old_requests(session, clock())
            earlier = _by_key(session, key)
            if earlier is not None:
                return _repeated(earlier)
            facility = get_facility(session, args.facility, for_update=True)
            now = clock()
            twin = recent_duplicate(session, who, facility, args.amount, now=now)
            if twin is not None:
                pending = _remember(session, key, who, args, RequestState.PENDING, None, now)
                return AskFirst(pending.id, twin, facility, now - twin.created_at)
            logged = _record(session, who, facility, args, now)
            _remember(session, key, who, args, RequestState.DONE, answer(logged), now)
            return logged
    except IntegrityError:
        # The same request, handled at the same moment by another thread or replica (Slack
        # retried): its draw committed first, so answer with its result.
        with transaction(sessions) as session:
            earlier = _by_key(session, key)
            if earlier is None:
                raise
            return _repeated(earlier)


def confirm_draw(
    sessions: sessionmaker[Session],
    who: audit.Actor,
    request_id: int,
    *,
    clock: Clock,
    answer: Answer,
) -> Logged | Repeated:
    """Log a draw that was waiting for its maker's confirmation (a second click does nothing)."""
    now = clock()
    with _in_turn(sessions), transaction(sessions) as session:
        pending = session.get(CommandRequest, request_id)
        if pending is None or pending.action != DRAW:
            raise NotFoundError(_("that request is gone; type the draw again"))
        if pending.user_id != who.name:
            raise InputError(_("only the person who typed this draw can confirm it"))
        if pending.state == RequestState.PENDING and now - pending.created_at > CONFIRM_WITHIN:
            raise InputError(
                _("this question is too old to answer; type the draw again if it is still needed")
            )
        if not _claim(session, request_id, RequestState.DONE):
            session.refresh(pending)
            return _repeated(pending)
        args = DrawArgs.from_json(pending.args)
        facility = get_facility(session, args.facility, for_update=True)
        logged = _record(session, who, facility, args, now)
        pending.state = RequestState.DONE
        pending.result = answer(logged)
        return logged


def cancel_draw(
    sessions: sessionmaker[Session], who: audit.Actor, request_id: int
) -> Cancelled | Repeated:
    """Drop a draw that was waiting for confirmation."""
    with _in_turn(sessions), transaction(sessions) as session:
        pending = session.get(CommandRequest, request_id)
        if pending is None or pending.user_id != who.name:
            raise NotFoundError(_("that request is gone"))
        # The same claim as confirm_draw(): a cancel racing a confirm leaves one of them done.
        claimed = _claim(session, request_id, RequestState.CANCELLED)
        session.refresh(pending)
        return Cancelled() if claimed else _repeated(pending)


def _claim(session: Session, request_id: int, state: RequestState) -> bool:
    """Move a pending request to `state`: True for the one caller whose UPDATE found it still
    pending (two clicks at once: one of them)."""
    claimed = session.execute(
        update(CommandRequest)
        .where(CommandRequest.id == request_id, CommandRequest.state == RequestState.PENDING)
        .values(state=state)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def _record(
    session: Session, who: audit.Actor, facility: Facility, args: DrawArgs, now: datetime
) -> Logged:
    request = DrawRequest(
        amount=args.amount, months=args.months, repayment_method=args.method, note=args.note
    )
    draw = record_draw(session, who, facility, request, now=now)
    return Logged(draw, facility, current_installments(session, draw))


def _repeated(request: CommandRequest) -> Repeated:
    return Repeated(RequestState(request.state), request.result)


def _forget_old_requests(session: Session, now: datetime) -> None:
    """Drop requests too old for Slack to retry or anyone to confirm (the draws keep their
    audit records); the table stays the size of a few days of draws."""
    session.execute(delete(CommandRequest).where(CommandRequest.created_at < now - KEEP_REQUESTS))


def _by_key(session: Session, key: str) -> CommandRequest | None:
    return session.scalar(select(CommandRequest).where(CommandRequest.key == key))


def _remember(
    session: Session,
    key: str,
    who: audit.Actor,
    args: DrawArgs,
    state: RequestState,
    result: str | None,
    now: datetime,
) -> CommandRequest:
    row = CommandRequest(
        key=key,
        user_id=who.name,
        action=DRAW,
        args=args.to_json(),
        state=state,
        result=result,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
