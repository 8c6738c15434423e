"""The bills the ledger does not expect: `bill_unexpected`, a bill no installment explains."""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Moment, Money, Text
from bot.ledger.bills import bill_known_at
from bot.models import Bill, BillDay, Installment
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    bill_matches,
    days_after,
    facilities,
    fen,
    installment_current,
    moved,
    scans_for,
    setting,
)


def bill_unexpected(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A bill (paid or not, however old) that matches no installment: an unlogged draw?"""
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    bills = _bills_without_installments(scans)
    if not bills:
        return []
    due_before = _installments_due_before(scans, calendar, bills)
    return [
        _unexpected_finding(bill)
        for bill in bills
        if not any(
            bill_matches(bill.due_date, due, calendar.next_business_day(due), bill.window)
            for due in due_before.get(bill.facility_id, ())
        )
    ]


def _bills_without_installments(scans: CycleScans) -> list[Any]:
    """Bills of active facilities, seen by `now`, with no installment due within their window."""
    session, now, thresholds = scans.session, scans.now, scans.thresholds
    facility = facilities(scans)
    window = setting(facility.bill_match_window_days, thresholds.bill_match_window_days)
    expected = and_(
        Installment.facility_id == Bill.facility_id,
        installment_current(scans),
        fen(Installment.amount) > 0,
    )
    installment_in_window = exists().where(
        expected,
        Installment.due_date.between(
            days_after(Bill.due_date, -window), days_after(Bill.due_date, window)
        ),
    )
    scope = and_(facility.active, bill_known_at(now), ~installment_in_window)
    return list(
        session.execute(
            select(
                Bill.id,
                Bill.facility_id,
                Bill.due_date,
                Bill.amount,
                Bill.paid,
                Bill.observed_at,
                facility.slug,
                facility.timezone,
                facility.currency,
                window.label("window"),
            )
            # An installment due the same day is in any window: only bills on days without one
            # (`bill_days` keeps them in a partial index) need the window tested.
            .join(
                BillDay,
                and_(
                    BillDay.facility_id == Bill.facility_id,
                    BillDay.day == Bill.due_date,
                    BillDay.installments == 0,
                    BillDay.bills > 0,
                ),
            )
            .join(facility, facility.id == Bill.facility_id)
            .where(scope)
            .order_by(Bill.facility_id, Bill.due_date, Bill.id)
        ).all()
    )


def _installments_due_before(
    scans: CycleScans, calendar: BusinessCalendar, bills: list[Any]
) -> dict[int, set[date]]:
    """The due dates of installments just before each bill's window, by facility.

    No installment lies within the window of these bills, but one due before a holiday may
    shift into it: it is due at most `max_shift_days` before the window opens.
    """
    session, pad = scans.session, calendar.max_shift_days
    dates = {
        moved(bill.due_date, -(bill.window + back)) for bill in bills for back in range(1, pad + 1)
    }
    facility_ids = sorted({bill.facility_id for bill in bills})
    installments: dict[int, set[date]] = defaultdict(set)
    for start in range(0, len(facility_ids), CHUNK):
        for facility_id, due_date in session.execute(
            select(Installment.facility_id, Installment.due_date)
            .where(
                installment_current(scans),
                fen(Installment.amount) > 0,
                among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                among(session, Installment.due_date, sorted(dates)),
            )
            .distinct()
        ):
            installments[facility_id].add(due_date)
    return installments


def _unexpected_finding(bill: Any) -> Finding:
    """The finding for a bill that matches no installment."""
    args: dict[str, Arg] = {
        "amount": Money(bill.amount, bill.currency),
        "due": Day(bill.due_date),
        "window": bill.window,
    }
    return worded(
        Check.BILL_UNEXPECTED,
        bill.facility_id,
        f"{bill.due_date.isoformat()}#b{bill.id}",
        Severity.WARNING,
        Text(
            N_(
                "bill of {amount} due {due} matches no installment within ± {window} days; is a "
                "draw missing from the ledger?"
            ),
            args,
        ),
        [
            (N_("Facility"), bill.slug),
            (N_("Bill due date"), args["due"]),
            (N_("Billed"), args["amount"]),
            (N_("Paid"), Text(N_("yes")) if bill.paid else Text(N_("no"))),
            (N_("Seen"), Moment(bill.observed_at, bill.timezone)),
        ],
    )
