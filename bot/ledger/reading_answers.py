"""The owner's answer to a reading request: the same as last, new figures, or "can't see it".

Each answer is one transaction: the request is claimed for the answer by a conditional UPDATE
(`... WHERE id = ? AND state = 'open'`, exactly one row or none), so a double tap, or two
people answering at once, records one answer; then the reading is recorded, stamped with the
time of the tap (`bot.ledger.observations.record_limit_reading`, audited as `limit.add`), or
for "can't see it" the request itself is the observation (`answer = unavailable`, with its
time), which `platform_unavailable` (jobs/checks/unavailable.py) reads. A late answer (after
the next slot's request went out) counts like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.outbox import SENT
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.check_marks import mark_checks_due
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.ledger.portfolio import position_lines
from bot.ledger.reading_requests import Answer, RequestKind, RequestState, last_reading
from bot.ledger.request_reminders import first_message, request_messages
from bot.models import Facility, LimitReading, ReadingRequest


@dataclass(frozen=True)
class Answered:
    """What an answer recorded (or, `already`, what an earlier one did)."""

    request: ReadingRequest
    facility: Facility
    reading: LimitReading | None
    late: bool
    already: bool = False


@dataclass(frozen=True)
class Prefill:
    """What the **Changed…** form shows: the last figures and the ledger's expected available."""

    facility: Facility
    # The limit and available the request's message showed (`shown_figures`), if any.
    last_limit: Decimal | None
    last_available: Decimal | None
    expected_available: Decimal


# What the audit trail calls each kind's answers: `reading_request.same`, `bill_request.billed`.
AUDITED_AS = {
    RequestKind.LIMIT: "reading_request",
    RequestKind.BILL: "bill_request",
    RequestKind.DRAW: "draw_request",
}
NO_SUCH = {
    RequestKind.LIMIT: N_("there is no reading request {id}"),
    RequestKind.BILL: N_("there is no bill request {id}"),
    RequestKind.DRAW: N_("there is no draw request {id}"),
}


def get_request(
    session: Session, request_id: int, kind: RequestKind = RequestKind.LIMIT
) -> tuple[ReadingRequest, Facility]:
    """The request of `kind` and its facility; refused when there is none."""
    request = session.get(ReadingRequest, request_id)
    if request is None or request.kind != kind:
        raise InputError(_(NO_SUCH[kind]).format(id=request_id))
    return request, session.get_one(Facility, request.facility_id)


