"""Installments over time: the schedule the ledger held at a moment.

An early repayment supersedes a draw's unpaid installments and writes the regenerated rest of
the schedule as the next revision (`bot.ledger.repayments.allocation`). `check --at T` must
read the schedule of T, so each installment row is in force from `recorded_at` (NULL: from
when its draw was logged, as the first schedule is) until `superseded_at` (NULL: still in
force). A replay (`bot.ledger.repayments.replay`) writes the regenerated schedules again: a row
at the same place (draw, revision, seq) keeps the time it was recorded, and one superseded
before and after keeps when it was superseded (:func:`keep_times`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from bot.models import Draw, Facility, Installment, InstallmentStatus


@dataclass(frozen=True)
class Times:
    """When one installment (by its place) was recorded and superseded."""

    recorded_at: datetime | None
    superseded_at: datetime | None
    superseded: bool


Place = tuple[int, int, int]


def times_of(session: Session, facility: Facility) -> dict[Place, Times]:
    """The times of the facility's installments as they are now, by place."""
    session.flush()
    rows = session.execute(
        select(
            Installment.draw_id,
            Installment.revision,
            Installment.seq,
            Installment.recorded_at,
            Installment.superseded_at,
            Installment.status,
        ).where(Installment.draw_id.in_(select(Draw.id).where(Draw.facility_id == facility.id)))
    )
    return {
        (draw_id, revision, seq): Times(
            recorded, superseded, status == InstallmentStatus.SUPERSEDED
        )
        for draw_id, revision, seq, recorded, superseded, status in rows
    }


def keep_times(
    session: Session, facility: Facility, before: dict[Place, Times], *, now: datetime
) -> None:
    """After a replay: an installment at a place there was one before keeps its `recorded_at`
    (a new place is recorded ``now``); one superseded before and after keeps its
    `superseded_at`, one superseded only now is superseded ``now``."""
    stamps = []
    for place, times in times_of(session, facility).items():
        was = before.get(place)
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
