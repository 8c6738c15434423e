"""What `/loan status` and App Home show: positions, installments due soon, open alerts.

Read-only, four small queries whatever the portfolio's size. They select the columns shown, not
whole rows: the dashboard is asked for on every `/loan status` and every Home visit, and
building ORM objects for every facility, installment and alert was most of its cost.
"""

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.policy import AlertState
from bot.ledger.portfolio import ZERO, drawn_and_repaid
from bot.models import Alert, Facility, Installment, LimitReading

# Enough to fill a screen; the rest is a `loanwatch alert list` away.
SHOWN_ALERTS = 20
SHOWN_DUE = 20


@dataclass(frozen=True)
class FacilityLine:
    """A facility's limit and what the ledger says is used."""

    id: int
    slug: str
    name: str
    currency: str
    limit_amount: Decimal
    outstanding: Decimal

    @property
    def available(self) -> Decimal:
        return self.limit_amount - self.outstanding


@dataclass(frozen=True)
class DueLine:
    """An unpaid installment coming up."""

    due_date: date
    slug: str
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class AlertLine:
    """An alert that is not resolved."""

    id: int
    severity: str
    check: str
    summary: str
    acknowledged_by: str | None


@dataclass(frozen=True)
class ReadingLine:
    """What the platform showed last."""

    observed_at: datetime
    limit_amount: Decimal
    available: Decimal | None
    status: str


@dataclass(frozen=True)
class Dashboard:
    """The portfolio (or one facility) at a moment."""

    positions: list[FacilityLine]
    due_this_week: list[DueLine]
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
    lines = _positions(session, only)
    due = _due(session, today, today + timedelta(days=7), only)
    alerts, count = _open_alerts(session, only)
    reading = None
    if facility is not None:
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
        reading = ReadingLine(*row) if row else None
    years = sorted({d.due_date.year for d in due} | {today.year, today.year + 1})
    unknown = tuple(y for y in years if known_year is not None and not known_year(y))
    return Dashboard(lines, due, alerts, count, reading, unknown)


def _positions(session: Session, facility_id: int | None) -> list[FacilityLine]:
    drawn, repaid = drawn_and_repaid()
    query = (
        select(
            Facility.id,
            Facility.slug,
            Facility.name,
            Facility.currency,
            Facility.limit_amount,
            drawn.c.amount,
            repaid.c.amount,
        )
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        .order_by(Facility.slug)
    )
    if facility_id is not None:
        query = query.where(Facility.id == facility_id)
    return [
        FacilityLine(id_, slug, name, currency, limit, (drawn_ or ZERO) - (repaid_ or ZERO))
        for id_, slug, name, currency, limit, drawn_, repaid_ in session.execute(query)
    ]


def _due(session: Session, start: date, end: date, facility_id: int | None) -> list[DueLine]:
    query = (
        select(Installment.due_date, Facility.slug, Facility.currency, Installment.amount)
        .join(Facility, Facility.id == Installment.facility_id)
        .where(
            Installment.status == "scheduled",
            Installment.due_date >= start,
            Installment.due_date < end,
        )
        .order_by(Installment.due_date, Facility.slug, Installment.draw_id)
        .limit(SHOWN_DUE)
    )
    if facility_id is not None:
        query = query.where(Installment.facility_id == facility_id)
    return [DueLine(*row) for row in session.execute(query)]


def _open_alerts(session: Session, facility_id: int | None) -> tuple[list[AlertLine], int]:
    where = [Alert.state != AlertState.RESOLVED]
    if facility_id is not None:
        where.append(Alert.facility_id == facility_id)
    shown = session.execute(
        select(Alert.id, Alert.severity, Alert.check, Alert.summary, Alert.acknowledged_by)
        .where(*where)
        .order_by((Alert.severity == "critical").desc(), Alert.id.desc())
        .limit(SHOWN_ALERTS)
    )
    count = session.scalar(select(func.count()).select_from(Alert).where(*where)) or 0
    return [AlertLine(*row) for row in shown], count


class DashboardCache:
    """Dashboards for a few seconds, so a burst of `/loan status` costs one read.

    An entry is used while it is younger than `seconds` and nothing was written through this
    process since (the app bumps `generation` on every commit). Writes by other processes (the
    worker's checks, another replica, the CLI) show within `seconds`. Zero turns it off.
    """

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.monotonic = monotonic
        self.generation = 0
        self._entries: dict[Hashable, tuple[float, int, Dashboard]] = {}
        self._lock = threading.Lock()

    def written(self) -> None:
        """Something was committed: every entry is out of date."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def get(self, key: Hashable) -> Dashboard | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, generation, board = entry
            if generation != self.generation or self.monotonic() - stored_at >= self.seconds:
                del self._entries[key]
                return None
            return board

    def put(self, key: Hashable, board: Dashboard, generation: int) -> None:
        """Keep `board`, read while the cache was at `generation` (taken before the read)."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation == self.generation:
                self._entries[key] = (self.monotonic(), generation, board)
