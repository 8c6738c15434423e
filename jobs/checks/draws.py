"""Draw checks: has anything the platform shows confirmed a draw the company logged?"""

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.models import Bill, Draw, DrawConfirmation, Facility, Installment, InstallmentStatus
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CycleScans,
    bill_dates_near,
    bill_matches,
    billed_for_own_installments,
    days_after,
    local_time,
    overridden_or,
    setting,
)


def draw_unconfirmed(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A draw logged `confirm_window_hours` ago or more that nothing observed confirms.

    The window runs from when the draw was logged (`created_at`), not from its draw date: a draw
    typed in days late still gets the full window for a statement import to confirm it.
    Confirmations: `draws.confirmed_at` set, a payout (DrawConfirmation) linked to it, or a bill
    matching its first installment's due date. Fully repaid draws are out of scope.
    """
    require_aware(now, "now")
    window_hours = setting(Facility.confirm_window_hours, thresholds.confirm_window_hours)
    match_window = setting(Facility.bill_match_window_days, thresholds.bill_match_window_days)
    first = aliased(Installment, name="first")
    first_due = (
        select(func.min(first.due_date))
        .where(first.draw_id == Draw.id)
        .correlate(Draw)
        .scalar_subquery()
    )
    payout = exists().where(
        DrawConfirmation.draw_id == Draw.id, DrawConfirmation.observed_at <= now
    )
    still_owed = exists().where(
        Installment.draw_id == Draw.id, Installment.status == InstallmentStatus.SCHEDULED
    )
    first_bill = exists().where(
        Bill.facility_id == Draw.facility_id,
        Bill.observed_at <= now,
        Bill.due_date.between(
            days_after(first_due, -match_window), days_after(first_due, match_window)
        ),
        or_(Bill.due_date == first_due, ~billed_for_own_installments()),
    )
    default_cutoff = now - timedelta(hours=thresholds.confirm_window_hours)
    scope = and_(
        Facility.active,
        Draw.confirmed_at.is_(None),
        Draw.created_at <= now,
        overridden_or(Facility.confirm_window_hours, Draw.created_at <= default_cutoff),
        ~payout,
        still_owed,
        ~first_bill,
    )
    rows = session.execute(
        select(
            Draw.id,
            Draw.facility_id,
            Draw.amount,
            Draw.drawn_on,
            Draw.created_at,
            first_due.label("first_due"),
            Facility.slug,
            Facility.timezone,
            Facility.currency,
            window_hours.label("window_hours"),
            match_window.label("match_window"),
        )
        .join(Facility, Facility.id == Draw.facility_id)
        .where(scope)
        .order_by(Draw.facility_id, Draw.id)
    ).all()

    candidates = []
    for row in rows:
        if now < row.created_at + timedelta(hours=row.window_hours):
            continue
        candidates.append((row, calendar.next_business_day(row.first_due)))
    near_shift = bill_dates_near(
        session,
        now,
        sorted({row.facility_id for row, _ in candidates}),
        [(shifted, row.match_window) for row, shifted in candidates if shifted != row.first_due],
    )

    findings = []
    for row, shifted in candidates:
        if any(
            bill_matches(bill_due, row.first_due, shifted, row.match_window)
            for bill_due in near_shift.get(row.facility_id, ())
        ):
            continue
        amount = format_money(row.amount, row.currency)
        findings.append(
            Finding(
                check=Check.DRAW_UNCONFIRMED,
                facility_id=row.facility_id,
                subject=f"d{row.id}",
                severity=Severity.WARNING,
                summary=(
                    f"draw of {amount} on {row.drawn_on.isoformat()} not confirmed "
                    f"{row.window_hours} h after it was logged: no payout seen, no bill for the "
                    f"first installment due {row.first_due.isoformat()}"
                ),
                facts={
                    "Facility": row.slug,
                    "Draw": f"#{row.id}",
                    "Amount": amount,
                    "Drawn on": row.drawn_on.isoformat(),
                    "Logged": local_time(row.created_at, row.timezone),
                    "First installment due": row.first_due.isoformat(),
                },
            )
        )
    return findings
