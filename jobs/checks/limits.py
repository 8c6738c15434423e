"""Limit checks: what the platform shows as limit and available, against the ledger.

The four checks here read one shared query per cycle (:func:`limit_candidates`): every active
facility's latest limit reading as of `now`, the one before it, and outstanding principal. They
come from `facility_summaries`, one row per facility kept in step with every write
(`bot.ledger.summaries`), so the cost follows the number of facilities, not the years of
readings behind them. Only where a summary holds a reading taken after `now` (a check run "as
of" an earlier moment) are the readings themselves probed. Only the facilities some check may
report leave the database.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.ledger.portfolio import drawn_and_repaid, outstanding_from
from bot.models import Draw, Facility, FacilitySummary, LimitReading, Repayment
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    fen,
    fen_of,
    flag,
    local_time,
    percent,
    scans_for,
    setting,
    yuan,
)

FROZEN_STATUSES = ("frozen", "closed")


def _reading_id(now: datetime, skip: int = 0) -> ColumnElement[int]:
    """The id of a facility's latest reading as of `now` (skip=1: the reading before it)."""
    return (
        select(LimitReading.id)
        .where(LimitReading.facility_id == Facility.id, LimitReading.observed_at <= now)
        .order_by(LimitReading.observed_at.desc())
        .limit(1)
        .offset(skip)
        .correlate(Facility)
        .scalar_subquery()
    )


def limit_candidates(scans: CycleScans) -> list[Any]:
    """Active facilities that one of the four limit checks may report, with what they need.

    One query for `limit_frozen`, `limit_dropped`, `limit_inconsistent` and `utilization_high`
    together, shared through the cycle's scans: the latest and previous readings are found with
    one index probe each per facility, and outstanding principal is aggregated once. Each row
    says which checks it is a candidate for; the checks finish their own in Python. `quiet`
    rows (no reading within the default freshness window) are `data_stale`'s candidates.
    """
    return scans.once("limit_candidates", lambda: _limit_candidates(scans))


def _nth_reading(
    dialect: str, now: datetime, skip: int, name: str
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
            .where(LimitReading.facility_id == Facility.id, LimitReading.observed_at <= now)
            .order_by(LimitReading.observed_at.desc())
            .limit(1)
            .offset(skip)
            .lateral(name)
        )
        return reading, true()
    table = LimitReading.__table__.alias(name)
    return table, table.c.id == _reading_id(now, skip)


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
    joined: Callable[[Select[Any]], Select[Any]]
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
    joined=lambda query: query.join(FacilitySummary, FacilitySummary.facility_id == Facility.id),
    facility_id=FacilitySummary.facility_id,
)


def _worth_joining(now: datetime, thresholds: Thresholds) -> ColumnElement[bool]:
    """Summaries that can answer for `now` and that some limit check may report.

    Narrowed on the summaries' own columns with the default thresholds (every facility with
    thresholds of its own is kept), so that only these few are joined to their facility for
    the exact test: that join over every facility was most of the limit checks' cost.
    """
    may_fire = _may_fire(
        _SUMMARIZED,
        now,
        facility_limit=FacilitySummary.facility_limit,
        drop_percent=literal(thresholds.limit_drop_percent),
        tolerance=literal(fen_of(thresholds.amount_tolerance)),
        utilization=literal(thresholds.utilization_percent),
        stale_after_hours=thresholds.stale_after_hours,
        own_stale_window=false(),
    )
    return and_(
        or_(FacilitySummary.reading_at.is_(None), FacilitySummary.reading_at <= now),
        or_(FacilitySummary.own_thresholds, *may_fire),
    )


