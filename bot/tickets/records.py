"""The usage records (使用记录) of a facility, and the discrepancies its linked alerts show.

Plain typed rows: `bot.tickets.text` words them in the platform's language (the letter in
`letter`) and writes the CSV (`usage`: UTF-8 with BOM, so Excel shows Chinese correctly).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.ledger.facilities import facility_zone
from bot.models import (
    Alert,
    Bill,
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    LimitReading,
    Repayment,
)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RecordKind(StrEnum):
    """What a row of the usage records is."""

    DRAW = "draw"
    INSTALLMENT = "installment"
    REPAYMENT = "repayment"
    BILL = "bill"
    LIMIT = "limit"
    ALERT = "alert"


@dataclass(frozen=True)
class UsageRecord:
    """One row: what, on which day, its reference, amounts and status as stored."""

    kind: RecordKind
    on: date
    reference: str
    amount: Decimal | None = None
    principal: Decimal | None = None
    interest: Decimal | None = None
    status: str = ""
    detail: str = ""
    check: str = ""  # an alert's check, and its facts (label, value), to word it per language
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MissingBill:
    """The ledger expects a bill the platform does not show."""

    draw_id: int
    drawn_on: date
    draw_amount: Decimal
    due_date: date
    expected: Decimal
    since: date  # since when the platform should have shown it


@dataclass(frozen=True)
class WrongAmount:
    """The platform's bill differs from what the ledger expects."""

    due_date: date
    expected: Decimal
    billed: Decimal
    bill_due: date
    since: date


@dataclass(frozen=True)
class OtherFinding:
    """Any other alert: its check, its own summary and its facts (label → value, as the alert
    states them), for the summary to word in the platform's language."""

    check: str
    summary: str
    since: date
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OverdueBill:
    """The platform shows a bill unpaid past its due date: what the ledger has for that day."""

    due_date: date
    billed: Decimal
    days: int
    expected: Decimal | None  # the installments due that day, None if the ledger has none
    draw_ids: tuple[int, ...]
    since: date


Discrepancy = MissingBill | WrongAmount | OverdueBill | OtherFinding


@dataclass(frozen=True)
class UsageRecords:
    """A facility's records over a period, and what its linked alerts say is wrong."""

    facility: str
    currency: str
    start: date
    end: date
    records: tuple[UsageRecord, ...]
    discrepancies: tuple[Discrepancy, ...]


def usage_records(
    session: Session, facility: Facility, alerts: Sequence[Alert], *, days: int, now: datetime
) -> UsageRecords:
    """1. The period: the last `days` days to today, in the facility's zone.
    2. Draws, installments, repayments, bills and limit readings in it, and the alerts.
    3. The discrepancies the alerts show, with the ledger's own figures."""
    zone = facility_zone(facility)
    end = now.astimezone(zone).date()
    start = end - timedelta(days=days)
    since = datetime.combine(start, datetime.min.time(), zone)
    found = [d for a in alerts if (d := _discrepancy(session, a, zone)) is not None]
    alert_draws = {d.draw_id for d in found if isinstance(d, MissingBill)}
    records = [
        *_draws(session, facility.id, start, alert_draws),
        *_installments(session, facility.id, start, end),
        *_repayments(session, facility.id, start),
        *_bills(session, facility.id, start, since),
        *_limits(session, facility.id, since, zone),
        *(_alert_record(a, zone) for a in alerts),
    ]
    return UsageRecords(facility.slug, facility.currency, start, end, tuple(records), tuple(found))


def _draws(session: Session, facility_id: int, start: date, also: set[int]) -> list[UsageRecord]:
    query = select(Draw).where(
        Draw.facility_id == facility_id, or_(Draw.drawn_on >= start, Draw.id.in_(also or {0}))
    )
    return [
        UsageRecord(
            RecordKind.DRAW,
            d.drawn_on,
            f"#{d.id}",
            d.amount,
            status=d.repayment_method,
            detail=f"{d.months}",
        )
        for d in session.scalars(query.order_by(Draw.drawn_on, Draw.id))
    ]


def _installments(session: Session, facility_id: int, start: date, end: date) -> list[UsageRecord]:
    # Due in the period, and the next ones (up to as far ahead as the period reaches back).
    query = select(Installment).where(
        Installment.facility_id == facility_id,
        Installment.status != InstallmentStatus.SUPERSEDED,
        Installment.due_date >= start,
        Installment.due_date <= end + (end - start),
    )
    return [
        UsageRecord(
            RecordKind.INSTALLMENT,
            i.due_date,
            f"#{i.draw_id}-{i.seq}",
            i.amount,
            i.principal,
            i.interest,
            status=i.status,
        )
        for i in session.scalars(query.order_by(Installment.due_date, Installment.draw_id))
    ]


def _repayments(session: Session, facility_id: int, start: date) -> list[UsageRecord]:
    query = select(Repayment).where(
        Repayment.facility_id == facility_id, Repayment.paid_on >= start
    )
    return [
        UsageRecord(RecordKind.REPAYMENT, r.paid_on, r.external_ref or f"#{r.id}", r.amount)
        for r in session.scalars(query.order_by(Repayment.paid_on, Repayment.id))
    ]


