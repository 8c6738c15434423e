"""The money many alerts put at risk, read in a constant number of queries.

The same figures as :func:`bot.oncall.urgency.at_risk` gives one alert (see that module for
what an alert's subject names and how the late fee is counted), for the escalation engine,
which weighs every open alert each minute: at most one query for the bills named, one for the
installments of the draws named and one for the facilities' installments due on a date.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.db import among
from bot.models import Bill, Facility, Installment, InstallmentStatus
from bot.money import round_fen
from bot.oncall.urgency import _SUBJECT, AtRisk, business_days_until


@dataclass(frozen=True)
class _Named:
    """What an alert's subject names: a due date, and a bill or a draw (or the facility)."""

    alert_id: int
    facility_id: int
    due: date
    kind: str | None  # "b" a bill, "d" a draw, None the facility's installments that day
    number: int | None


def named(alert_id: int, facility_id: int | None, subject: str | None) -> _Named | None:
    """What the subject names, or None when it names no due date on a facility."""
    match = _SUBJECT.fullmatch(subject or "")
    if match is None or facility_id is None:
        return None
    number = int(match.group(3)) if match.group(3) else None
    return _Named(alert_id, facility_id, date.fromisoformat(match.group(1)), match.group(2), number)


def risks(
    session: Session,
    subjects: Iterable[_Named],
    facilities: dict[int, Facility],
    *,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[int, AtRisk]:
    """Each alert's money at risk, by alert id (alerts with none are left out)."""
    wanted = list(subjects)
    amounts = {
        **_bill_amounts(session, [n for n in wanted if n.kind == "b"]),
        **_installment_sums(session, [n for n in wanted if n.kind != "b"]),
    }
    found: dict[int, AtRisk] = {}
    days: dict[tuple[date, date], int] = {}
    for item in wanted:
        amount = amounts.get(item.alert_id)
        facility = facilities.get(item.facility_id)
        if amount is None or facility is None:
            continue
        today = now.astimezone(ZoneInfo(facility.timezone)).date()
        if (today, item.due) not in days:
            days[today, item.due] = business_days_until(calendar, today, item.due)
        fee = round_fen(amount * facility.daily_rate * facility.penalty_multiplier)
        found[item.alert_id] = AtRisk(
            amount, facility.currency, item.due, days[today, item.due], fee
        )
    return found


def _bill_amounts(session: Session, items: list[_Named]) -> dict[int, Decimal]:
    """A bill's amount: its current version (the newest of the bill and its corrections)."""
    numbers = sorted({n.number for n in items if n.number is not None})
    if not numbers:
        return {}
    newest: dict[int, tuple[int, Decimal]] = {}
    rows = session.execute(
        select(Bill.id, Bill.origin_id, Bill.amount).where(
            or_(among(session, Bill.id, numbers), among(session, Bill.origin_id, numbers)),
            Bill.superseded_at.is_(None),
        )
    )
    for row in rows:
        for number in {row.id, row.origin_id} - {None}:
            if number not in newest or newest[number][0] < row.id:
                newest[number] = (row.id, Decimal(row.amount))
    return {n.alert_id: newest[n.number][1] for n in items if n.number in newest}


def _installment_sums(session: Session, items: list[_Named]) -> dict[int, Decimal]:
    """The installments due that day: of the draw named, else of the facility."""
    if not items:
        return {}
    days = sorted({n.due for n in items})
    live = Installment.status != InstallmentStatus.SUPERSEDED
    sums: dict[tuple[str | None, int, date], Decimal] = defaultdict(Decimal)
    for kind, key in (("d", Installment.draw_id), (None, Installment.facility_id)):
        ids = sorted({(n.number if kind else n.facility_id) for n in items if n.kind == kind})
        if not ids:
            continue
        rows = session.execute(
            select(key, Installment.due_date, func.sum(Installment.amount))
            .where(among(session, key, ids), among(session, Installment.due_date, days), live)
            .group_by(key, Installment.due_date)
        )
        for owner, due, amount in rows:
            if amount is not None:
                sums[kind, owner, due] = Decimal(amount)
    found = {}
    for n in items:
        owner = n.number if n.kind == "d" else n.facility_id
        if owner is not None and (n.kind, owner, n.due) in sums:
            found[n.alert_id] = sums[n.kind, owner, n.due]
    return found
