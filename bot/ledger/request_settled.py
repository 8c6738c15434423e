"""Requests the ledger has answered by other means are closed, not asked again.

A bill request whose day has a bill (a script, a colleague, an import recorded it) and an
arrival request whose draw is confirmed (a payout, a bill, a reading, someone's "Money
arrived") need nobody's tap. The reminder wake-up (`bot.ledger.request_reminders`) closes
them first: state `answered`, answer `ledger`, answered by `system`, at the wake-up's time
(the bill found kept in `bill_id`), audited `bill_request.ledger` / `draw_request.ledger`.
Closed, they get no reminder and are not listed as waiting (App Home, `requests list`). Their
messages keep their buttons; a tap then says what the ledger has (`bot.slack.request_blocks`).
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.ledger.bills import current_bill_versions
from bot.ledger.reading_requests import Answer, RequestKind, RequestState
from bot.models import Bill, Draw, ReadingRequest


def unsettled() -> ColumnElement[bool]:
    """The request is not one the ledger answers already (for App Home between two wake-ups):
    not a bill request whose day has a bill, nor an arrival request whose draw is confirmed."""
    billed = exists().where(
        Bill.facility_id == ReadingRequest.facility_id,
        Bill.due_date == ReadingRequest.due_date,
        current_bill_versions(),
    )
    arrived = exists().where(Draw.id == ReadingRequest.draw_id, Draw.confirmed_at.is_not(None))
    return not_(
        or_(
            and_(ReadingRequest.kind == RequestKind.BILL, billed),
            and_(ReadingRequest.kind == RequestKind.DRAW, arrived),
        )
    )


def settle_open(session: Session, *, now: datetime) -> set[int]:
    """Close every open bill and arrival request the ledger answers already (the wake-up)."""
    kinds = (RequestKind.BILL, RequestKind.DRAW)
    requests = session.scalars(
        select(ReadingRequest)
        .where(ReadingRequest.state == RequestState.OPEN, ReadingRequest.kind.in_(kinds))
        .order_by(ReadingRequest.id)
    ).all()
    return settle(session, list(requests), now=now)


def newest_limit_slots(session: Session, facility_ids: set[int]) -> dict[int, datetime]:
    """Each facility's newest limit request's slot (answered or not): an older question is
    superseded by it, and not reminded."""
    if not facility_ids:
        return {}
    rows = session.execute(
        select(ReadingRequest.facility_id, func.max(ReadingRequest.slot))
        .where(
            ReadingRequest.kind == RequestKind.LIMIT,
            ReadingRequest.facility_id.in_(facility_ids),
        )
        .group_by(ReadingRequest.facility_id)
    ).all()
    return {facility_id: slot for facility_id, slot in rows}


def settle(session: Session, requests: list[ReadingRequest], *, now: datetime) -> set[int]:
    """Close the open bill and arrival requests among `requests` that the ledger answers
    already; the ids closed (each by a conditional UPDATE: an answer at once wins)."""
    bills = [r for r in requests if r.kind == RequestKind.BILL and r.due_date is not None]
    draws = [r for r in requests if r.kind == RequestKind.DRAW and r.draw_id is not None]
    found: dict[int, int | None] = {}
    if bills:
        held = session.execute(
            select(Bill.facility_id, Bill.due_date, Bill.id)
            .where(
                Bill.facility_id.in_({r.facility_id for r in bills}),
                Bill.due_date.in_({r.due_date for r in bills}),
                current_bill_versions(),
            )
            .order_by(Bill.id.desc())
        ).all()
        day = {(f, d): b for f, d, b in held}  # the first bill of the day wins (desc order)
        found |= {
            r.id: day[(r.facility_id, r.due_date)]
            for r in bills
            if (r.facility_id, r.due_date) in day
        }
    if draws:
        confirmed = set(
            session.scalars(
                select(Draw.id).where(
                    Draw.id.in_({r.draw_id for r in draws}), Draw.confirmed_at.is_not(None)
                )
            )
        )
        found |= {r.id: None for r in draws if r.draw_id in confirmed}
    closed = set()
    for request in requests:
        if request.id not in found:
            continue
        done = session.execute(
            update(ReadingRequest)
            .where(ReadingRequest.id == request.id, ReadingRequest.state == RequestState.OPEN)
            .values(
                state=RequestState.ANSWERED,
                answer=Answer.LEDGER,
                answered_by=audit.SYSTEM.name,
                answered_at=now,
                bill_id=found[request.id],
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:
            session.refresh(request)
            action = f"{request.kind}_request.{Answer.LEDGER}"
            audit.record(
                session, audit.SYSTEM, action, request, at=now, before={"state": RequestState.OPEN}
            )
            closed.add(request.id)
    return closed
