"""A batch of observations applied to the ledger, all of it or none of it.

The limit readings go in together through `bot.ledger.limit_batch` (checked first, then one
INSERT and one refresh of the summaries for the batch). Bills and payouts go through the
ledger's own recorders (`bot.ledger.observations`, `bot.ledger.bills`,
`bot.ledger.confirmations`) one by one, each in a savepoint of its own so that one refused
observation leaves no trace while the others are still tried. Either way every refusal is
reported at once and the caller then rolls the whole request back.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from bot import audit
from bot.api import messages
from bot.api.schemas import (
    BatchResult,
    BillObservation,
    ItemResult,
    LimitObservation,
    Outcome,
    PayoutObservation,
    Problem,
)
from bot.errors import InputError
from bot.ledger.confirmations import confirm_draw
from bot.ledger.limit_batch import LimitSeen, record_limit_readings
from bot.ledger.locks import lock_facilities
from bot.ledger.observations import (
    LimitStatus,
    observation_time,
    record_bill,
    record_draw_confirmation,
)
from bot.models import Draw, Facility

Item = LimitObservation | BillObservation | PayoutObservation
# The field a ledger recorder's refusal concerns, once the shape is right: the calendar and the
# amount rules are checked with the shape (bot.api.schemas), so what is left of a bill's is its
# due date, and of a payout's its arrival (before its draw was drawn, in the future).
_LEDGER_FIELD: dict[type, str] = {BillObservation: "due_date", PayoutObservation: "observed_at"}


@dataclass(frozen=True)
class Applied:
    """The batch's answer (`result`), or what was wrong with it (`problems`, nothing kept)."""

    result: BatchResult | None
    problems: list[Problem]


def unknown_references(session: Session, items: dict[int, Item]) -> list[Problem]:
    """A problem for each observation (by index) that names a facility there is none of, or a
    draw that facility does not have."""
    known = _facilities(session, {item.facility for item in items.values()})
    draws = {
        (facility_id, draw_id)
        for facility_id, draw_id in session.execute(
            select(Draw.facility_id, Draw.id).where(
                Draw.id.in_(
                    {i.draw for i in items.values() if isinstance(i, PayoutObservation) and i.draw}
                )
            )
        )
    }
    problems = []
    for index, item in items.items():
        facility = known.get(item.facility)
        if facility is None:
            problems.append(
                Problem(index=index, field="facility", reason=_no_facility(item.facility))
            )
        elif (
            isinstance(item, PayoutObservation)
            and item.draw is not None
            and (facility.id, item.draw) not in draws
        ):
            reason = messages.no_draw(facility.slug, item.draw)
            problems.append(Problem(index=index, field="draw", reason=reason))
    return problems


def apply_batch(
    session: Session, actor: audit.Actor, items: list[Item], *, now: datetime
) -> Applied:
    """Record every observation; on any refusal the caller must roll back."""
    facilities = _facilities(session, {item.facility for item in items})
    # One writer at a time per facility: a batch sent twice at once is new once, seen before
    # (or a correction) the second time, never two of each (bot.ledger.locks).
    lock_facilities(session, [facility.id for facility in facilities.values()])
    outcomes: dict[int, tuple[Outcome, bool, int | None]] = {}
    problems = _bill_conflicts(items)
    conflicting = {problem.index for problem in problems}
    readings: dict[int, LimitSeen] = {}
    for index, item in enumerate(items):
        facility = facilities.get(item.facility)
        if index in conflicting:
            continue
        if facility is None:
            problems.append(
                Problem(index=index, field="facility", reason=_no_facility(item.facility))
            )
        elif (refused := _time_refused(item, facility, now)) is not None:
            problems.append(Problem(index=index, field="observed_at", reason=refused))
        elif isinstance(item, LimitObservation):
            readings[index] = _limit_seen(facility, item)
        else:
            try:
                with session.begin_nested():
                    outcomes[index] = _record(session, actor, facility, item, now)
            except InputError as exc:
                field = _LEDGER_FIELD[type(item)]
                problems.append(Problem(index=index, field=field, reason=str(exc)))
    # Already refused: the readings are still checked, to tell all their problems, not written.
    batch = record_limit_readings(session, actor, readings, now=now, write=not problems)
    problems.extend(_reading_problems(readings, batch.refused))
    if problems:
        return Applied(None, sorted(problems, key=lambda p: p.index))
    for index, new in batch.new.items():
        outcomes[index] = (Outcome.NEW if new else Outcome.SEEN_BEFORE), False, None
    results = [
        ItemResult(
            index=index,
            kind=items[index].kind,
            facility=items[index].facility,
            outcome=outcome,
            updated=updated,
            draw=draw,
        )
        for index, (outcome, updated, draw) in sorted(outcomes.items())
    ]
    counts = Counter(r.outcome for r in results)
    return Applied(BatchResult(results=results, counts={o: counts[o] for o in Outcome}), [])