def _read_back(dialect: str, now: datetime) -> _Readings:
    """From the readings themselves, for facilities whose summary cannot say (see below).

    Only a check run "as of" a past moment (or a reading stamped a few minutes ahead) has
    any: their summary holds a reading taken after `now`, so the readings as of `now` are
    found by probing the (facility_id, observed_at) index, and outstanding by aggregating.
    """
    latest, on_latest = _nth_reading(dialect, now, 0, "latest")
    previous, on_previous = _nth_reading(dialect, now, 1, "previous")
    drawn, repaid = drawn_and_repaid()
    return _Readings(
        observed_at=latest.c.observed_at,
        limit_amount=latest.c.limit_amount,
        available=latest.c.available,
        status=latest.c.status,
        previous_at=previous.c.observed_at,
        previous_limit=previous.c.limit_amount,
        outstanding=fen(outstanding_from(drawn, repaid)),
        joined=lambda query: (
            query.outerjoin(latest, on_latest)
            .outerjoin(previous, on_previous)
            .outerjoin(drawn, drawn.c.facility_id == Facility.id)
            .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        ),
    )


def _unsummarized(scans: CycleScans) -> list[int]:
    """Facilities whose summary holds a reading taken after `now`, or that have none at all.

    The second kind only exists where rows were written past the ORM without a rebuild; they
    are read back rather than left unchecked.
    """
    ahead = select(FacilitySummary.facility_id).where(FacilitySummary.reading_at > scans.now)
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


def _limit_candidates(scans: CycleScans) -> list[Any]:
    # Ids first, then the candidates by id: asked in one query, PostgreSQL expected most
    # summaries to pass the narrowing and hashed every facility to join them.
    summarized = sorted(
        scans.session.scalars(
            select(FacilitySummary.facility_id).where(_worth_joining(scans.now, scans.thresholds))
        )
    )
    read_back = _read_back(scans.session.get_bind().dialect.name, scans.now)
    rows = [
        *_candidates_in_chunks(scans, _SUMMARIZED, summarized),
        *_candidates_in_chunks(scans, read_back, _unsummarized(scans)),
    ]
    return sorted(rows, key=lambda row: row.facility_id)


def _candidates_in_chunks(
    scans: CycleScans, readings: _Readings, facility_ids: list[int]
) -> list[Any]:
    rows = []
    for start in range(0, len(facility_ids), CHUNK):
        rows.extend(_candidates_from(scans, readings, facility_ids[start : start + CHUNK]))
    return rows


def _may_fire(
    readings: _Readings,
    now: datetime,
    *,
    facility_limit: Any,
    drop_percent: Any,
    tolerance: Any,
    utilization: Any,
    stale_after_hours: int,
    own_stale_window: ColumnElement[bool],
) -> tuple[ColumnElement[bool], ...]:
    """frozen, dropped, inconsistent, utilization high, quiet: who each check may report."""
    limit, available, status = (
        fen(readings.limit_amount),
        fen(readings.available),
        readings.status,
    )

    def fell_below(reference: Any) -> ColumnElement[bool]:
        # latest < reference × (100 − X) / 100, in integer fen so the SQL is exact.
        return limit * 100 < fen(reference) * (100 - drop_percent)

    frozen = or_(status.in_(FROZEN_STATUSES), limit == 0)
    dropped = and_(
        status == "active",
        limit != 0,
        or_(fell_below(readings.previous_limit), fell_below(facility_limit)),
    )
    # Off the ledger only counts on an active line with a limit (see `_inconsistency`).
    inconsistent = or_(
        limit < 0,
        available < 0,
        available > limit,
        and_(
            status == "active",
            limit != 0,
            func.abs(available - (limit - readings.outstanding)) > tolerance,
        ),
    )
    high_use = and_(
        fen(facility_limit) > 0,
        readings.outstanding * 100 >= fen(facility_limit) * utilization,
    )
    # For data_stale, which would otherwise probe every facility's readings again: no reading
    # in the default freshness window, or a window of the facility's own.
    quiet = or_(
        readings.observed_at.is_(None),
        readings.observed_at <= now - timedelta(hours=stale_after_hours),
        own_stale_window,
    )
    return frozen, dropped, inconsistent, high_use, quiet