def _bills(session: Session, facility_id: int, start: date, since: datetime) -> list[UsageRecord]:
    query = select(Bill).where(
        Bill.facility_id == facility_id, or_(Bill.due_date >= start, Bill.observed_at >= since)
    )
    return [
        UsageRecord(
            RecordKind.BILL,
            b.due_date,
            b.reference or f"#{b.id}",
            b.amount,
            status="paid" if b.paid else "unpaid",
        )
        for b in session.scalars(query.order_by(Bill.due_date, Bill.id))
    ]


def _limits(session: Session, facility_id: int, since: datetime, zone: tzinfo) -> list[UsageRecord]:
    query = select(LimitReading).where(
        LimitReading.facility_id == facility_id, LimitReading.observed_at >= since
    )
    return [
        UsageRecord(
            RecordKind.LIMIT,
            r.observed_at.astimezone(zone).date(),
            r.observed_at.astimezone(zone).strftime("%H:%M"),
            r.limit_amount,
            status=r.status,
            detail="" if r.available is None else str(r.available),
        )
        for r in session.scalars(query.order_by(LimitReading.observed_at))
    ]


def _alert_record(alert: Alert, zone: tzinfo) -> UsageRecord:
    return UsageRecord(
        RecordKind.ALERT,
        alert.opened_at.astimezone(zone).date(),
        f"#{alert.id}",
        status=alert.state,
        detail=f"{alert.check}: {alert.summary}",
        check=alert.check,
        facts=tuple((str(label), str(value)) for label, value in (alert.facts or {}).items()),
    )


def _discrepancy(session: Session, alert: Alert, zone: tzinfo) -> Discrepancy | None:
    """What the alert says is wrong, in the ledger's figures (its subject names the due date
    and, for a missing bill, the draw: `2026-12-08#d3`)."""
    since = alert.opened_at.astimezone(zone).date()
    due_text, _, draw_text = alert.subject.partition("#d")
    # bill_missing says since when the bill should have shown: "2026-11-29 00:00 (zone)".
    visible = str(alert.facts.get("Bill expected since", ""))[:10]
    if _ISO_DATE.fullmatch(visible):
        since = date.fromisoformat(visible)
    if alert.check == Check.BILL_MISSING and draw_text.isdigit():
        due = date.fromisoformat(due_text)
        draw = session.get(Draw, int(draw_text))
        expected = session.scalar(
            select(Installment.amount).where(
                Installment.draw_id == int(draw_text),
                Installment.due_date == due,
                Installment.status != InstallmentStatus.SUPERSEDED,
            )
        )
        if draw is not None and expected is not None:
            return MissingBill(draw.id, draw.drawn_on, draw.amount, due, expected, since)
    bill_due_text = str(alert.facts.get("Bill due date", ""))
    if alert.check == Check.BILL_AMOUNT_MISMATCH and bill_due_text:
        due, bill_due = date.fromisoformat(due_text), date.fromisoformat(bill_due_text)
        expected = session.scalar(
            select(func.sum(Installment.amount)).where(
                Installment.facility_id == alert.facility_id,
                Installment.due_date == due,
                Installment.status != InstallmentStatus.SUPERSEDED,
            )
        )
        billed = session.scalar(
            select(Bill.amount)
            .where(Bill.facility_id == alert.facility_id, Bill.due_date == bill_due)
            .order_by(Bill.observed_at.desc())
            .limit(1)
        )
        if expected is not None and billed is not None:
            # SUM keeps the column's type, so the total comes back as Decimal yuan.
            return WrongAmount(due, expected, billed, bill_due, since)
    if alert.check == Check.BILL_OVERDUE and bill_due_text:
        return _overdue(session, alert, date.fromisoformat(bill_due_text), since)
    facts = {str(label): str(value) for label, value in (alert.facts or {}).items()}
    if alert.check == Check.DATA_STALE:  # when loanwatch began expecting data
        facility = session.get(Facility, alert.facility_id)
        if facility is not None:
            facts["Expected since"] = facility.created_at.astimezone(zone).date().isoformat()
    return OtherFinding(alert.check, alert.summary, since, facts)


def _overdue(session: Session, alert: Alert, due: date, since: date) -> OverdueBill | None:
    """A bill_overdue alert: the bill as the platform shows it, the installments due that day."""
    billed = session.scalar(
        select(Bill.amount)
        .where(Bill.facility_id == alert.facility_id, Bill.due_date == due)
        .order_by(Bill.observed_at.desc())
        .limit(1)
    )
    if billed is None:
        return None
    rows = session.execute(
        select(Installment.draw_id, Installment.amount).where(
            Installment.facility_id == alert.facility_id,
            Installment.due_date == due,
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
    ).all()
    expected = sum((amount for _, amount in rows), Decimal(0)) if rows else None
    days = str(alert.facts.get("Days overdue", "0"))
    draws = tuple(sorted({draw_id for draw_id, _ in rows}))
    return OverdueBill(due, billed, int(days) if days.isdigit() else 0, expected, draws, since)
