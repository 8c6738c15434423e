"""The bills the ledger expects: `bill_missing` and `bill_amount_mismatch`.

Both read the cycle's unsettled installment groups (`scans.unsettled_groups`) and match bills
to installments the same way (the package's docstring says how); each then reads the little
more it needs for its own candidates: the installments of the groups that may be missing, or
the bills near the groups that may be mismatched.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.models import Bill, BillDay, Facility, Installment, InstallmentStatus
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.bills.scans import installments_in_scope, unsettled_groups
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    bill_dates_near,
    bill_matches,
    days_after,
    earliest_today,
    fen,
    local_midnight,
    local_time,
    local_today,
    moved,
    scans_for,
    setting,
)


def bill_missing(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An installment whose bill should be visible by now, and no bill matches it.

    1. In scope: installments not superseded, on active facilities; unpaid ones however old,
       paid ones until their due date + the match window has passed (after that the platform's
       bill for a settled installment is history).
    2. Visible from the start of (due − lead days) in the facility's zone, plus grace hours:
       quiet at that moment minus a minute, firing from it.
    3. Critical when the due date is at most `bill_critical_days` away (or past), else warning.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = {
        (group.facility_id, group.due_date): group
        for group in unsettled_groups(scans)
        if group.may_be_missing
    }
    candidates = []
    for installment in _installments_in(session, now, groups):
        row = groups[installment.facility_id, installment.due_date]
        visible_at = local_midnight(moved(row.due_date, -row.lead), row.timezone)
        visible_at += timedelta(hours=row.grace)
        today = local_today(now, row.timezone)
        if now < visible_at:
            continue
        if installment.status == InstallmentStatus.PAID and moved(row.due_date, row.window) < today:
            continue
        shifted = calendar.next_business_day(row.due_date)
        candidates.append((installment, row, today, visible_at, shifted))

    shifted_windows = [
        (shifted, row.window) for _, row, _, _, shifted in candidates if shifted != row.due_date
    ]
    near_shift = bill_dates_near(
        session, now, sorted({row.facility_id for _, row, *_ in candidates}), shifted_windows
    )

    findings = []
    for installment, row, today, visible_at, shifted in candidates:
        if any(
            bill_matches(bill_due, row.due_date, shifted, row.window)
            for bill_due in near_shift.get(row.facility_id, ())
        ):
            continue
        days_left = (row.due_date - today).days
        critical = days_left <= thresholds.bill_critical_days
        amount = format_money(installment.amount, row.currency)
        facts = {
            "Facility": row.slug,
            "Draw": f"#{installment.draw_id}",
            "Due date": row.due_date.isoformat(),
            "Expected": amount,
            "Bill expected since": local_time(visible_at, row.timezone),
            "Matched within": f"± {row.window} days",
        }
        if shifted != row.due_date:
            facts["Holiday-shifted due date"] = shifted.isoformat()
        findings.append(
            Finding(
                check=Check.BILL_MISSING,
                facility_id=row.facility_id,
                subject=f"{row.due_date.isoformat()}#d{installment.draw_id}",
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                summary=(
                    f"expected {amount} due {row.due_date.isoformat()}, no bill seen; "
                    f"lead {row.lead} days, grace {row.grace} h"
                ),
                facts=facts,
            )
        )
    return findings


def _installments_in(
    session: Session, now: datetime, groups: dict[tuple[int, date], Any]
) -> list[Any]:
    """The in-scope installments of `groups` (keyed by facility and due date), in order."""
    if not groups:
        return []
    facility_ids = sorted({facility_id for facility_id, _ in groups})
    due_dates = [due_date for _, due_date in groups]
    installments = []
    for start in range(0, len(facility_ids), CHUNK):
        for installment in session.execute(
            select(
                Installment.draw_id,
                Installment.facility_id,
                Installment.due_date,
                Installment.amount,
                Installment.status,
            ).where(
                among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                Installment.due_date.between(min(due_dates), max(due_dates)),
                Installment.status != InstallmentStatus.SUPERSEDED,
                fen(Installment.amount) > 0,
            )
        ):
            group = groups.get((installment.facility_id, installment.due_date))
            # The same per-installment scope as the groups': paid ones only within the window.
            if group is not None and (
                installment.status == InstallmentStatus.SCHEDULED
                or installment.due_date >= earliest_today(now) - timedelta(days=group.window)
            ):
                installments.append(installment)
    return sorted(installments, key=lambda i: (i.facility_id, i.due_date, i.draw_id))


def bill_amount_mismatch(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A matched bill's amount is off from what the ledger expects by more than the tolerance.

    Platforms show one bill a day, so the installments of one facility due on one date are
    compared as a group: their sum against the matched bill (if the platform shows several bills
    on that date, their sum), with a tolerance of the facility's amount tolerance (0.01) times
    the number of installments. The matched bill is the one due that very day, else the one
    nearest the due date (or the shifted due date), the earlier on a tie, among bills due on
    days without installments of their own (those belong to their own day's installments).
    Groups are in scope while any installment in them is unpaid, and until due date + match
    window once all are paid. Exactly tolerance × n off is quiet.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = [group for group in unsettled_groups(scans) if group.near]
    if not groups:
        return []

    window = setting(Facility.bill_match_window_days, thresholds.bill_match_window_days)
    pad = calendar.max_shift_days
    scope = installments_in_scope(now, window)
    installment_near = exists().where(
        Installment.facility_id == Bill.facility_id,
        Facility.id == Installment.facility_id,
        scope,
        Bill.due_date.between(
            days_after(Installment.due_date, -window),
            days_after(Installment.due_date, window + pad),
        ),
    )
    bills: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    # Days whose bills belong to installments due that very day: not another day's to match.
    taken: dict[int, set[date]] = defaultdict(set)
    candidates = sorted({group.facility_id for group in groups})
    for start in range(0, len(candidates), CHUNK):
        for facility_id, due_date, amount, own_installments in session.execute(
            select(Bill.facility_id, Bill.due_date, Bill.amount, BillDay.installments)
            .outerjoin(
                BillDay,
                and_(BillDay.facility_id == Bill.facility_id, BillDay.day == Bill.due_date),
            )
            .where(
                Bill.observed_at <= now,
                among(session, Bill.facility_id, candidates[start : start + CHUNK]),
                installment_near,
            )
        ):
            bills[facility_id][due_date] += amount
            if own_installments:
                taken[facility_id].add(due_date)

    findings = []
    for group in groups:
        today = local_today(now, group.timezone)
        if not group.open and moved(group.due_date, group.window) < today:
            continue
        shifted = calendar.next_business_day(group.due_date)
        matching = [
            bill_due
            for bill_due in bills[group.facility_id]
            if bill_matches(bill_due, group.due_date, shifted, group.window)
            and (bill_due == group.due_date or bill_due not in taken[group.facility_id])
        ]
        if not matching:
            continue
        bill_due = min(
            matching,
            key=lambda d: (min(abs((d - group.due_date).days), abs((d - shifted).days)), d),
        )
        billed = bills[group.facility_id][bill_due]
        difference = billed - group.expected
        allowed = group.tolerance * group.installments
        if abs(difference) <= allowed:
            continue
        money = {
            "billed": format_money(billed, group.currency),
            "expected": format_money(group.expected, group.currency),
            "difference": format_money(difference, group.currency),
        }
        of_installments = f" ({group.installments} installments)" if group.installments > 1 else ""
        findings.append(
            Finding(
                check=Check.BILL_AMOUNT_MISMATCH,
                facility_id=group.facility_id,
                subject=group.due_date.isoformat(),
                severity=Severity.WARNING,
                summary=(
                    f"bill due {bill_due.isoformat()} shows {money['billed']}, the ledger expects "
                    f"{money['expected']} due {group.due_date.isoformat()}{of_installments}; "
                    f"off by {money['difference']}"
                ),
                facts={
                    "Facility": group.slug,
                    "Due date": group.due_date.isoformat(),
                    "Bill due date": bill_due.isoformat(),
                    "Billed": money["billed"],
                    "Expected": money["expected"],
                    "Difference": money["difference"],
                    "Tolerance": format_money(allowed, group.currency),
                    "Installments": str(group.installments),
                },
            )
        )
    return findings
