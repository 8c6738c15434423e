"""What `/loan status` and App Home show: positions, installments due soon, open alerts.

Read-only, a few small queries whatever the portfolio's size: the ledger's own positions and
upcoming installments (`bot.ledger.portfolio`, as plain values), the open alerts, and one
facility's latest reading. They select the columns shown, not whole rows: the dashboard is
asked for on every `/loan status` and every Home visit, and building ORM objects for every
facility, installment and alert was most of its cost.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.findings import Severity
from bot.alerts.policy import AlertState
from bot.holidays import unknown_holiday_years
from bot.ledger.portfolio import PositionLine, UpcomingLine, position_lines, upcoming_lines
from bot.models import Alert, Facility, LimitReading

# Enough to fill a screen; the rest is a `loanwatch alert list` away.
SHOWN_ALERTS = 20
SHOWN_DUE = 20


@dataclass(frozen=True)
class AlertLine:
    """An alert that is not resolved."""

    id: int
    severity: str
    check: str
    summary: str
    acknowledged_by: str | None
    # How the summary was worded (alerts.wording), to say it in the reader's language.
    wording: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReadingLine:
    """What the platform showed last, and the facility's time zone to show when in."""

    observed_at: datetime
    limit_amount: Decimal
    available: Decimal | None
    status: str
    timezone: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """The portfolio (or one facility) at a moment."""

    positions: list[PositionLine]
    due_this_week: list[UpcomingLine]
    open_alerts: list[AlertLine]
    open_alert_count: int
    latest_reading: ReadingLine | None = None
    unknown_years: tuple[int, ...] = ()


def dashboard(
    session: Session,
    now: datetime,
    *,
    facility: Facility | None = None,
    known_year: Callable[[int], bool] | None = None,
    zone: tzinfo = UTC,
) -> Dashboard:
    """Positions, installments due in the next 7 days, open alerts (critical first, then newest)."""
    today = now.astimezone(zone).date()  # "this week" is the team's week, not UTC's
    only = facility.id if facility is not None else None
    lines = position_lines(session, facility_id=only)
    due = upcoming_lines(
        session,
        on_or_after=today,
        before=today + timedelta(days=7),
        facility_id=only,
        limit=SHOWN_DUE,
    )
    alerts, count = _open_alerts(session, only)
    reading = _latest_reading(session, facility) if facility is not None else None
    # The years the holidays_unknown admin alert tells about too (one rule: bot.holidays).
    unknown = unknown_holiday_years(session, now, known_year, zone) if known_year else ()
    return Dashboard(lines, due, alerts, count, reading, unknown)


def _latest_reading(session: Session, facility: Facility) -> ReadingLine | None:
    row = session.execute(
        select(
            LimitReading.observed_at,
            LimitReading.limit_amount,
            LimitReading.available,
            LimitReading.status,
        )
        .where(LimitReading.facility_id == facility.id)
        .order_by(LimitReading.observed_at.desc())
        .limit(1)
    ).first()
    return ReadingLine(*row, timezone=facility.timezone) if row else None


def _open_alerts(session: Session, facility_id: int | None) -> tuple[list[AlertLine], int]:
    where = [Alert.state != AlertState.RESOLVED]
    if facility_id is not None:
        where.append(Alert.facility_id == facility_id)
    shown = session.execute(
        select(
            Alert.id,
            Alert.severity,
            Alert.check,
            Alert.summary,
            Alert.acknowledged_by,
            Alert.wording,
        )
        .where(*where)
        .order_by((Alert.severity == Severity.CRITICAL).desc(), Alert.id.desc())
        .limit(SHOWN_ALERTS)
    )
    count = session.scalar(select(func.count()).select_from(Alert).where(*where)) or 0
    return [AlertLine(*row) for row in shown], count
