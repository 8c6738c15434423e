"""The latest limit readings, read once a cycle for the five limit checks.

:func:`limit_candidates` is one shared query for `limit_frozen`, `limit_dropped`,
`limit_inconsistent`, `utilization_high` and `limit_below_owed`: every active facility's latest
limit reading as of `now`, the one before it, and outstanding principal, kept only where some
check may report the facility (`jobs.checks.limit_rules` says when). They come from
`facility_summaries`, one row per facility kept in step with every write
(`bot.ledger.summaries`), so the cost follows the number of facilities, not the years of
readings behind them. Only where a summary cannot answer for `now` (:func:`unsummarized`: it
holds a reading taken, or a draw or repayment logged, after `now`, or a reading was recorded
after `now` however early it was observed, as in a check run "as of" an earlier moment, or
there is none) are the readings themselves probed, and outstanding summed
from what was logged by `now`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union,
)

from bot.db import among
from bot.ledger.allocations import facilities_changed_after as allocations_changed_after
from bot.ledger.portfolio import drawn_and_repaid, outstanding_from
from bot.models import (
    Draw,
    Facility,
    FacilitySummary,
    FacilityTermsVersion,
    LimitReading,
    Repayment,
)
from bot.thresholds import Thresholds
from jobs.checks.common import CHUNK, CycleScans, facilities, fen, fen_of, flag, setting
from jobs.checks.limit_rules import ReadingTerms, may_fire


def limit_candidates(scans: CycleScans) -> list[Any]:
    """Active facilities that one of the five limit checks may report, with what they need.

    Read once a cycle, through the cycle's scans: the latest and previous readings are found
    with one index probe each per facility, and outstanding principal is aggregated once. Each
    row says which checks it is a candidate for (`frozen`, `dropped`, `inconsistent`,
    `utilization_high`, `below_owed`); the checks finish their own in Python.
    """
    return scans.once("limit_candidates", lambda: _limit_candidates(scans))


def with_own_thresholds(scans: CycleScans) -> list[int]:
    """Facilities that set a threshold of their own, as far as their summaries can say for `now`.

    No query of its own: the limit checks' narrowing keeps every such facility (its thresholds
    may differ from the defaults the narrowing tests), and says which they are. With
    :func:`unsummarized` it names every facility with thresholds of its own; `data_stale` reads
    it to find those whose freshness window is their own.
    """
    return sorted(row.facility_id for row in _narrowed(scans) if row.own_thresholds)


def unsummarized(scans: CycleScans) -> list[int]:
    """Facilities whose summary holds a reading taken (or a draw or repayment logged) after
    `now`, or that have none at all.

    Read once a cycle and shared with `data_stale`. The second kind only exists where rows were
    written past the ORM without a rebuild; they are read back rather than left unchecked.
    """
    return scans.once("unsummarized", lambda: _unsummarized(scans))


def known(now: datetime, reading: Any = LimitReading) -> ColumnElement[bool]:
    """The reading (`LimitReading` or an alias of it) was recorded by `now` (one typed late
    with `limit add --at` was not known before it was recorded, however early it was
    observed; NULL: known from `observed_at`)."""
    return or_(reading.recorded_at.is_(None), reading.recorded_at <= now)


def recorded_after(now: datetime) -> Select[Any]:
    """Facilities with a reading recorded after `now`: their summary cannot answer for `now`
    (it holds that reading, or its effect on the previous one). One probe of the readings'
    `recorded_at` index, empty but for a check run "as of" an earlier moment."""
    return select(LimitReading.facility_id).where(LimitReading.recorded_at > now)


def terms_changed_after(now: datetime) -> Select[Any]:
    """Facilities whose terms changed after `now`: their summary's limit and thresholds are
    not those of `now`. One probe of the versions' `valid_from` index, empty but for a check
    run "as of" an earlier moment."""
    return select(FacilityTermsVersion.facility_id).where(FacilityTermsVersion.valid_from > now)


def _reading_id(facility: Any, now: datetime, skip: int = 0) -> ColumnElement[int]:
    """The id of a facility's latest reading as of `now` (skip=1: the reading before it)."""
    return (
        select(LimitReading.id)
        .where(LimitReading.facility_id == facility.id, LimitReading.observed_at <= now, known(now))
        .order_by(LimitReading.observed_at.desc())
        .limit(1)
        .offset(skip)
        .correlate(facility)
        .scalar_subquery()
    )


def _nth_reading(
    dialect: str, facility: Any, now: datetime, skip: int, name: str
) -> tuple[FromClause, ColumnElement[bool]]:
    """A facility's latest reading as of `now` (skip=1: the one before it), and how to join it.

    PostgreSQL gets a LATERAL subquery: one backward probe of the (facility_id, observed_at)
    index per facility, which its planner cannot turn into a merge over all readings (it did
    that to a join on the reading's id, scanning 5 M readings twice at 100,000 facilities).
    SQLite has no LATERAL; it joins on the id found by the same probe, one rowid lookup each.
    """
    if dialect == "postgresql":
        reading = (
            select(
                LimitReading.observed_at,
                LimitReading.limit_amount,
                LimitReading.available,
                LimitReading.status,
            )
            .where(
                LimitReading.facility_id == facility.id,
                LimitReading.observed_at <= now,
                known(now),
            )
            .order_by(LimitReading.observed_at.desc())
            .limit(1)
            .offset(skip)
            .lateral(name)
        )
        return reading, true()
    table = LimitReading.__table__.alias(name)
    return table, table.c.id == _reading_id(facility, now, skip)


