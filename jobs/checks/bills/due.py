"""Unpaid bills coming due or past due: `bill_due_soon` and `bill_overdue`.

Both finish, in each facility's zone, the unpaid bills the cycle reads once
(`scans.unpaid_bills`).
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Money, Text
from bot.ledger.schedule import HolidayRule
from bot.ledger.terms import collection_date
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
        findings.append(
            worded(
                Check.BILL_DUE_SOON,
                bill.facility_id,
                bill_subject(bill),
                Severity.WARNING,
                _due_soon_summary(
                    Money(bill.amount, bill.currency), bill.due_date, collected, days
                ),
                _due_soon_facts(bill, collected),
            )
        )
    return findings


def _due_soon_summary(amount: Money, due: date, collected: date, days: int) -> Text:
    when = (
        Text(N_("today"))
        if days == 0
        else Text(N_("in {n} day"), {"n": days}, plural=N_("in {n} days"), n=days)
    )
    args: dict[str, Arg] = {"amount": amount, "due": Day(due), "when": when}
    if collected == due:
        return Text(N_("bill of {amount} is due {due} ({when}), not paid"), args)
    args["collected"] = Day(collected)
    return Text(N_("bill of {amount} is due {due}, collected {collected} ({when}), not paid"), args)


def _due_soon_facts(bill: Any, collected: date) -> list[tuple[str, Arg]]:
    facts: list[tuple[str, Arg]] = [
        (N_("Facility"), bill.slug),
        (N_("Bill due date"), Day(bill.due_date)),
    ]
    if collected != bill.due_date:
        facts.append((N_("Collected on"), Day(collected)))
    facts.append((N_("Billed"), Money(bill.amount, bill.currency)))
    facts.append(
        (
            N_("Due soon means"),
            Text(N_("collected within {days} business days"), {"days": bill.soon}),
        )
    )
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
        args: dict[str, Arg] = {
            "amount": Money(bill.amount, bill.currency),
            "due": Day(bill.due_date),
            "days": days,
        }
        facts: list[tuple[str, Arg]] = [
            (N_("Facility"), bill.slug),
            (N_("Bill due date"), args["due"]),
            (N_("Billed"), args["amount"]),
            (N_("Days overdue"), days),
        ]
        if collected == bill.due_date:
            summary = Text(
                N_("bill of {amount} was due {due}, {days} day ago, and is not paid"),
                args,
                plural=N_("bill of {amount} was due {due}, {days} days ago, and is not paid"),
                n=days,
            )
        else:
            facts.append((N_("Collected on"), Day(collected)))
            summary = Text(
                N_(
                    "bill of {amount} was due {due} (collected {collected}), {days} day ago, "
                    "and is not paid"
                ),
                args | {"collected": Day(collected)},
                plural=N_(
                    "bill of {amount} was due {due} (collected {collected}), {days} days ago, "
                    "and is not paid"
                ),
                n=days,
            )
        findings.append(
            worded(
                Check.BILL_OVERDUE,
                bill.facility_id,
                bill_subject(bill),
                Severity.CRITICAL,
                summary,
                facts,
            )
        )
    return findings
