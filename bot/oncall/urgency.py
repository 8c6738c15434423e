"""Deadline-aware urgency: how near the due date of the money an alert puts at risk is.

The money is `bot.alerts.at_risk`'s, the one computation the alert's message and the digest
read too. An alert whose due date is within `LOANWATCH_URGENT_DAYS` business days (or past)
escalates as critical whatever its severity (`AtRisk.urgent`).
"""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerts.at_risk import AtRisk, business_days_until, money_at_risk
from bot.alerts.findings import Severity
from bot.calendar import BusinessCalendar
from bot.models import Alert

__all__ = ["AtRisk", "at_risk", "business_days_until", "escalates_as"]


def at_risk(
    session: Session, alert: Alert, *, now: datetime, calendar: BusinessCalendar
) -> AtRisk | None:
    """The money `alert` puts at risk, with the business days to its due date; None if none."""
    return money_at_risk(session, [alert], now=now, calendar=calendar).get(alert.id)


def escalates_as(severity: str, risk: AtRisk | None, within: int) -> str:
    """The severity an alert escalates as, and the digest lists it as: critical when the money
    it puts at risk is due within `within` business days (or past due), else its own."""
    return str(Severity.CRITICAL) if risk is not None and risk.urgent(within) else severity
