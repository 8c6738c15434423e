"""Freshness: is anything still coming in from the platform for a facility?"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, not_, or_, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.i18n import N_
from bot.i18n.wording import Arg, Moment, Text
from bot.models import Bill, DrawConfirmation, FacilitySummary, LimitReading, ReadingRequest
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    facilities,
    overridden_or,
    scans_for,
    setting,
    zone,
)
from jobs.checks.readings import known, unsummarized, with_own_thresholds
from jobs.checks.unavailable import UNAVAILABLE


def data_stale(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """Nothing observed from the platform for `stale_after_hours` business hours.

    Anything observed counts: a limit reading, a bill, a payout from a statement (each by its
    `observed_at`, up to `now`), and a "Can't see it" answer to a reading request (by when it
    was given; a run of those is `platform_unavailable`). A facility that has never had one
    is measured from when it was added. Only hours of business days (Chinese workday calendar,
    in the facility's zone) count, so a team that reads on business-day mornings is not stale
    over a weekend or a holiday: Friday 09:00 to Monday 09:00 is 24 business hours. Fires when
    exactly the window has passed.

    Business hours are never more than wall-clock hours, so the wall-clock window below (in
    SQL) keeps a superset of the stale facilities, and each is finished in Python.

    A facility on the default window is a candidate only when its latest reading (from its
    summary: :func:`_quiet_facilities`) is older than the window and nothing else was observed
    in it (`NOT EXISTS` probes on each table's facility index), so the last observation is
    looked up only for the few candidates and the facilities with their own window.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    findings = []
    for facility, last_seen_at in _last_observations(scans, _quiet_facilities(scans)):
        since = last_seen_at or facility.created_at
        window = timedelta(hours=facility.stale_after)
        if now - since < window:
            continue
        business = _business_time(calendar, since, now, facility.timezone)
        if business >= window:
            findings.append(_stale_finding(facility, last_seen_at, now - since, business))
    return findings


def _business_time(
    calendar: BusinessCalendar, since: datetime, now: datetime, timezone: str
) -> timedelta:
    """Business hours from `since` to `now` in the facility's zone (wall-clock hours for a time
    at an end of the calendar, which a zone cannot take)."""
    try:
        return calendar.business_time_between(since, now, zone(timezone))
    except OverflowError:
        return now - since


# What counts as seeing something from the platform: a "Can't see it" answer to a reading
# request too (someone looked; a run of them is `platform_unavailable`'s, not this check's).
_OBSERVATIONS = (LimitReading, Bill, DrawConfirmation, ReadingRequest)


def _moment(table: Any) -> Any:
    """When a row of `table` was seen: its `observed_at`, or when a request was answered."""
    return table.answered_at if table is ReadingRequest else table.observed_at


def _seen_by(table: Any, now: datetime) -> list[Any]:
    """Observed by `now`, and for a limit reading or a bill recorded by then too (one typed
    or imported late); for a reading request, answered "Can't see it" by `now`."""
    if table is ReadingRequest:
        return [table.answer == UNAVAILABLE, table.answered_at <= now]
    if table is LimitReading:
        return [table.observed_at <= now, known(now)]
    if table is Bill:
        return [table.observed_at <= now, or_(Bill.recorded_at.is_(None), Bill.recorded_at <= now)]
    return [table.observed_at <= now]


def _last_observations(scans: CycleScans, quiet: list[int]) -> list[tuple[Any, datetime | None]]:
    """These facilities, if nothing was seen from them in the window, and when something last was.

    Active facilities added by `now`; on the default window only those with nothing observed
    within it (a facility with its own window is finished by the caller). The last observation
    is the latest of any kind seen by `now` (None: nothing ever).
    """
    session, now, thresholds = scans.session, scans.now, scans.thresholds
    facility = facilities(scans)
    default_cutoff = now - timedelta(hours=thresholds.stale_after_hours)
    seen_lately = or_(
        *(
            exists().where(
                table.facility_id == facility.id,
                _moment(table) > default_cutoff,
                *_seen_by(table, now),
            )
            for table in _OBSERVATIONS
        )
    )
    last_seen = [
        select(func.max(_moment(table)))
        .where(table.facility_id == facility.id, *_seen_by(table, now))
        .correlate(facility)
        .scalar_subquery()
        .label(f"last_{table.__tablename__}")
        for table in _OBSERVATIONS
    ]
    stale_after = setting(facility.stale_after_hours, thresholds.stale_after_hours)
    rows = []
    for start in range(0, len(quiet), CHUNK):
        rows += session.execute(
            select(
                facility.id,
                facility.slug,
                facility.timezone,
                facility.created_at,
                *last_seen,
                stale_after.label("stale_after"),
            )
            .where(
                among(session, facility.id, quiet[start : start + CHUNK]),
                facility.active,
                facility.created_at <= now,
                overridden_or(facility.stale_after_hours, not_(seen_lately)),
            )
            .order_by(facility.id)
        ).all()
    return [(row, _latest(row._mapping[column] for column in last_seen)) for row in rows]


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    """The latest of these moments, None if there are none."""
    seen = [moment for moment in moments if moment is not None]
    return max(seen) if seen else None


def _stale_finding(
    facility: Any, last_seen_at: datetime | None, quiet_for: timedelta, business: timedelta
) -> Finding:
    """The finding for a facility nothing was seen from for `quiet_for` (`business` of it on
    business days)."""
    quiet = Text(
        N_("{hours} h, {business} business hours"),
        {"hours": _whole_hours(quiet_for), "business": _whole_hours(business)},
    )
    args: dict[str, Arg] = {"quiet": quiet, "stale_after": str(facility.stale_after)}
    last: Arg
    if last_seen_at is None:
        summary = N_(
            "nothing seen from the platform since the facility was added {quiet} ago; expected "
            "at least every {stale_after} business hours"
        )
        last = Text(N_("never"))
    else:
        summary = N_(
            "nothing seen from the platform for {quiet}; expected at least every {stale_after} "
            "business hours"
        )
        last = Moment(last_seen_at, facility.timezone)
    return worded(
        Check.DATA_STALE,
        facility.id,
        "",
        Severity.WARNING,
        Text(summary, args),
        [
            (N_("Facility"), facility.slug),
            (N_("Last seen"), last),
            (N_("Quiet for"), quiet),
            (N_("Stale after"), Text(N_("{hours} business hours"), {"hours": args["stale_after"]})),
        ],
    )


def _whole_hours(delta: timedelta) -> int:
    """A duration in whole hours, rounded down (as `jobs.checks.common.hours` says it)."""
    return int(delta.total_seconds() // 3600)


def _quiet_facilities(scans: CycleScans) -> list[int]:
    """`data_stale`'s candidates: facilities that may have gone quiet, from their summaries.

    No reading, or the latest taken before the default window (the summaries' index on
    `reading_at` finds these); any facility with thresholds of its own, whose window may
    differ; and every facility whose summary cannot answer for `now`. A superset: `data_stale`
    looks at every kind of observation, as of `now`, for these alone.
    """
    cutoff = scans.now - timedelta(hours=scans.thresholds.stale_after_hours)
    quiet = scans.session.scalars(
        select(FacilitySummary.facility_id).where(
            or_(FacilitySummary.reading_at.is_(None), FacilitySummary.reading_at <= cutoff)
        )
    )
    return sorted(set(quiet).union(with_own_thresholds(scans), unsummarized(scans)))
