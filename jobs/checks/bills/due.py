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
from bot.ledger.schedule import HolidayRule
from bot.ledger.terms import collection_date
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
    """An unpaid bill collected today or within the next `due_soon_days` business days.

    The day counted to is the day the platform collects: the bill's due date moved by the
    facility's holiday rule (`bot.ledger.terms.effective_due_date`, as `bill_overdue` reads
    it). A bank bill due on 10-01, a holiday, collected on 10-08, is reminded of up to 10-08
    ("due 2026-10-01, collected 2026-10-08 (in 2 days)"), not "in 1 day" on 09-30 and then
    not at all while it is still unpaid. Business days, because a finance team needs working
    days to pay: on 2025-09-30 a bill collected 2025-10-09 is 9 calendar days away but only one
    business day. Firing starts at the start of the day (facility zone) on which the collection
    day comes within the horizon.
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
        collected = collection_date(bill.due_date, HolidayRule(bill.holiday_rule), calendar)
        if not today <= collected <= last_day:
            continue
        days = (collected - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days > 1 else ''}"
        amount = format_money(bill.amount, bill.currency)
        due = bill.due_date.isoformat()
        if collected != bill.due_date:
            due = f"{due}, collected {collected.isoformat()}"
        findings.append(
            Finding(
                check=Check.BILL_DUE_SOON,
                facility_id=bill.facility_id,
                subject=bill_subject(bill),
                severity=Severity.WARNING,
                summary=f"bill of {amount} is due {due} ({when}), not paid",
                facts=_due_soon_facts(bill.slug, bill.due_date, collected, amount, bill.soon),
            )
        )
    return findings


def _due_soon_facts(
    slug: str, due: date, collected: date, amount: str, soon: int
) -> dict[str, str]:
    facts = {"Facility": slug, "Bill due date": due.isoformat()}
    if collected != due:
        facts["Collected on"] = collected.isoformat()
    facts["Billed"] = amount
    facts["Due soon means"] = f"collected within {soon} business days"
    return facts


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
