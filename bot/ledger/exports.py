"""The ledger as plain rows, for `loanwatch export`: amounts as two-decimal strings, ISO dates."""

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.calendar import BusinessCalendar
from bot.digest.cashflow import cashflow_rows
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.repayments import breakdown
from bot.ledger.repayments.payoff import accruals, month_end
from bot.models import (
    FACILITY_THRESHOLDS,
    Alert,
    AuditRecord,
    Bill,
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    LimitReading,
    Platform,
    Repayment,
)
from bot.money import format_rate, money_str
from bot.tickets.exports import ticket_rows

Row = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _facilities(session: Session, **_: Any) -> Iterator[Row]:
    query = select(Facility, Platform).join(Platform).order_by(Facility.slug)
    for facility, platform in session.execute(query):
        yield {
            "facility": facility.slug,
            "platform": platform.name,
            "limit": facility.limit_amount,
            "currency": facility.currency,
            "daily_rate": str(facility.daily_rate.normalize()),
            "daily_rate_percent": format_rate(facility.daily_rate),
            **_annual_rate(facility),
            "method": facility.repayment_method,
            "day_count": facility.day_count,
            "rounding": facility.rounding,
            "first_period": facility.first_period,
            "repayment_day": facility.repayment_day,
            "repayment_day_rule": facility.repayment_day_rule,
            "holiday_rule": facility.holiday_rule,
            "penalty_multiplier": str(facility.penalty_multiplier.normalize()),
            "penalty_on_interest": facility.penalty_on_interest,
            "channel": facility.alert_channel,
            "timezone": facility.timezone,
            "active": facility.active,
            "thresholds": {
                name: str(getattr(facility, name))
                for name in FACILITY_THRESHOLDS
                if getattr(facility, name) is not None
            },
        }


def _annual_rate(row: Facility | Draw) -> Row:
    """A rate given per year, as given: the fraction and the days of its year (else empty)."""
    return {
        "annual_rate": None if row.annual_rate is None else str(row.annual_rate.normalize()),
        "rate_basis": row.rate_basis,
    }


def _draws(session: Session, **_: Any) -> Iterator[Row]:
    query = select(Draw, Facility.slug).join(Facility).order_by(Draw.id)
    for draw, slug in session.execute(query):
        yield {
            "id": draw.id,
            "facility": slug,
            "amount": draw.amount,
            "drawn_on": draw.drawn_on,
            "months": draw.months,
            "method": draw.repayment_method,
            "day_count": draw.day_count,
            "daily_rate": str(draw.daily_rate.normalize()),
            **_annual_rate(draw),
            "rounding": draw.rounding,
            "repayment_day": draw.repayment_day,
            "note": draw.note,
            "confirmed_at": draw.confirmed_at,
            "created_by": draw.created_by,
        }


def _installments(session: Session, *, include_superseded: bool = False, **_: Any) -> Iterator[Row]:
    query = (
        select(Installment, Facility.slug)
        .join(Facility, Facility.id == Installment.facility_id)
        .order_by(Installment.draw_id, Installment.revision, Installment.seq, Installment.version)
    )
    if not include_superseded:
        query = query.where(Installment.status != InstallmentStatus.SUPERSEDED)
    for installment, slug in session.execute(query):
        yield {
            "facility": slug,
            "draw_id": installment.draw_id,
            "seq": installment.seq,
            "revision": installment.revision,
            "due_date": installment.due_date,
            "principal": installment.principal,
            "interest": installment.interest,
            "amount": installment.amount,
            "status": installment.status,
            "paid_on": installment.paid_on,
        }


def _repayments(session: Session, **_: Any) -> Iterator[Row]:
    query = (
        select(Repayment, Facility.slug)
        .join(Facility)
        .options(selectinload(Repayment.allocations))
        .order_by(Repayment.id)
    )
    for repayment, slug in session.execute(query):
        placed = breakdown(repayment)
        yield {
            "id": repayment.id,
            "facility": slug,
            "amount": repayment.amount,
            "paid_on": repayment.paid_on,
            "principal": placed.principal,
            "interest": placed.interest,
            "penalty": placed.penalty,
            "penalty_itemised": repayment.penalty_given,
            "fee": repayment.fee,
            "unexplained": placed.unexplained,
            "accepted_reason": repayment.accept_reason,
            "reference": repayment.external_ref,
            "note": repayment.note,
            "created_by": repayment.created_by,
        }


def _bills(session: Session, **_: Any) -> Iterator[Row]:
    query = select(Bill, Facility.slug).join(Facility).order_by(Bill.due_date, Bill.id)
    for bill, slug in session.execute(query):
        yield {
            "id": bill.id,
            "facility": slug,
            "due_date": bill.due_date,
            "amount": bill.amount,
            "paid": bill.paid,
            "observed_at": bill.observed_at,
            "reference": bill.reference,
            "source": bill.source,
            "last_seen_at": bill.last_seen_at or bill.observed_at,
            "paid_at": bill.paid_at,
            "version_of": bill.origin_id,
            "superseded_at": bill.superseded_at,
            "removal_reason": bill.removal_reason,
        }


