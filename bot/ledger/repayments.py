"""Repayments: how money paid back settles installments, or prepays and reshapes a schedule.

A repayment of `amount` on `paid_on` is allocated in this order:

1. Installments already due, or due within the bill lead window (a bill for them is visible,
   so paying it early is paying that bill), oldest first across the facility's draws; interest
   before principal, partial payments allowed.
2. If anything is left once every such installment is settled, it is an early repayment:
   interest accrued on the draw since its last settled due date runs to the repayment day and is
   paid first, the rest reduces principal, and the draw's unpaid installments are superseded by a
   regenerated schedule over the same remaining due dates (oldest draw first). What does not
   even cover the accrued interest is paid toward the next installment instead.
3. More than the facility owes is refused whole.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import check_date
from bot.errors import InputError
from bot.ledger.draws import add_installments, principal_repaid
from bot.ledger.facilities import facility_zone
from bot.ledger.schedule import (
    DayCount,
    RepaymentMethod,
    Rounding,
    accrued_interest,
    plan_remaining,
    schedule_day,
)
from bot.ledger.terms import rate_of
from bot.models import (
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    Repayment,
    RepaymentAllocation,
)
from bot.money import format_money
from bot.typed import free_text

ZERO = Decimal("0.00")
DEFAULT_BILL_LEAD_DAYS = 10
REF_CHARS = 128  # the platform's own id for the movement, e.g. Alipay's 交易订单号


def record_repayment(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    amount: Decimal,
    *,
    now: datetime,
    paid_on: date | None = None,
    external_ref: str | None = None,
    note: str | None = None,
) -> Repayment:
    """Record a repayment and apply it to the facility's draws (see the module docstring).

    Writes as it goes; an InputError means the caller's transaction must roll back (it does, in
    :func:`bot.db.transaction`), so a refused repayment leaves nothing behind.
    """
    today = now.astimezone(facility_zone(facility)).date()
    paid_on = check_date(paid_on or today, "repayment date")
    note = free_text(note, "the repayment's note")
    external_ref = free_text(external_ref, "the repayment's reference", limit=REF_CHARS)
    if paid_on > today:
        raise InputError(
            f"repayment date {paid_on.isoformat()} is in the future (today is {today.isoformat()} "
            f"in {facility.timezone}); record a repayment once it is made"
        )
    if amount <= 0:
        raise InputError("a repayment must be more than zero")
    draws = list(
        session.scalars(
            select(Draw)
            .where(Draw.facility_id == facility.id, Draw.drawn_on <= paid_on)
            .order_by(Draw.drawn_on, Draw.id)
        )
    )
    if sum((_balance(session, draw) for draw in draws), ZERO) <= 0:
        raise InputError(
            f"nothing is owed on {facility.slug} as of {paid_on.isoformat()}; "
            "log the draw first, or check the date"
        )

    repayment = Repayment(
        facility_id=facility.id,
        amount=amount,
        paid_on=paid_on,
        external_ref=external_ref,
        note=note,
        created_at=now,
        created_by=actor.name,
    )
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add(repayment)
    session.flush()
    lead_days = (
        DEFAULT_BILL_LEAD_DAYS if facility.bill_lead_days is None else facility.bill_lead_days
    )
    left = _settle_billed(session, repayment, draws, amount, lead_days)
    for draw in draws:
        if left <= 0:
            break
        left = _prepay(session, repayment, draw, left)
    if left > 0:
        raise InputError(
            f"{format_money(amount, facility.currency)} is more than {facility.slug} owes on "
            f"{paid_on.isoformat()} ({format_money(amount - left, facility.currency)} settles "
            "everything); check the amount"
        )
    audit.record(session, actor, "repayment.add", repayment, at=now)
    return repayment


def principal_and_interest(repayment: Repayment) -> tuple[Decimal, Decimal]:
    """How much of a repayment went to principal and how much to interest (its allocations)."""
    return (
        sum((a.principal for a in repayment.allocations), ZERO),
        sum((a.interest for a in repayment.allocations), ZERO),
    )


def _settle_billed(
    session: Session, repayment: Repayment, draws: list[Draw], left: Decimal, lead_days: int
) -> Decimal:
    """Step 1: pay installments due by the repayment day + lead days, oldest first."""
    horizon = repayment.paid_on + timedelta(days=lead_days)
    billed = session.scalars(
        select(Installment)
        .where(
            Installment.draw_id.in_([draw.id for draw in draws]),
            Installment.status == InstallmentStatus.SCHEDULED,
            Installment.due_date <= horizon,
        )
        .order_by(Installment.due_date, Installment.draw_id, Installment.seq)
    ).all()
    for installment in billed:
        if left <= 0:
            break
        left = _pay_toward(session, repayment, installment, left)
    return left


def _prepay(session: Session, repayment: Repayment, draw: Draw, left: Decimal) -> Decimal:
    """Step 2: early repayment of one draw, regenerating its remaining schedule."""
    balance = _balance(session, draw)
    if balance <= 0:
        return left
    unpaid = _unpaid(session, draw)
    if unpaid and sum(_paid_on_installment(session, unpaid[0])) > 0:
        # Its next installment is only part paid: this money went toward it, and that is all.
        return left
    paid_on = repayment.paid_on
    start = _accrual_start(session, draw)
    interest = (
        accrued_interest(balance, rate_of(draw), start, paid_on, rounding=Rounding(draw.rounding))
        if paid_on > start
        else ZERO
    )
    if left <= interest:
        return _pay_toward(session, repayment, unpaid[0], left) if unpaid else left
    principal = min(left - interest, balance)
    session.add(
        RepaymentAllocation(
            repayment_id=repayment.id,
            draw_id=draw.id,
            installment_id=None,
            principal=principal,
            interest=interest,
        )
    )
    session.flush()
    _regenerate(session, draw, unpaid, balance - principal, max(start, paid_on), paid_on > start)
    return left - principal - interest


def _regenerate(
    session: Session,
    draw: Draw,
    unpaid: list[Installment],
    balance: Decimal,
    accrual_start: date,
    broken_first_period: bool,
) -> None:
    """Supersede the draw's unpaid installments with a schedule for the balance left."""
    for installment in unpaid:
        installment.status = InstallmentStatus.SUPERSEDED
    session.flush()
    if balance <= 0 or not unpaid:
        return
    method = RepaymentMethod(draw.repayment_method)
    planned = plan_remaining(
        balance,
        rate_of(draw),
        accrual_start,
        [i.due_date for i in unpaid],
        method,
        DayCount(draw.day_count),
        first_seq=unpaid[0].seq,
        full_first_period=not broken_first_period,
        rounding=Rounding(draw.rounding),
        day=schedule_day(draw.drawn_on, method, draw.repayment_day),
    )
    revision = max(i.revision for i in unpaid) + 1
    add_installments(session, draw, planned, revision=revision)


