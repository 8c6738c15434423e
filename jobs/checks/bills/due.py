"""Unpaid bills coming due or past due: `bill_due_soon` and `bill_overdue`.

Both finish, in each facility's zone, the unpaid bills the cycle reads once
(`scans.unpaid_bills`).
"""

from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.bills.paid import ledger_payments, past_due
from jobs.checks.bills.scans import bill_subject, business_days_after, unpaid_bills
from jobs.checks.common import (
    CycleScans,
    local_today,
    scans_for,
)


def bill_due_soon(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An unpaid bill due today or within the next `due_soon_days` business days.

    Business days, because a finance team needs working days to pay: on 2025-09-30 a bill due
    2025-10-09 is 9 calendar days away but only one business day. Firing starts at the start of
    the day (facility zone) on which the due date comes within the horizon.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    last_days: dict[tuple[date, int], date] = {}
    findings = []
    for bill in unpaid_bills(scans):
        today = local_today(now, bill.timezone)
        if (today, bill.soon) not in last_days:
            last_days[today, bill.soon] = business_days_after(calendar, today, bill.soon)
        last_day = last_days[today, bill.soon]
        if not today <= bill.due_date <= last_day:
            continue
        days = (bill.due_date - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days > 1 else ''}"
        amount = format_money(bill.amount, bill.currency)
        findings.append(
            Finding(
                check=Check.BILL_DUE_SOON,
                facility_id=bill.facility_id,
                subject=bill_subject(bill),
                severity=Severity.WARNING,
                summary=f"bill of {amount} is due {bill.due_date.isoformat()} ({when}), not paid",
                facts={
                    "Facility": bill.slug,
                    "Bill due date": bill.due_date.isoformat(),
                    "Billed": amount,
                    "Due soon means": f"within {bill.soon} business days",
                },
            )
        )
    return findings


def bill_overdue(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An unpaid bill whose collection day has ended in the facility's zone: critical.

    The collection day is the bill's due date moved by the facility's holiday rule
    (`bot.ledger.terms.effective_due_date`): a bank bill due on 10-01, a holiday, is collected
    on the next business day and is not overdue before that day has ended. A bill the ledger
    recorded a repayment for is `repayment_unseen`'s finding, not this one.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    paid = ledger_payments(scans)
    findings = []
    for bill, collected, days in past_due(scans):
        if (bill.facility_id, bill.due_date) in paid:
            continue
        amount = format_money(bill.amount, bill.currency)
        moved = "" if collected == bill.due_date else f" (collected {collected.isoformat()})"
        facts = {
            "Facility": bill.slug,
            "Bill due date": bill.due_date.isoformat(),
            "Billed": amount,
            "Days overdue": str(days),
        }
        if moved:
            facts["Collected on"] = collected.isoformat()
        findings.append(
            Finding(
                check=Check.BILL_OVERDUE,
                facility_id=bill.facility_id,
                subject=bill_subject(bill),
                severity=Severity.CRITICAL,
                summary=(
                    f"bill of {amount} was due {bill.due_date.isoformat()}{moved}, "
                    f"{days} day{'s' if days > 1 else ''} ago, and is not paid"
                ),
                facts=facts,
            )
        )
    return findings