def _candidates_from(scans: CycleScans, readings: _Readings, facility_ids: list[int]) -> list[Any]:
    now, thresholds = scans.now, scans.thresholds
    outstanding = readings.outstanding
    last_draw = (
        select(func.max(Draw.created_at))
        .where(Draw.facility_id == Facility.id)
        .correlate(Facility)
        .scalar_subquery()
    )
    last_repayment = (
        select(func.max(Repayment.created_at))
        .where(Repayment.facility_id == Facility.id)
        .correlate(Facility)
        .scalar_subquery()
    )
    drop_percent = setting(Facility.limit_drop_percent, thresholds.limit_drop_percent)
    tolerance = func.coalesce(fen(Facility.amount_tolerance), fen_of(thresholds.amount_tolerance))
    utilization = setting(Facility.utilization_percent, thresholds.utilization_percent)
    frozen, dropped, inconsistent, high_use, quiet = _may_fire(
        readings,
        now,
        facility_limit=Facility.limit_amount,
        drop_percent=drop_percent,
        tolerance=tolerance,
        utilization=utilization,
        stale_after_hours=thresholds.stale_after_hours,
        own_stale_window=Facility.stale_after_hours.is_not(None),
    )
    query = select(
        Facility.id.label("facility_id"),
        Facility.slug,
        Facility.timezone,
        Facility.currency,
        Facility.limit_amount.label("expected"),
        readings.observed_at.label("observed_at"),
        readings.limit_amount.label("limit_amount"),
        readings.available.label("available"),
        readings.status.label("status"),
        readings.previous_at.label("previous_at"),
        readings.previous_limit.label("previous"),
        drop_percent.label("drop_percent"),
        tolerance.label("tolerance_fen"),
        setting(Facility.restore_lag_hours, thresholds.restore_lag_hours).label("lag"),
        utilization.label("threshold"),
        outstanding.label("outstanding_fen"),
        # Only `limit_inconsistent` reads these: looked up for its candidates alone.
        case((inconsistent, last_draw)).label("last_draw"),
        case((inconsistent, last_repayment)).label("last_repayment"),
        flag(frozen).label("frozen"),
        flag(dropped).label("dropped"),
        flag(inconsistent).label("inconsistent"),
        flag(high_use).label("utilization_high"),
        flag(quiet).label("quiet"),
    ).select_from(Facility)
    return list(
        scans.session.execute(
            readings.joined(query).where(
                Facility.active,
                among(scans.session, Facility.id, facility_ids),
                among(scans.session, readings.facility_id, facility_ids)
                if readings.facility_id is not None
                else true(),
                or_(frozen, dropped, inconsistent, high_use, quiet),
            )
        ).all()
    )


def _reading_facts(row: Any) -> dict[str, str]:
    available = "not shown" if row.available is None else format_money(row.available, row.currency)
    return {
        "Facility": row.slug,
        "Limit shown": format_money(row.limit_amount, row.currency),
        "Available shown": available,
        "Status shown": row.status,
        "Reading taken": local_time(row.observed_at, row.timezone),
    }


