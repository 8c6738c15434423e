"""One cycle of the checks: findings from the database, applied to the alerts, in one transaction.

`loanwatch check` and the scheduler both run this; delivery of the notifications it writes is
the outbox worker's business, after the commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.findings import Finding
from bot.alerts.lifecycle import AlertPolicy, RunSummary, apply_findings
from bot.calendar import BusinessCalendar, load_calendar_file
from bot.settings import Settings
from jobs.checks import CHECKS, run_checks


@dataclass(frozen=True)
class CycleReport:
    """What one cycle found and what it did about it."""

    at: datetime
    findings: list[Finding]
    summary: RunSummary


def policy_from(settings: Settings) -> AlertPolicy:
    """The alert policy the settings describe."""
    return AlertPolicy(
        ack_expiry=timedelta(hours=settings.ack_expiry_hours),
        storm_threshold=settings.storm_threshold,
        default_channel=settings.default_alert_channel,
    )


def calendar_from(settings: Settings) -> BusinessCalendar:
    """China's business days, plus the admin's holidays file for years the library lacks."""
    if settings.holidays_file:
        return load_calendar_file(settings.holidays_file)
    return BusinessCalendar()


def run_check_cycle(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    written_at: datetime | None = None,
) -> CycleReport:
    """Run every check as of `now` and apply the findings to the alerts (the caller commits).

    `written_at` is the real time the notifications are written at (default `now`); see
    :func:`bot.alerts.lifecycle.apply_findings`.
    """
    findings = run_checks(session, now, settings.thresholds(), calendar)
    summary = apply_findings(
        session,
        findings,
        now=now,
        policy=policy_from(settings),
        checks_run=set(CHECKS),
        written_at=written_at,
    )
    return CycleReport(now, findings, summary)