def _pay_toward(
    session: Session, repayment: Repayment, installment: Installment, left: Decimal
) -> Decimal:
    """Pay what is still owed on one installment, or as much as `left` covers; return the rest."""
    paid_interest, paid_principal = _paid_on_installment(session, installment)
    interest = min(left, installment.interest - paid_interest)
    principal = min(left - interest, installment.principal - paid_principal)
    session.add(
        RepaymentAllocation(
            repayment_id=repayment.id,
            draw_id=installment.draw_id,
            installment_id=installment.id,
            principal=principal,
            interest=interest,
        )
    )
    if paid_interest + paid_principal + interest + principal >= installment.amount:
        installment.status = InstallmentStatus.PAID
        installment.paid_on = repayment.paid_on
    session.flush()
    return left - interest - principal


def _paid_on_installment(session: Session, installment: Installment) -> tuple[Decimal, Decimal]:
    """Interest and principal paid toward one installment so far."""
    interest, principal = session.execute(
        select(
            func.sum(RepaymentAllocation.interest), func.sum(RepaymentAllocation.principal)
        ).where(RepaymentAllocation.installment_id == installment.id)
    ).one()
    return interest or ZERO, principal or ZERO


def _balance(session: Session, draw: Draw) -> Decimal:
    return draw.amount - principal_repaid(session, draw.id)


def _unpaid(session: Session, draw: Draw) -> list[Installment]:
    return list(
        session.scalars(
            select(Installment)
            .where(
                Installment.draw_id == draw.id, Installment.status == InstallmentStatus.SCHEDULED
            )
            .order_by(Installment.seq)
        )
    )


def _accrual_start(session: Session, draw: Draw) -> date:
    """Where interest on the draw's balance runs from now.

    The latest of: the draw date, the due date of the last settled installment, and the day of
    the last early repayment on the draw.
    """
    last_paid_due = session.scalar(
        select(func.max(Installment.due_date)).where(
            Installment.draw_id == draw.id, Installment.status == InstallmentStatus.PAID
        )
    )
    last_prepaid = session.scalar(
        select(func.max(Repayment.paid_on))
        .join(RepaymentAllocation, RepaymentAllocation.repayment_id == Repayment.id)
        .where(RepaymentAllocation.draw_id == draw.id, RepaymentAllocation.installment_id.is_(None))
    )
    return max(d for d in (draw.drawn_on, last_paid_due, last_prepaid) if d is not None)
