"""Deadline-aware urgency: the money an alert puts at risk and how near its due date is.

An alert about a bill or an installment names its due date in its subject (`2026-12-10#b7`,
`2026-12-10#d3`, or the bare date). From the ledger: the bill's amount (its current version),
or the installments due that day (of the draw, or of the facility); the late fee a day is that
amount × the facility's daily rate × its penalty multiple. An alert whose due date is within
`LOANWATCH_URGENT_DAYS` business days (or past) escalates as critical whatever its severity.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.alerts.notices import at_risk_words
from bot.calendar import BusinessCalendar
from bot.models import Alert, Bill, Facility, Installment, InstallmentStatus
from bot.money import format_money, round_fen

_SUBJECT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:#([bd])([0-9]+))?")


@dataclass(frozen=True)
class AtRisk:
    """What an alert puts at risk: an amount due on a date, and the late fee a day after it."""

    amount: Decimal
    currency: str
    due: date
    business_days: int  # working days from today to the due date; negative once past it
    late_fee: Decimal  # a day, once overdue (0 when the facility has no penalty)

    def words(self) -> str:
        fee = format_money(self.late_fee, self.currency) if self.late_fee else None
        return at_risk_words(format_money(self.amount, self.currency), self.business_days, fee)

    def urgent(self, within: int) -> bool:
        return self.business_days <= within


def business_days_until(calendar: BusinessCalendar, today: date, due: date) -> int:
    """Working days after `today` up to and including `due`; minus the calendar days past it."""
    if due < today:
        return -(today - due).days
    count, day = 0, today
    while day < due:
        day += timedelta(days=1)
        count += calendar.is_business_day(day)
    return count


def at_risk(
    session: Session, alert: Alert, *, now: datetime, calendar: BusinessCalendar
) -> AtRisk | None:
    """The money `alert` puts at risk, or None when it names no due date on a facility."""
    match = _SUBJECT.fullmatch(alert.subject or "")
    if match is None or alert.facility_id is None:
        return None
    facility = session.get(Facility, alert.facility_id)
    if facility is None:
        return None
    due = date.fromisoformat(match.group(1))
    kind, number = match.group(2), int(match.group(3)) if match.group(3) else None
    if kind == "b":
        amount = session.scalar(
            select(Bill.amount)
            .where(or_(Bill.id == number, Bill.origin_id == number), Bill.superseded_at.is_(None))
            .order_by(Bill.id.desc())
            .limit(1)
        )
    else:
        query = select(func.sum(Installment.amount)).where(
            Installment.due_date == due,
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
        query = query.where(
            Installment.draw_id == number if kind == "d" else Installment.facility_id == facility.id
        )
        amount = session.scalar(query)
    if amount is None:
        return None
    amount = Decimal(amount)
    today = now.astimezone(ZoneInfo(facility.timezone)).date()
    fee = round_fen(amount * facility.daily_rate * facility.penalty_multiplier)
    return AtRisk(amount, facility.currency, due, business_days_until(calendar, today, due), fee)