def _time_refused(item: Item, facility: Facility, now: datetime) -> str | None:
    """Why the observation's time is refused (outside the calendar, in the future), if it is:
    the ledger's rule, for every kind, before anything else looks at the time."""
    try:
        observation_time(item.observed_at, now, facility)
    except InputError as exc:
        return str(exc)
    return None


def _reading_problems(readings: dict[int, LimitSeen], refused: dict[int, str]) -> list[Problem]:
    """The readings refused; one that contradicts an earlier reading of the same batch says
    which (the ledger's message speaks of a reading already there)."""
    first: dict[tuple[int, datetime], int] = {}
    for index in sorted(readings):
        seen = readings[index]
        assert seen.observed_at is not None  # the API's readings always say when
        first.setdefault((seen.facility.id, seen.observed_at.astimezone(UTC)), index)
    problems = []
    for index, reason in refused.items():
        seen = readings[index]
        assert seen.observed_at is not None
        earlier = first[(seen.facility.id, seen.observed_at.astimezone(UTC))]
        if earlier != index and earlier not in refused:
            reason = messages.conflict_in_batch(seen.facility.slug, earlier, index)
        problems.append(Problem(index=index, field="observed_at", reason=reason))
    return problems


def _bill_conflicts(items: list[Item]) -> list[Problem]:
    """One batch shows a bill one way: two observations of the same bill (the same facility and
    due date, and the same reference or one without) with two amounts, or paid and unpaid, are
    refused on the later one, naming both, rather than the last silently winning (as a
    statement's import refuses a bill given two amounts)."""
    earlier: dict[tuple[str, date], list[tuple[int, BillObservation]]] = {}
    problems = []
    for index, item in enumerate(items):
        if not isinstance(item, BillObservation):
            continue
        same_day = earlier.setdefault((item.facility, item.due_date), [])
        for first, other in same_day:
            if not (item.reference == other.reference or None in (item.reference, other.reference)):
                continue
            due = item.due_date.isoformat()
            if other.amount != item.amount:
                reason = messages.bill_two_amounts(due, first, index)
                problems.append(Problem(index=index, field="amount", reason=reason))
                break
            if other.paid != item.paid:
                reason = messages.bill_paid_and_unpaid(due, first, index)
                problems.append(Problem(index=index, field="paid", reason=reason))
                break
        same_day.append((index, item))
    return problems


def _limit_seen(facility: Facility, item: LimitObservation) -> LimitSeen:
    return LimitSeen(
        facility=facility,
        limit_amount=item.limit,
        available=item.available,
        status=LimitStatus(item.status),
        observed_at=item.observed_at,
    )


def _record(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    item: BillObservation | PayoutObservation,
    now: datetime,
) -> tuple[Outcome, bool, int | None]:
    if isinstance(item, BillObservation):
        bill = record_bill(
            session,
            actor,
            facility,
            due_date=item.due_date,
            amount=item.amount,
            paid=item.paid,
            observed_at=item.observed_at,
            reference=item.reference,
            now=now,
        )
        if bill.corrected:
            return Outcome.CORRECTION, True, None
        return (Outcome.NEW if bill.new else Outcome.SEEN_BEFORE), bill.updated, None
    return _payout(session, actor, facility, item, now)


def _payout(
    session: Session, actor: audit.Actor, facility: Facility, item: PayoutObservation, now: datetime
) -> tuple[Outcome, bool, int | None]:
    """The outcome, and the draw the payout confirmed (None: recorded unmatched)."""
    if item.draw is not None:
        confirmed = confirm_draw(
            session, actor, facility, item.draw, now=now, arrived_at=item.observed_at
        )
        return (Outcome.SEEN_BEFORE if confirmed.already else Outcome.NEW), False, item.draw
    assert item.amount is not None  # the model takes a draw or an amount
    # Without the platform's order number, a payout is known by its moment and amount, so the
    # same payout posted again is seen before, not a second one.
    moment = item.observed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    reference = item.reference or f"api:{moment}:{item.amount}"
    recorded = record_draw_confirmation(
        session,
        actor,
        facility,
        occurred_at=item.observed_at,
        amount=item.amount,
        external_ref=reference,
        description=None,
        now=now,
    )
    outcome = Outcome.NEW if recorded.new else Outcome.SEEN_BEFORE
    return outcome, False, recorded.row.draw_id


def _facilities(session: Session, slugs: set[str]) -> dict[str, Facility]:
    if not slugs:
        return {}
    # A thousand slugs: one array parameter on PostgreSQL (`among`) instead of a thousand.
    if session.get_bind().dialect.name == "postgresql":
        chosen = Facility.slug == any_(bindparam(None, sorted(slugs), type_=ARRAY(String)))
    else:
        chosen = Facility.slug.in_(slugs)
    return {facility.slug: facility for facility in session.scalars(select(Facility).where(chosen))}


def _no_facility(slug: str) -> str:
    return messages.no_facility(slug)
