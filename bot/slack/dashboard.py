"""What `/loan status` and App Home show: positions, installments due soon, open alerts.

Read-only, a few queries whatever the portfolio's size; rendering is left to the caller.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts import lifecycle
from bot.ledger.portfolio import Position, UpcomingInstallment, positions, upcoming_installments
from bot.models import Alert, Facility, LimitReading

# Enough to fill a screen; the rest is a `loanwatch alert list` away.
SHOWN_ALERTS = 20
SHOWN_DUE = 20


@dataclass(frozen=True)
class Dashboard:
    """The portfolio (or one facility) at a moment."""

    positions: list[Position]
    due_this_week: list[UpcomingInstallment]
    open_alerts: list[Alert]
    open_alert_count: int
    latest_reading: LimitReading | None = None
    unknown_years: tuple[int, ...] = ()


def dashboard(
    session: Session,
    now: datetime,
    *,
    facility: Facility | None = None,
    known_year: Callable[[int], bool] | None = None,
) -> Dashboard:
    """Positions, installments due in the next 7 days, and open alerts, newest first."""
    today = now.date()
    current = [p for p in positions(session) if facility is None or p.facility.id == facility.id]
    due = upcoming_installments(
        session,
        on_or_after=today,
        before=today + timedelta(days=7),
        facility_id=facility.id if facility else None,
        limit=SHOWN_DUE,
    )
    alerts = [
        a
        for a in lifecycle.list_alerts(session, "open")
        if facility is None or a.facility_id == facility.id
    ]
    alerts.sort(key=lambda a: (a.severity != "critical", -a.id))
    reading = None
    if facility is not None:
        reading = session.scalar(
            select(LimitReading)
            .where(LimitReading.facility_id == facility.id)
            .order_by(LimitReading.observed_at.desc())
            .limit(1)
        )
    years = sorted({i.installment.due_date.year for i in due} | {today.year, today.year + 1})
    unknown = tuple(y for y in years if known_year is not None and not known_year(y))
    return Dashboard(current, due, alerts[:SHOWN_ALERTS], len(alerts), reading, unknown)