def claim(
    session: Session, actor: audit.Actor, request: ReadingRequest, answer: Answer, *, now: datetime
) -> bool:
    """Claim an open request for `answer` (any kind): one conditional UPDATE, so of two taps at
    once exactly one gets True; the request is read again either way."""
    claimed = session.execute(
        update(ReadingRequest)
        .where(ReadingRequest.id == request.id, ReadingRequest.state == RequestState.OPEN)
        .values(state=RequestState.ANSWERED, answer=answer, answered_by=actor.name, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return bool(claimed.rowcount == 1)


def audit_answer(
    session: Session, actor: audit.Actor, request: ReadingRequest, *, now: datetime
) -> None:
    """The audit record of an answer (`reading_request.same`, `bill_request.not_yet`, …)."""
    action = f"{AUDITED_AS[RequestKind(request.kind)]}.{request.answer}"
    audit.record(session, actor, action, request, at=now, before={"state": RequestState.OPEN})


def prefill(session: Session, request_id: int) -> Prefill:
    """The form's figures for request `request_id`: those its message showed (as **Same as
    last** records them), and the ledger's expected available."""
    request, facility = get_request(session, request_id)
    [line] = position_lines(session, facility_id=facility.id)
    shown = shown_figures(session, request)
    if shown is None:
        return Prefill(facility, None, None, line.available)
    return Prefill(facility, shown[0], shown[1], line.available)


def answer_same(
    session: Session, actor: audit.Actor, request_id: int, *, now: datetime
) -> Answered:
    """Record again the figures the request's message showed (what the owner confirmed seeing),
    observed now; refused when it showed none."""
    request, facility = get_request(session, request_id)
    figures = shown_figures(session, request)
    if figures is None and request.state == RequestState.OPEN:
        raise InputError(
            _(
                "there is no earlier reading of {facility} to repeat; tap Changed… and type "
                "what the platform shows"
            ).format(facility=facility.slug)
        )
    return _answer(session, actor, request, facility, Answer.SAME, now=now, figures=figures)


def shown_figures(
    session: Session, request: ReadingRequest
) -> tuple[Decimal, Decimal | None, str] | None:
    """The last reading the request's newest delivered message showed (its outbox payload's
    `last`: limit, available, status; the reminder's once it is delivered, which shows the
    last reading as it was then), not whatever reading is newest now: a reading recorded after
    that message (a robot's, a colleague's) is not what the owner saw beside it. The newest
    reading only when the request has no message (it always has one)."""
    messages = request_messages(session, [request.id]).get(request.id, [])
    sent = [m for m in messages if m.state == SENT]
    first = sent[-1] if sent else first_message(messages)
    if first is None:
        last = last_reading(session, request.facility_id)
        return None if last is None else (last.limit_amount, last.available, last.status)
    facts = first.payload.get("last")
    if not facts:
        return None
    available = facts.get("available")
    return (
        Decimal(facts["limit"]),
        None if available is None else Decimal(available),
        facts.get("status") or LimitStatus.ACTIVE,
    )


def answer_changed(
    session: Session,
    actor: audit.Actor,
    request_id: int,
    *,
    limit_amount: Decimal,
    available: Decimal | None,
    now: datetime,
) -> Answered:
    """Record the figures the owner typed, observed now."""
    request, facility = get_request(session, request_id)
    if available is not None and available > limit_amount:
        raise InputError(
            _("available cannot be more than the limit; check both figures on the platform")
        )
    figures = (limit_amount, available, LimitStatus.ACTIVE)
    return _answer(session, actor, request, facility, Answer.CHANGED, now=now, figures=figures)


def answer_unavailable(
    session: Session, actor: audit.Actor, request_id: int, *, now: datetime
) -> Answered:
    """Record that the platform could not be seen now (down, in maintenance)."""
    request, facility = get_request(session, request_id)
    return _answer(session, actor, request, facility, Answer.UNAVAILABLE, now=now, figures=None)


def _answer(
    session: Session,
    actor: audit.Actor,
    request: ReadingRequest,
    facility: Facility,
    answer: Answer,
    *,
    now: datetime,
    figures: tuple[Decimal, Decimal | None, str] | None,
) -> Answered:
    claimed = claim(session, actor, request, answer, now=now)
    late = _late(session, request)
    if not claimed:
        reading = (
            None if request.reading_id is None else session.get(LimitReading, request.reading_id)
        )
        return Answered(request, facility, reading, late, already=True)
    reading = None
    if figures is not None:
        limit_amount, available, status = figures
        reading = record_limit_reading(
            session,
            actor,
            facility,
            limit_amount=limit_amount,
            available=available,
            status=LimitStatus(status),
            now=now,
            observed_at=now,
        ).row
        session.flush()
        request.reading_id = reading.id
    # "Can't see it" is an observation too (platform_unavailable reads it), written past the ORM.
    mark_checks_due(session, [facility.id])
    audit_answer(session, actor, request, now=now)
    return Answered(request, facility, reading, late)


def _late(session: Session, request: ReadingRequest) -> bool:
    """Whether the facility's next request went out before this one was answered."""
    later = exists().where(
        ReadingRequest.kind == RequestKind.LIMIT,
        ReadingRequest.facility_id == request.facility_id,
        ReadingRequest.slot > request.slot,
    )
    return bool(session.scalar(select(later)))
