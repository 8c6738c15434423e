"""Bill requests: when a bill's lead window opens and no bill is seen, the owner is asked.

1. The `bill_requests` wake-up (`jobs.requests.run_bill_requests`, beside the reading requests
   in every cycle) finds, for each active facility with an owner (`reading_owner`), the days
   whose installments' bill should be visible from now on (`bill_missing`'s lead: due − lead
   days, in the facility's zone) that no bill matches, and sends the owner one request per
   (facility, due date): "Has the bill for 2026-12-10 appeared? The ledger expects ¥4,498.77".
   The row's unique (facility, due date) is the claim (:func:`send_bill_request`).
2. The owner answers (:func:`answer_billed`, :func:`answer_different`, :func:`answer_not_yet`),
   each claimed by the conditional UPDATE all requests share
   (`bot.ledger.reading_answers.claim`). **Yes, as expected** and **Different amount…** record
   the bill as `/loan bill` does (`bot.ledger.bills.record_bill`, audited `bill.add`), observed
   at the time of the tap; a late answer (after `bill_missing` opened) counts, and the next run
   of the checks resolves the alert. When the ledger has a bill for the day already (a script,
   a colleague, an import), **Yes** records nothing (answer `ledger`: the message says what is
   recorded, paid or not), so it never marks a paid bill unpaid nor overwrites an amount the
   platform showed; **Different amount…** records the typed amount as a correction only if it
   differs, keeping the paid mark (and when it was paid) as it was.
3. `bill_missing`, when it still fires for that day, says the owner was asked and when
   (`jobs.checks.bills.asked`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError
from bot.i18n import _
from bot.i18n.formats import day
from bot.ledger.bills import current_bill_versions, record_bill
from bot.ledger.platforms import short_name
from bot.ledger.reading_answers import audit_answer, claim, get_request
from bot.ledger.reading_requests import Answer, RequestKind, RequestState, send_request
from bot.models import Bill, Facility, Installment, ReadingRequest
from bot.money import money_str


@dataclass(frozen=True)
class BillAnswered:
    """What an answer to a bill request recorded (or, `already`, what an earlier one did)."""

    request: ReadingRequest
    facility: Facility
    bill: Bill | None
    already: bool = False

    @property
    def found(self) -> bool:
        """Nothing was recorded: `bill` is what the ledger had already (answer `ledger`)."""
        return self.request.answer == Answer.LEDGER and self.bill is not None


def send_bill_request(
    session: Session,
    facility: Facility,
    *,
    due_date: date,
    expected: Decimal,
    slot: datetime,
    now: datetime,
) -> ReadingRequest | None:
    """Ask `facility`'s owner whether the bill due `due_date` appeared; None when it was asked
    already (the claim)."""
    assert facility.reading_owner is not None

    def payload(request: ReadingRequest) -> dict[str, Any]:
        return {
            "request_id": request.id,
            "facility": facility.slug,
            "platform": short_name(facility.platform.display_name),
            "currency": facility.currency,
            "zone": facility.timezone,
            "due_date": due_date.isoformat(),
            "expected": money_str(expected),
        }

    return send_request(
        session,
        RequestKind.BILL,
        facility,
        owner=facility.reading_owner,
        slot=slot,
        payload=payload,
        now=now,
        due_date=due_date,
    )


def expected_on(session: Session, facility_id: int, due_date: date) -> Decimal:
    """What the ledger expects billed on `due_date`: its installments in force due that day."""
    total = session.scalar(
        select(func.sum(Installment.amount)).where(
            Installment.facility_id == facility_id,
            Installment.due_date == due_date,
            Installment.superseded_at.is_(None),
        )
    )
    return Decimal(0) if total is None else Decimal(total)


def prefill(session: Session, request_id: int) -> tuple[Facility, date, Decimal]:
    """What the **Different amount…** form shows: the facility, the due date, the expected."""
    request, facility = get_request(session, request_id, RequestKind.BILL)
    assert request.due_date is not None
    return facility, request.due_date, expected_on(session, facility.id, request.due_date)


def answer_billed(
    session: Session, actor: audit.Actor, request_id: int, *, now: datetime
) -> BillAnswered:
    """Yes, as expected: the bill recorded at what the ledger expects, observed now."""
    request, facility = get_request(session, request_id, RequestKind.BILL)
    assert request.due_date is not None
    expected = expected_on(session, facility.id, request.due_date)
    held = day_bill(session, facility.id, request.due_date)
    if expected <= 0 and request.state == RequestState.OPEN and held is None:
        raise InputError(
            _(
                "the ledger expects nothing due {due} on {facility} any more; tap Different "
                "amount… if the platform shows a bill"
            ).format(due=day(request.due_date, near=now.date()), facility=facility.slug)
        )
    return _answer(session, actor, request, facility, Answer.BILLED, expected, now=now)


def answer_different(
    session: Session, actor: audit.Actor, request_id: int, *, amount: Decimal, now: datetime
) -> BillAnswered:
    """Different amount…: the bill recorded at the amount the owner typed, observed now."""
    request, facility = get_request(session, request_id, RequestKind.BILL)
    if amount <= 0:
        raise InputError(_("a bill must be more than zero"))
    return _answer(session, actor, request, facility, Answer.DIFFERENT, amount, now=now)


def answer_not_yet(
    session: Session, actor: audit.Actor, request_id: int, *, now: datetime
) -> BillAnswered:
    """Not yet: the answer kept, with its time; nothing else recorded."""
    request, facility = get_request(session, request_id, RequestKind.BILL)
    return _answer(session, actor, request, facility, Answer.NOT_YET, None, now=now)


def _answer(
    session: Session,
    actor: audit.Actor,
    request: ReadingRequest,
    facility: Facility,
    answer: Answer,
    amount: Decimal | None,
    *,
    now: datetime,
) -> BillAnswered:
    assert request.due_date is not None
    held = None if amount is None else day_bill(session, facility.id, request.due_date)
    # The ledger has the bill already: Yes records nothing (never the paid mark, never the
    # amount the platform showed); Different amount… only corrects another amount.
    keeps = held is not None and (answer == Answer.BILLED or held.amount == amount)
    if not claim(session, actor, request, Answer.LEDGER if keeps else answer, now=now):
        bill = None if request.bill_id is None else session.get(Bill, request.bill_id)
        return BillAnswered(request, facility, bill, already=True)
    bill = held
    if amount is not None and not keeps:
        bill = record_bill(
            session,
            actor,
            facility,
            due_date=request.due_date,
            amount=amount,
            paid=held is not None and held.paid,
            now=now,
            observed_at=now,
            reference=None if held is None else held.reference,
        ).row
        if held is not None and held.paid:
            # A correction of the amount: the bill was paid when it was, not at this tap.
            bill.paid_at, bill.paid_recorded_at = held.paid_at, held.paid_recorded_at
    if bill is not None:
        session.flush()
        request.bill_id = bill.id
    audit_answer(session, actor, request, now=now)
    return BillAnswered(request, facility, bill)


def day_bill(session: Session, facility_id: int, due_date: date) -> Bill | None:
    """The bill the ledger has for `due_date` as it stands (the first, if there are several)."""
    return session.scalars(
        select(Bill)
        .where(
            Bill.facility_id == facility_id,
            Bill.due_date == due_date,
            current_bill_versions(),
        )
        .order_by(Bill.id)
        .limit(1)
    ).first()
