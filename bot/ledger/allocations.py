"""Allocations over time: where the ledger had placed each repayment's money at a moment.

A replay (a backdated or removed repayment, a new holiday rule: `bot.ledger.repayments.replay`)
places every repayment again, and may place an earlier-recorded one otherwise. `check --at T`
must still read what the ledger said at T, so allocations keep their time:

- `repayment_allocations.recorded_at` is since when the ledger has placed the money this way:
  when the repayment was recorded, or when a replay placed it otherwise. A replay that places a
  repayment's money exactly as before (same draw, installment, principal, interest, penalty)
  keeps the time it had (:func:`keep_replaced`).
- What a replay no longer places, and a removed repayment's allocations, go to
  `allocation_history`, in force from their `recorded_at` until `superseded_at` (the replay's
  or the removal's time).

:func:`allocations_at` is every allocation in force at T (a subquery), and :func:`paid_at` what
they paid toward one installment; :func:`changed_after` says whether anything changed after T,
so a check run "as of now" reads the tables as they are.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from bot.models import (
    AllocationHistory,
    Draw,
    Facility,
    Installment,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Held:
    """One allocation as the ledger held it, with the installment named by its place."""

    allocation_id: int
    repayment_id: int
    draw_id: int
    installment_id: int | None
    revision: int | None
    seq: int | None
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    paid_on: date
    recorded_at: datetime | None

    def placed(self) -> tuple[Any, ...]:
        """Where the money went, which a replay either repeats or changes."""
        return (
            self.repayment_id,
            self.draw_id,
            self.revision,
            self.seq,
            self.principal,
            self.interest,
            self.penalty,
        )


def held_allocations(
    session: Session, facility: Facility, repayment_id: int | None = None
) -> list[Held]:
    """The facility's allocations as they are now (only ``repayment_id``'s, when given)."""
    query = (
        select(
            RepaymentAllocation.id,
            RepaymentAllocation.repayment_id,
            RepaymentAllocation.draw_id,
            RepaymentAllocation.installment_id,
            Installment.revision,
            Installment.seq,
            RepaymentAllocation.principal,
            RepaymentAllocation.interest,
            RepaymentAllocation.penalty,
            Repayment.paid_on,
            func.coalesce(RepaymentAllocation.recorded_at, Repayment.created_at),
        )
        .join(Repayment, Repayment.id == RepaymentAllocation.repayment_id)
        .outerjoin(Installment, Installment.id == RepaymentAllocation.installment_id)
        .where(Repayment.facility_id == facility.id)
        .order_by(RepaymentAllocation.id)
    )
    if repayment_id is not None:
        query = query.where(Repayment.id == repayment_id)
    session.flush()
    return [Held(*row) for row in session.execute(query)]


def retire(session: Session, facility: Facility, held: list[Held], *, now: datetime) -> None:
    """Keep ``held`` allocations in the history, in force until ``now``."""
    for allocation in held:
        session.add(
            AllocationHistory(
                facility_id=facility.id,
                repayment_id=allocation.repayment_id,
                draw_id=allocation.draw_id,
                installment_id=allocation.installment_id,
                installment_revision=allocation.revision,
                installment_seq=allocation.seq,
                principal=allocation.principal,
                interest=allocation.interest,
                penalty=allocation.penalty,
                paid_on=allocation.paid_on,
                recorded_at=allocation.recorded_at,
                superseded_at=now,
            )
        )
    session.flush()


def keep_replaced(
    session: Session, facility: Facility, before: list[Held], *, now: datetime
) -> None:
    """After a replay: an allocation placed as before keeps its time, a new one is recorded
    ``now``, and one no longer placed is kept in the history until ``now``."""
    unmatched: dict[tuple[Any, ...], list[Held]] = defaultdict(list)
    for allocation in before:
        unmatched[allocation.placed()].append(allocation)
    times = []
    for allocation in held_allocations(session, facility):
        same = unmatched.get(allocation.placed())
        times.append(
            {"row": allocation.allocation_id, "at": same.pop(0).recorded_at if same else now}
        )
    if times:
        table = RepaymentAllocation.__table__
        stamp = table.update().where(table.c.id == bindparam("row"))
        session.execute(stamp.values(recorded_at=bindparam("at")), times)
    retire(session, facility, [a for left in unmatched.values() for a in left], now=now)
    for allocation in session.identity_map.values():
        if isinstance(allocation, RepaymentAllocation):
            session.expire(allocation, ["recorded_at"])


def _known_by(column: Any, now: datetime) -> ColumnElement[bool]:
    """Recorded by ``now`` (NULL, a row written past the ORM: known all along)."""
    return or_(column.is_(None), column <= now)


def allocations_at(now: datetime) -> Any:
    """Every allocation in force at ``now`` (a subquery): draw_id, installment_id, revision,
    seq (the installment's place, NULL for an early repayment), principal, interest, penalty,
    the repayment's paid_on and its id (repayment_id; the repayment may be removed since).

    The live rows recorded by then, and the history's rows recorded by then and replaced
    after. A live row's installment place comes from the installment it names.
    """
    live = (
        select(
            RepaymentAllocation.draw_id.label("draw_id"),
            RepaymentAllocation.installment_id.label("installment_id"),
            Installment.revision.label("revision"),
            Installment.seq.label("seq"),
            RepaymentAllocation.principal.label("principal"),
            RepaymentAllocation.interest.label("interest"),
            RepaymentAllocation.penalty.label("penalty"),
            Repayment.paid_on.label("paid_on"),
            RepaymentAllocation.repayment_id.label("repayment_id"),
        )
        .join(Repayment, Repayment.id == RepaymentAllocation.repayment_id)
        .outerjoin(Installment, Installment.id == RepaymentAllocation.installment_id)
        .where(_known_by(RepaymentAllocation.recorded_at, now))
    )
    history = select(
        AllocationHistory.draw_id,
        AllocationHistory.installment_id,
        AllocationHistory.installment_revision,
        AllocationHistory.installment_seq,
        AllocationHistory.principal,
        AllocationHistory.interest,
        AllocationHistory.penalty,
        AllocationHistory.paid_on,
        AllocationHistory.repayment_id,
    ).where(_known_by(AllocationHistory.recorded_at, now), AllocationHistory.superseded_at > now)
    return union_all(live, history).subquery("allocations_then")


def paid_at(now: datetime, installment: Any = Installment) -> ColumnElement[int]:
    """Principal and interest paid toward ``installment`` (the row in the query) by the
    allocations in force at ``now``, in integer fen (correlated; 0 when none).

    Both by its place (draw, revision and seq), which a replay that writes a regenerated
    installment again keeps: the live rows name an installment at that place now, which may be
    a later version than ``installment`` (the row a replay replaced, in force at ``now``).
    """
    named = aliased(Installment, name="named")
    live = (
        select(func.sum(_fen(RepaymentAllocation.principal) + _fen(RepaymentAllocation.interest)))
        .join(named, named.id == RepaymentAllocation.installment_id)
        .where(
            named.draw_id == installment.draw_id,
            named.revision == installment.revision,
            named.seq == installment.seq,
            _known_by(RepaymentAllocation.recorded_at, now),
        )
        .correlate(installment)
        .scalar_subquery()
    )
    history = (
        select(func.sum(_fen(AllocationHistory.principal) + _fen(AllocationHistory.interest)))
        .where(
            AllocationHistory.draw_id == installment.draw_id,
            AllocationHistory.installment_revision == installment.revision,
            AllocationHistory.installment_seq == installment.seq,
            _known_by(AllocationHistory.recorded_at, now),
            AllocationHistory.superseded_at > now,
        )
        .correlate(installment)
        .scalar_subquery()
    )
    return func.coalesce(live, 0) + func.coalesce(history, 0)


def placed_at(now: datetime, repayment: Any = Repayment) -> ColumnElement[int]:
    """What the allocations in force at ``now`` had placed of ``repayment`` (the row in the
    query: principal, interest and penalty), in integer fen (correlated; 0 when none). The rest
    of its amount was what the ledger could not explain at ``now`` (`repayment_mismatch`)."""

    def placed(table: Any) -> Any:
        return func.sum(_fen(table.principal) + _fen(table.interest) + _fen(table.penalty))

    live = (
        select(placed(RepaymentAllocation))
        .where(
            RepaymentAllocation.repayment_id == repayment.id,
            _known_by(RepaymentAllocation.recorded_at, now),
        )
        .correlate(repayment)
        .scalar_subquery()
    )
    history = (
        select(placed(AllocationHistory))
        .where(
            AllocationHistory.repayment_id == repayment.id,
            _known_by(AllocationHistory.recorded_at, now),
            AllocationHistory.superseded_at > now,
        )
        .correlate(repayment)
        .scalar_subquery()
    )
    return func.coalesce(live, 0) + func.coalesce(history, 0)


def placed_on(held: Any, installment: Any = Installment) -> ColumnElement[bool]:
    """A row of :func:`allocations_at` (``held``) paid toward ``installment``: by its place,
    which a replay that writes a regenerated installment again keeps."""
    return and_(
        held.c.draw_id == installment.draw_id,
        held.c.revision == installment.revision,
        held.c.seq == installment.seq,
    )


def open_at(now: datetime, installment: Any = Installment) -> ColumnElement[bool]:
    """``installment`` (the row in the query) was not paid in full at ``now``, by the
    allocations in force then."""
    return _fen(installment.amount) > paid_at(now, installment)


def changed_after(now: datetime) -> ColumnElement[bool]:
    """An allocation was recorded, or replaced, after ``now`` (two index probes)."""
    return or_(
        exists().where(RepaymentAllocation.recorded_at > now),
        exists().where(AllocationHistory.superseded_at > now),
    )


def facilities_changed_after(now: datetime) -> Select[Any]:
    """The facilities whose allocations changed after ``now`` (ids; empty but for a check run
    "as of" an earlier moment)."""
    return (
        union_all(
            select(Draw.facility_id)
            .join(RepaymentAllocation, RepaymentAllocation.draw_id == Draw.id)
            .where(RepaymentAllocation.recorded_at > now),
            select(AllocationHistory.facility_id).where(AllocationHistory.superseded_at > now),
        )
        .subquery("allocations_changed")
        .select()
    )


def _fen(column: Any) -> Any:
    """Money as the integer fen it is stored as, for arithmetic in SQL (as the checks do)."""
    return type_coerce(column, BigInteger)