@dataclass(frozen=True)
class _Readings:
    """Where one query gets each facility's latest reading, the one before, and outstanding."""

    observed_at: Any
    limit_amount: Any
    available: Any
    status: Any
    previous_at: Any
    previous_limit: Any
    outstanding: Any
    # Joins the readings to a query over `facility` (`Facility`, or its terms then).
    joined: Callable[[Select[Any], Any], Select[Any]]
    # The source's own facility id column, if it has one, to pick its rows by id as well.
    facility_id: Any = None


# From `facility_summaries`: one row per facility, no probing.
_SUMMARIZED = _Readings(
    observed_at=FacilitySummary.reading_at,
    limit_amount=FacilitySummary.reading_limit,
    available=FacilitySummary.reading_available,
    status=FacilitySummary.reading_status,
    previous_at=FacilitySummary.previous_at,
    previous_limit=FacilitySummary.previous_limit,
    outstanding=fen(FacilitySummary.outstanding),
    joined=lambda query, facility: query.join(
        FacilitySummary, FacilitySummary.facility_id == facility.id
    ),
    facility_id=FacilitySummary.facility_id,
)


def _worth_joining(now: datetime, thresholds: Thresholds) -> ColumnElement[bool]:
    """Summaries that can answer for `now` and that some limit check may report.

    Narrowed on the summaries' own columns with the default thresholds (every facility with
    thresholds of its own is kept), so that only these few are joined to their facility for
    the exact test: that join over every facility was most of the limit checks' cost.
    """
    may = may_fire(
        _terms(
            _SUMMARIZED,
            facility_limit=FacilitySummary.facility_limit,
            drop_percent=literal(thresholds.limit_drop_percent),
            tolerance=literal(fen_of(thresholds.amount_tolerance)),
            utilization=literal(thresholds.utilization_percent),
        )
    )
    return and_(
        or_(FacilitySummary.reading_at.is_(None), FacilitySummary.reading_at <= now),
        or_(FacilitySummary.ledger_at.is_(None), FacilitySummary.ledger_at <= now),
        FacilitySummary.facility_id.not_in(recorded_after(now)),
        FacilitySummary.facility_id.not_in(terms_changed_after(now)),
        FacilitySummary.facility_id.not_in(allocations_changed_after(now)),
        or_(FacilitySummary.own_thresholds, may.any()),
    )


def _terms(
    readings: _Readings,
    *,
    facility_limit: Any,
    drop_percent: Any,
    tolerance: Any,
    utilization: Any,
) -> ReadingTerms:
    """The reading and what it is held to, in integer fen, as `limit_rules` takes them."""
    return ReadingTerms(
        limit=fen(readings.limit_amount),
        available=fen(readings.available),
        status=readings.status,
        previous_limit=fen(readings.previous_limit),
        outstanding=readings.outstanding,
        facility_limit=fen(facility_limit),
        drop_percent=drop_percent,
        tolerance=tolerance,
        utilization=utilization,
    )


def _read_back(dialect: str, facility: Any, now: datetime) -> _Readings:
    """From the readings themselves, for facilities whose summary cannot say (see below).

    Only a check run "as of" a past moment (or a reading stamped a few minutes ahead) has
    any: their summary holds a reading taken after `now`, so the readings as of `now` are
    found by probing the (facility_id, observed_at) index, and outstanding by aggregating.
    """
    latest, on_latest = _nth_reading(dialect, facility, now, 0, "latest")
    previous, on_previous = _nth_reading(dialect, facility, now, 1, "previous")
    drawn, repaid = drawn_and_repaid(as_of=now)
    return _Readings(
        observed_at=latest.c.observed_at,
        limit_amount=latest.c.limit_amount,
        available=latest.c.available,
        status=latest.c.status,
        previous_at=previous.c.observed_at,
        previous_limit=previous.c.limit_amount,
        outstanding=fen(outstanding_from(drawn, repaid)),
        joined=lambda query, facility: (
            query.outerjoin(latest, on_latest)
            .outerjoin(previous, on_previous)
            .outerjoin(drawn, drawn.c.facility_id == facility.id)
            .outerjoin(repaid, repaid.c.facility_id == facility.id)
        ),
    )


