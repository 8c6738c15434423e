"""`platform_unavailable`: the owner said "Can't see it" to the last N reading requests in a row.

An answer of **Can't see it** to a reading request (docs/requests.md) is an observation: the
platform was looked at and could not be seen (down, in maintenance). A run of
`unavailable_run` of them (`LOANWATCH_UNAVAILABLE_RUN`, default 3) with no limit reading
observed after the first of them opens this alert, with the times they were given, instead of
leaving the facility to go quiet into `data_stale` (which counts them as observations). The
first reading after them (a tap of Same as last or Changed…, `/loan limit`, the API) ends the
run, and the alert resolves.

One query over the whole portfolio: the unavailable answers given by `now` after each
facility's latest reading known by `now`, for active facilities; counted per facility here.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.i18n import N_
from bot.i18n.wording import Listed, Moment, Text
from bot.models import LimitReading, ReadingRequest
from bot.thresholds import Thresholds
from jobs.checks.common import CycleScans, facilities, scans_for
from jobs.checks.readings import known

# The answer a run is made of (bot.ledger.reading_requests.Answer.UNAVAILABLE).
UNAVAILABLE = "unavailable"
# How many of the run's times the alert lists (the latest ones).
_TIMES_SHOWN = 10


def platform_unavailable(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A finding per active facility whose last `unavailable_run` answers (or more) were
    "Can't see it", with no limit reading observed since the first of them."""
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    facility = facilities(scans)
    last_reading = (
        select(func.max(LimitReading.observed_at))
        .where(
            LimitReading.facility_id == ReadingRequest.facility_id,
            LimitReading.observed_at <= now,
            known(now),
        )
        .correlate(ReadingRequest)
        .scalar_subquery()
    )
    rows = session.execute(
        select(facility.id, facility.slug, facility.timezone, ReadingRequest.answered_at)
        .join(ReadingRequest, ReadingRequest.facility_id == facility.id)
        .where(
            facility.active,
            ReadingRequest.answer == UNAVAILABLE,
            ReadingRequest.answered_at <= now,
            func.coalesce(ReadingRequest.answered_at > last_reading, True),
        )
        .order_by(facility.id, ReadingRequest.answered_at)
    ).all()
    runs: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        runs[row.id].append(row)
    return [
        _finding(run, thresholds.unavailable_run)
        for run in runs.values()
        if len(run) >= thresholds.unavailable_run
    ]


def _finding(run: list[Any], needed: int) -> Finding:
    first = run[0]
    zone = first.timezone
    return worded(
        Check.PLATFORM_UNAVAILABLE,
        first.id,
        "",
        Severity.WARNING,
        Text(
            N_(
                "the platform could not be seen {count} times in a row (Can't see it at its "
                "reading requests) since {since}; no reading since"
            ),
            {"count": len(run), "since": Moment(first.answered_at, zone)},
        ),
        [
            (N_("Facility"), first.slug),
            (
                N_("Can't see it"),
                Listed(tuple(Moment(row.answered_at, zone) for row in run[-_TIMES_SHOWN:]), ", "),
            ),
            (
                N_("In a row"),
                Text(N_("{count} (alerts at {needed})"), {"count": len(run), "needed": needed}),
            ),
        ],
    )
