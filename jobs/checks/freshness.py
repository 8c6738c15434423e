"""Freshness: is anything still coming in from the platform for a facility?"""

from datetime import datetime, timedelta

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from bot.alerts.findings import Finding, Severity, Thresholds
from bot.calendar import BusinessCalendar
from bot.models import Bill, DrawConfirmation, Facility, LimitReading
from jobs.checks.common import hours, local_time, overridden_or, require_aware, setting


def data_stale(
    session: Session, now: datetime, thresholds: Thresholds, calendar: BusinessCalendar
) -> list[Finding]:
    """Nothing observed from the platform for `stale_after_hours`.

    Anything observed counts: a limit reading, a bill, a payout from a statement (each by its
    `observed_at`, up to `now`). A facility that has never had one is measured from when it was
    added. Fires when exactly the window has passed since the last observation.
    """
    require_aware(now)
    latest = [
        select(table.facility_id.label("facility_id"), func.max(table.observed_at).label("at"))
        .where(table.observed_at <= now)
        .group_by(table.facility_id)
        for table in (LimitReading, Bill, DrawConfirmation)
    ]
    observed = union_all(*latest).subquery("observed")
    last_seen = (
        select(observed.c.facility_id, func.max(observed.c.at).label("at"))
        .group_by(observed.c.facility_id)
        .subquery("last_seen")
    )
    since = func.coalesce(last_seen.c.at, Facility.created_at)
    stale_after = setting(Facility.stale_after_hours, thresholds.stale_after_hours)
    default_cutoff = now - timedelta(hours=thresholds.stale_after_hours)
    rows = session.execute(
        select(
            Facility.id,
            Facility.slug,
            Facility.timezone,
            Facility.created_at,
            last_seen.c.at.label("last_seen"),
            stale_after.label("stale_after"),
        )
        .outerjoin(last_seen, last_seen.c.facility_id == Facility.id)
        .where(
            Facility.active,
            Facility.created_at <= now,
            overridden_or(Facility.stale_after_hours, since <= default_cutoff),
        )
        .order_by(Facility.id)
    ).all()

    findings = []
    for row in rows:
        since_at = row.last_seen or row.created_at
        quiet_for = now - since_at
        if quiet_for < timedelta(hours=row.stale_after):
            continue
        if row.last_seen is None:
            summary = (
                "nothing seen from the platform since the facility was added "
                f"{hours(quiet_for)} ago"
            )
            last = "never"
        else:
            summary = f"nothing seen from the platform for {hours(quiet_for)}"
            last = local_time(row.last_seen, row.timezone)
        findings.append(
            Finding(
                check="data_stale",
                facility_id=row.id,
                subject="",
                severity=Severity.WARNING,
                summary=f"{summary}; expected at least every {row.stale_after} h",
                facts={
                    "Facility": row.slug,
                    "Last seen": last,
                    "Quiet for": hours(quiet_for),
                    "Stale after": f"{row.stale_after} h",
                },
            )
        )
    return findings