def _unsummarized(scans: CycleScans) -> list[int]:
    # A reading, a draw or a repayment the summary holds came after `now`: read back.
    # A reading recorded after `now` (typed late, observed earlier): read back too.
    ahead = select(FacilitySummary.facility_id).where(
        or_(
            FacilitySummary.reading_at > scans.now,
            FacilitySummary.ledger_at > scans.now,
            FacilitySummary.facility_id.in_(recorded_after(scans.now)),
            FacilitySummary.facility_id.in_(terms_changed_after(scans.now)),
            # A replay placed money otherwise, or a repayment was removed, after `now`.
            FacilitySummary.facility_id.in_(allocations_changed_after(scans.now)),
        )
    )
    # Every summary belongs to a facility (a foreign key), so equal counts mean none is missing;
    # counting is cheaper than looking for the missing ones.
    facilities, summaries = scans.session.execute(
        select(
            select(func.count()).select_from(Facility).scalar_subquery(),
            select(func.count()).select_from(FacilitySummary).scalar_subquery(),
        )
    ).one()
    if facilities == summaries:
        return sorted(scans.session.scalars(ahead))
    missing = select(Facility.id).where(~exists().where(FacilitySummary.facility_id == Facility.id))
    return sorted(scans.session.scalars(union(ahead, missing)))


def _narrowed(scans: CycleScans) -> list[Any]:
    """(facility_id, own_thresholds) of the summaries worth joining, read once a cycle."""
    return scans.once(
        "narrowed_summaries",
        lambda: scans.session.execute(
            select(FacilitySummary.facility_id, FacilitySummary.own_thresholds).where(
                _worth_joining(scans.now, scans.thresholds)
            )
        ).all(),
    )


def _limit_candidates(scans: CycleScans) -> list[Any]:
    # Ids first, then the candidates by id: asked in one query, PostgreSQL expected most
    # summaries to pass the narrowing and hashed every facility to join them.
    summarized = sorted(row.facility_id for row in _narrowed(scans))
    read_back = _read_back(scans.session.get_bind().dialect.name, facilities(scans), scans.now)
    rows = [
        *_candidates_in_chunks(scans, _SUMMARIZED, summarized),
        *_candidates_in_chunks(scans, read_back, unsummarized(scans)),
    ]
    return sorted(rows, key=lambda row: row.facility_id)


def _candidates_in_chunks(
    scans: CycleScans, readings: _Readings, facility_ids: list[int]
) -> list[Any]:
    rows = []
    for start in range(0, len(facility_ids), CHUNK):
        rows.extend(_candidates_from(scans, readings, facility_ids[start : start + CHUNK]))
    return rows


def _candidates_from(scans: CycleScans, readings: _Readings, facility_ids: list[int]) -> list[Any]:
    thresholds = scans.thresholds
    facility = facilities(scans)
    outstanding = readings.outstanding
    last_draw = (
        select(func.max(Draw.created_at))
        .where(Draw.facility_id == facility.id, Draw.created_at <= scans.now)
        .correlate(facility)
        .scalar_subquery()
    )
    last_repayment = (
        select(func.max(Repayment.created_at))
        .where(Repayment.facility_id == facility.id, Repayment.created_at <= scans.now)
        .correlate(facility)
        .scalar_subquery()
    )
    drop_percent = setting(facility.limit_drop_percent, thresholds.limit_drop_percent)
    tolerance = func.coalesce(fen(facility.amount_tolerance), fen_of(thresholds.amount_tolerance))
    utilization = setting(facility.utilization_percent, thresholds.utilization_percent)
    may = may_fire(
        _terms(
            readings,
            facility_limit=facility.limit_amount,
            drop_percent=drop_percent,
            tolerance=tolerance,
            utilization=utilization,
        )
    )
    query = select(
        facility.id.label("facility_id"),
        facility.slug,
        facility.timezone,
        facility.currency,
        facility.limit_amount.label("expected"),
        readings.observed_at.label("observed_at"),
        readings.limit_amount.label("limit_amount"),
        readings.available.label("available"),
        readings.status.label("status"),
        readings.previous_at.label("previous_at"),
        readings.previous_limit.label("previous"),
        drop_percent.label("drop_percent"),
        tolerance.label("tolerance_fen"),
        setting(facility.restore_lag_hours, thresholds.restore_lag_hours).label("lag"),
        utilization.label("threshold"),
        outstanding.label("outstanding_fen"),
        # Only `limit_inconsistent` reads these: looked up for its candidates alone.
        case((may.inconsistent, last_draw)).label("last_draw"),
        case((may.inconsistent, last_repayment)).label("last_repayment"),
        flag(may.frozen).label("frozen"),
        flag(may.dropped).label("dropped"),
        flag(may.inconsistent).label("inconsistent"),
        flag(may.utilization_high).label("utilization_high"),
        flag(may.below_owed).label("below_owed"),
    ).select_from(facility)
    return list(
        scans.session.execute(
            readings.joined(query, facility).where(
                facility.active,
                among(scans.session, facility.id, facility_ids),
                among(scans.session, readings.facility_id, facility_ids)
                if readings.facility_id is not None
                else true(),
                may.any(),
            )
        ).all()
    )