def limit_frozen(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest reading of an active facility shows it frozen or closed, or a limit of 0."""
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.frozen]
    return [
        Finding(
            check=Check.LIMIT_FROZEN,
            facility_id=row.facility_id,
            subject="",
            severity=Severity.CRITICAL,
            summary=(
                f"the platform shows the line {row.status} with a limit of "
                f"{format_money(row.limit_amount, row.currency)}; draws will be refused"
            ),
            facts=_reading_facts(row),
        )
        for row in rows
    ]


def limit_dropped(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest limit is more than X % below the previous reading or the facility's limit.

    Exactly X % lower is quiet. A frozen or closed line, or a limit of 0, is `limit_frozen`'s
    (critical) finding and not repeated here.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.dropped]
    findings = []
    for row in rows:
        against = []
        for name, reference in (("previous reading", row.previous), ("expected", row.expected)):
            if reference is not None and reference > 0:
                fell = reference - row.limit_amount
                if fell * 100 > reference * row.drop_percent:
                    against.append(
                        f"{percent(fell, reference)} below the {name} "
                        f"{format_money(reference, row.currency)}"
                    )
        if not against:
            continue
        facts = _reading_facts(row)
        facts["Expected limit"] = format_money(row.expected, row.currency)
        if row.previous is not None:
            facts["Previous reading"] = (
                f"{format_money(row.previous, row.currency)} at "
                f"{local_time(row.previous_at, row.timezone)}"
            )
        facts["Alert above"] = f"{row.drop_percent} % drop"
        findings.append(
            Finding(
                check=Check.LIMIT_DROPPED,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=(
                    f"limit fell to {format_money(row.limit_amount, row.currency)}, "
                    + " and ".join(against)
                ),
                facts=facts,
            )
        )
    return findings


def limit_inconsistent(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest reading does not add up.

    Any of: a negative limit or available amount; available above the limit; or available
    differing from limit − outstanding (ledger: draws minus repaid principal) by more than the
    amount tolerance, in a reading taken at least `restore_lag_hours` after the facility's last
    logged draw or repayment (a reading taken sooner may not show the movement yet). Without
    any draw or repayment there is no lag. A frozen, closed or zero-limit line is left to
    `limit_frozen`, except for negatives and available above the limit.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.inconsistent]
    findings = []
    for row in rows:
        problem = _inconsistency(row)
        if problem is None:
            continue
        summary, extra = problem
        facts = _reading_facts(row)
        facts.update(extra)
        findings.append(
            Finding(
                check=Check.LIMIT_INCONSISTENT,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=summary,
                facts=facts,
            )
        )
    return findings


def _inconsistency(row: Any) -> tuple[str, dict[str, str]] | None:
    """What is wrong with one reading (summary, extra facts), or None once the lag excuses it."""
    limit, available, currency = row.limit_amount, row.available, row.currency
    if limit < 0 or (available is not None and available < 0):
        return "the platform shows a negative figure", {}
    assert available is not None, "only readings with an available amount get this far"
    if available > limit:
        return (
            f"the platform shows {format_money(available, currency)} available, more than its "
            f"limit of {format_money(limit, currency)}",
            {},
        )
    if row.status != "active" or limit == 0:
        # A frozen or zeroed line cannot add up to limit − outstanding; limit_frozen says so,
        # critically, and a second alert about the same reading would only be noise.
        return None
    moves = [moment for moment in (row.last_draw, row.last_repayment) if moment is not None]
    last_move = max(moves) if moves else None
    if last_move is not None and row.observed_at < last_move + timedelta(hours=row.lag):
        return None
    outstanding = yuan(row.outstanding_fen)
    expected = limit - outstanding
    difference = available - expected
    extra = {
        "Outstanding (ledger)": format_money(outstanding, currency),
        "Available (ledger)": format_money(expected, currency),
        "Difference": format_money(difference, currency),
        "Tolerance": format_money(yuan(row.tolerance_fen), currency),
    }
    if last_move is not None:
        extra["Last draw or repayment logged"] = local_time(last_move, row.timezone)
    return (
        f"the platform shows {format_money(available, currency)} available; the ledger says "
        f"{format_money(expected, currency)} ({format_money(limit, currency)} limit − "
        f"{format_money(outstanding, currency)} outstanding), off by "
        f"{format_money(difference, currency)}",
        extra,
    )


def utilization_high(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """Outstanding principal (ledger) is at or above X % of the facility's limit.

    The facility's own limit is the denominator: a platform cutting the limit is
    `limit_dropped`'s finding, and a frozen line `limit_frozen`'s.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.utilization_high]
    findings = []
    for row in rows:
        outstanding_amount = yuan(row.outstanding_fen)
        used = percent(outstanding_amount, row.expected)
        money = {
            "outstanding": format_money(outstanding_amount, row.currency),
            "limit": format_money(row.expected, row.currency),
            "headroom": format_money(row.expected - outstanding_amount, row.currency),
        }
        findings.append(
            Finding(
                check=Check.UTILIZATION_HIGH,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=(
                    f"{money['outstanding']} of the {money['limit']} limit is drawn ({used}); "
                    f"{money['headroom']} left"
                ),
                facts={
                    "Facility": row.slug,
                    "Outstanding (ledger)": money["outstanding"],
                    "Limit": money["limit"],
                    "Used": used,
                    "Headroom": money["headroom"],
                    "Alert at": f"{row.threshold} %",
                },
            )
        )
    return findings