def _limits(session: Session, **_: Any) -> Iterator[Row]:
    query = (
        select(LimitReading, Facility.slug)
        .join(Facility)
        .order_by(LimitReading.observed_at, LimitReading.id)
    )
    for reading, slug in session.execute(query):
        yield {
            "id": reading.id,
            "facility": slug,
            "observed_at": reading.observed_at,
            "limit": reading.limit_amount,
            "available": reading.available,
            "status": reading.status,
            "source": reading.source,
        }


def _audit(session: Session, **_: Any) -> Iterator[Row]:
    for entry in session.scalars(select(AuditRecord).order_by(AuditRecord.id)):
        yield {
            "id": entry.id,
            "at": entry.at,
            "actor": entry.actor,
            "source": entry.source,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "before": entry.before,
            "after": entry.after,
        }


def _alerts(session: Session, **_: Any) -> Iterator[Row]:
    query = select(Alert, Facility.slug).outerjoin(Facility).order_by(Alert.id)
    for alert, slug in session.execute(query):
        yield {
            "id": alert.id,
            "check": alert.check,
            "facility": slug,
            "fingerprint": alert.fingerprint,
            "severity": alert.severity,
            "state": alert.state,
            "summary": alert.summary,
            "opened_at": alert.opened_at,
            "last_seen_at": alert.last_seen_at,
            "acknowledged_by": alert.acknowledged_by,
            "acknowledged_at": alert.acknowledged_at,
            "snoozed_until": alert.snoozed_until,
            "resolved_at": alert.resolved_at,
            "resolved_by": alert.resolved_by,
            "resolve_reason": alert.resolve_reason,
        }


def _accruals(
    session: Session,
    *,
    month: str | None = None,
    calendar: BusinessCalendar | None = None,
    now: datetime | None = None,
    **_options: Any,
) -> Iterator[Row]:
    """Per facility, what it owed at the month's end: principal, interest accrued and not paid
    (计提), penalty."""
    if month is None or now is None:
        raise InputError(_("accruals are for a month: give --month YYYY-MM (2026-12)"))
    facilities = list(session.scalars(select(Facility).order_by(Facility.slug)))
    end = month_end(month)
    for accrual in accruals(session, facilities, end, calendar or BusinessCalendar(), now=now):
        yield {
            "facility": accrual.facility.slug,
            "month_end": accrual.month_end,
            "currency": accrual.facility.currency,
            "principal": accrual.principal,
            "accrued_interest": accrual.interest,
            "penalty": accrual.penalty,
        }


EXPORTS: dict[str, Callable[..., Iterator[Row]]] = {
    "accruals": _accruals,
    "alerts": _alerts,
    "cashflow": cashflow_rows,
    "facilities": _facilities,
    "draws": _draws,
    "installments": _installments,
    "repayments": _repayments,
    "bills": _bills,
    "limits": _limits,
    "audit": _audit,
    "tickets": ticket_rows,
}


# The columns of each kind, in order: a CSV of no rows still has its header. Tied to the rows
# the functions above yield by tests/cli/test_ledger_commands.py.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accruals": (
        "facility", "month_end", "currency", "principal", "accrued_interest", "penalty",
    ),
    "alerts": (
        "id", "check", "facility", "fingerprint", "severity", "state", "summary", "opened_at",
        "last_seen_at", "acknowledged_by", "acknowledged_at", "snoozed_until", "resolved_at",
        "resolved_by", "resolve_reason",
    ),
    "cashflow": ("week_start", "facility", "principal", "interest", "amount", "overdue"),
    "facilities": (
        "facility", "platform", "limit", "currency", "daily_rate", "daily_rate_percent",
        "annual_rate", "rate_basis", "method", "day_count", "rounding", "first_period",
        "repayment_day", "repayment_day_rule", "holiday_rule", "penalty_multiplier",
        "penalty_on_interest", "channel", "timezone", "active", "thresholds",
    ),
    "draws": (
        "id", "facility", "amount", "drawn_on", "months", "method", "day_count", "daily_rate",
        "annual_rate", "rate_basis", "rounding", "repayment_day", "note", "confirmed_at",
        "created_by",
    ),
    "installments": (
        "facility", "draw_id", "seq", "revision", "due_date", "principal", "interest", "amount",
        "status", "paid_on",
    ),
    "repayments": (
        "id", "facility", "amount", "paid_on", "principal", "interest", "penalty",
        "penalty_itemised", "fee", "unexplained", "accepted_reason", "reference", "note",
        "created_by",
    ),
    "bills": (
        "id", "facility", "due_date", "amount", "paid", "observed_at", "reference", "source",
        "last_seen_at", "paid_at", "version_of", "superseded_at", "removal_reason",
    ),
    "limits": ("id", "facility", "observed_at", "limit", "available", "status", "source"),
    "audit": (
        "id", "at", "actor", "source", "action", "entity", "entity_id", "before", "after",
    ),
    "tickets": (
        "id", "facility", "platform", "subject", "state", "via", "owner", "opened_at", "case_ref",
        "alerts", "last_contact_at", "next_follow_up_at", "follow_ups", "closed_at", "resolution",
    ),
}  # fmt: skip


def export_rows(session: Session, kind: str, **options: Any) -> list[Row]:
    """Rows of one kind with every value JSON- and CSV-ready."""
    return [
        {key: _plain(value) for key, value in row.items()}
        for row in EXPORTS[kind](session, **options)
    ]
