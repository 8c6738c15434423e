"""What a facility's summary holds (`bot.models.FacilitySummary`), computed from the base tables.

`bot.ledger.summaries` writes these rows: :func:`facility_rows` for a few facilities after a
write, :func:`reading_rows` for just what their summaries show of their readings (after a batch
of readings, which changes nothing else a summary holds), and :func:`all_facility_rows` for
every facility at once (a rebuild).
"""

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    case,
    func,
    or_,
    select,
    true,
    union_all,
)

from bot.db import among
from bot.ledger.portfolio import drawn_and_repaid, outstanding_from
from bot.models import Draw, Facility, LimitReading, Repayment

# What a summary shows of a reading.
_SHOWN = (
    LimitReading.observed_at,
    LimitReading.limit_amount,
    LimitReading.available,
    LimitReading.status,
)


def reading_rows(connection: Connection, facility_ids: list[int]) -> Select[Any]:
    """Per facility (hundreds at most): its id and what its summary shows of its readings,
    the newest one and the one before it.

    Each facility's two are found by probing the readings' unique (facility_id, observed_at)
    index backwards, two entries a facility however many readings it has. Ranking all of them
    instead (as :func:`all_facility_rows` does for every facility in one pass) read and sorted
    the fifty-odd readings of each of a batch's thousand facilities.
    """
    latest, on_latest = _nth_newest(connection.dialect.name, 0, "latest")
    previous, on_previous = _nth_newest(connection.dialect.name, 1, "previous")
    return (
        select(
            Facility.id.label("facility_id"),
            latest.c.observed_at.label("reading_at"),
            latest.c.limit_amount.label("reading_limit"),
            latest.c.available.label("reading_available"),
            latest.c.status.label("reading_status"),
            previous.c.observed_at.label("previous_at"),
            previous.c.limit_amount.label("previous_limit"),
        )
        .select_from(Facility)
        .outerjoin(latest, on_latest)
        .outerjoin(previous, on_previous)
        .where(among(connection, Facility.id, facility_ids))
    )


def facility_rows(connection: Connection, facility_ids: list[int]) -> Select[Any]:
    """Whole FacilitySummary rows for a few facilities (hundreds at most)."""
    drawn, repaid = drawn_and_repaid(facility_ids, bind=connection)
    return (
        reading_rows(connection, facility_ids)
        .add_columns(
            outstanding_from(drawn, repaid).label("outstanding"),
            Facility.limit_amount.label("facility_limit"),
            _own_thresholds().label("own_thresholds"),
            _ledger_at().label("ledger_at"),
        )
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
    )


def all_facility_rows() -> Select[Any]:
    """FacilitySummary rows for every facility, in one pass over each table."""
    readings = _newest_two()
    drawn, repaid = drawn_and_repaid()
    moves = union_all(
        select(Draw.facility_id, Draw.created_at.label("at")),
        select(Repayment.facility_id, Repayment.created_at),
    ).subquery("moves")
    logged = (
        select(moves.c.facility_id, func.max(moves.c.at).label("at"))
        .group_by(moves.c.facility_id)
        .subquery("logged")
    )
    return (
        select(
            Facility.id,
            readings.c.reading_at,
            readings.c.reading_limit,
            readings.c.reading_available,
            readings.c.reading_status,
            readings.c.previous_at,
            readings.c.previous_limit,
            outstanding_from(drawn, repaid),
            Facility.limit_amount,
            _own_thresholds(),
            logged.c.at,
        )
        .outerjoin(readings, readings.c.facility_id == Facility.id)
        .outerjoin(logged, logged.c.facility_id == Facility.id)
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
    )


def _nth_newest(dialect: str, skip: int, name: str) -> tuple[FromClause, ColumnElement[bool]]:
    """A facility's newest reading (skip=1: the one before it), and how to join it to `Facility`.

    PostgreSQL gets a LATERAL subquery, one backward index probe per facility; SQLite has no
    LATERAL and joins on the id that the same probe finds (as `jobs.checks.readings` does).
    """
    newest = (
        select(LimitReading.id, *_SHOWN)
        .where(LimitReading.facility_id == Facility.id)
        .order_by(LimitReading.observed_at.desc())
        .limit(1)
        .offset(skip)
    )
    if dialect == "postgresql":
        return newest.lateral(name), true()
    table = LimitReading.__table__.alias(name)
    found = newest.with_only_columns(LimitReading.id).correlate(Facility).scalar_subquery()
    return table, table.c.id == found


def _newest_two() -> Any:
    """Per facility, its newest reading and the one before it, from one pass over all the
    readings ranked per facility by a window function (for every facility at once)."""
    ranked = select(
        LimitReading.facility_id,
        *_SHOWN,
        func.row_number()
        .over(partition_by=LimitReading.facility_id, order_by=LimitReading.observed_at.desc())
        .label("rank"),
    ).subquery("ranked")

    def nth(column: Any, rank: int) -> Any:
        return func.max(case((ranked.c.rank == rank, column)))

    return (
        select(
            ranked.c.facility_id,
            nth(ranked.c.observed_at, 1).label("reading_at"),
            nth(ranked.c.limit_amount, 1).label("reading_limit"),
            nth(ranked.c.available, 1).label("reading_available"),
            nth(ranked.c.status, 1).label("reading_status"),
            nth(ranked.c.observed_at, 2).label("previous_at"),
            nth(ranked.c.limit_amount, 2).label("previous_limit"),
        )
        .where(ranked.c.rank <= 2)
        .group_by(ranked.c.facility_id)
        .subquery("readings")
    )


def _own_thresholds() -> Any:
    """Whether a facility sets any threshold of its own that the limit checks read."""
    own = or_(
        Facility.limit_drop_percent.is_not(None),
        Facility.amount_tolerance.is_not(None),
        Facility.utilization_percent.is_not(None),
        Facility.stale_after_hours.is_not(None),
        Facility.restore_lag_hours.is_not(None),
    )
    return case((own, True), else_=False)


def _ledger_at() -> Any:
    """When the facility's latest draw or repayment was logged (correlated to `Facility`)."""

    def latest(column: Any, facility_id: Any) -> Any:
        return (
            select(func.max(column))
            .where(facility_id == Facility.id)
            .correlate(Facility)
            .scalar_subquery()
        )

    draw = latest(Draw.created_at, Draw.facility_id)
    repayment = latest(Repayment.created_at, Repayment.facility_id)
    return case(
        (repayment.is_(None), draw),
        (draw.is_(None), repayment),
        (repayment > draw, repayment),
        else_=draw,
    )
