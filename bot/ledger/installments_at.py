"""Installments over time: the schedule the ledger held at a moment.

An early repayment supersedes a draw's unpaid installments and writes the regenerated rest of
the schedule as the next revision (`bot.ledger.repayments.allocation`). `check --at T` must
read the schedule of T, so each installment row is in force from `recorded_at` (NULL: from
when its draw was logged, as the first schedule is) until `superseded_at` (NULL: still in
force). A replay (`bot.ledger.repayments.replay`) writes the regenerated schedules again: a row
at the same place (draw, revision, seq) with the same due date and amounts keeps the time it
was recorded, and one superseded before and after keeps when it was superseded. A place the
replay writes otherwise (or no longer writes, or puts back in force) keeps the row it held as
an earlier `version`, superseded at the replay's time (or when it was), and the new row is
recorded then (:func:`keep_times`). So a read as of T (:func:`in_force_at`) finds at each place
the row the ledger held at T.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from bot.models import Draw, Facility, Installment, InstallmentStatus


@dataclass(frozen=True)
class Times:
    """When one installment (by its place) was recorded and superseded, and what it held."""

    recorded_at: datetime | None
    superseded_at: datetime | None
    superseded: bool
    row: Any  # the row's columns, to keep as an earlier version

    def held(self) -> tuple[date, Decimal, Decimal, Decimal]:
        """What a read of the schedule sees: the due date and the amounts."""
        return (self.row.due_date, self.row.principal, self.row.interest, self.row.amount)


Place = tuple[int, int, int]


_KEPT = ("facility_id", "due_date", "principal", "interest", "amount", "status", "paid_on")


def times_of(session: Session, facility: Facility) -> dict[Place, Times]:
    """The times (and contents) of the facility's installments as they are now, by place."""
    session.flush()
    table = Installment.__table__
    rows = session.execute(
        select(table).where(
            table.c.draw_id.in_(select(Draw.id).where(Draw.facility_id == facility.id)),
            table.c.version == 0,
        )
    )
    return {
        (row.draw_id, row.revision, row.seq): Times(
            row.recorded_at,
            row.superseded_at,
            row.status == InstallmentStatus.SUPERSEDED,
            row,
        )
        for row in rows
    }


def _versions(session: Session, places: list[Place]) -> dict[Place, int]:
    """The highest version kept at each of ``places`` so far."""
    table = Installment.__table__
    draws = {place[0] for place in places}
    rows = session.execute(
        select(table.c.draw_id, table.c.revision, table.c.seq, table.c.version).where(
            table.c.draw_id.in_(draws)
        )
    )
    highest: dict[Place, int] = {}
    for draw_id, revision, seq, version in rows:
        place = (draw_id, revision, seq)
        highest[place] = max(highest.get(place, 0), version)
    return highest


def _keep_versions(session: Session, replaced: dict[Place, Times], *, now: datetime) -> None:
    """Keep each replaced row as the next version at its place, in force until ``now`` (or
    until it was superseded, when that was earlier)."""
    if not replaced:
        return
    highest = _versions(session, list(replaced))
    kept = []
    for place, times in replaced.items():
        superseded = times.superseded_at if times.superseded else None
        if superseded is None or superseded > now:
            superseded = now
        kept.append(
            {column: getattr(times.row, column) for column in _KEPT}
            | {
                "draw_id": place[0],
                "revision": place[1],
                "seq": place[2],
                "status": InstallmentStatus.SUPERSEDED.value,
                "recorded_at": times.recorded_at,
                "superseded_at": superseded,
                "version": highest.get(place, 0) + 1,
            }
        )
    session.execute(Installment.__table__.insert(), kept)


def keep_times(
    session: Session, facility: Facility, before: dict[Place, Times], *, now: datetime
) -> None:
    """After a replay: an installment at a place there was one before, with the same due date
    and amounts, keeps its `recorded_at`; a new place is recorded ``now``, and so is a changed
    one or one in force again (a removed repayment's regenerated schedule gone), the row it
    replaces kept as an earlier version until it was superseded or ``now``. One superseded
    before and after keeps its `superseded_at`, one superseded only now is superseded ``now``."""
    stamps = []
    after = times_of(session, facility)
    replaced = {
        place: was
        for place, was in before.items()
        if place not in after
        or after[place].held() != was.held()
        or (was.superseded and not after[place].superseded)
    }
    _keep_versions(session, replaced, now=now)
    for place, times in after.items():
        was = None if place in replaced else before.get(place)
        recorded = was.recorded_at if was is not None else now
        superseded = None
        if times.superseded:
            superseded = was.superseded_at if was is not None and was.superseded else now
        if (recorded, superseded) != (times.recorded_at, times.superseded_at):
            stamps.append(
                {"d": place[0], "r": place[1], "s": place[2], "rec": recorded, "sup": superseded}
            )
    if stamps:
        table = Installment.__table__
        stamp = table.update().where(
            table.c.draw_id == bindparam("d"),
            table.c.revision == bindparam("r"),
            table.c.seq == bindparam("s"),
            table.c.version == 0,
        )
        session.execute(
            stamp.values(recorded_at=bindparam("rec"), superseded_at=bindparam("sup")), stamps
        )
    for installment in session.identity_map.values():
        if isinstance(installment, Installment):
            session.expire(installment, ["recorded_at", "superseded_at"])


def in_force_at(now: datetime, installment: Any = Installment) -> ColumnElement[bool]:
    """``installment`` (the row in the query) was part of its draw's schedule at ``now``:
    recorded by then (NULL: with its draw) and not yet superseded."""
    return and_(
        or_(installment.recorded_at.is_(None), installment.recorded_at <= now),
        or_(installment.superseded_at.is_(None), installment.superseded_at > now),
    )


def changed_after(now: datetime) -> ColumnElement[bool]:
    """An installment was recorded, or superseded, after ``now`` (two index probes)."""
    return or_(
        exists().where(Installment.recorded_at > now),
        exists().where(Installment.superseded_at > now),
    )
