"""How one repayment is placed on a facility's draws (see `bot.ledger.repayments`).

1. Overdue installments (collected before the repayment day, still open), oldest first across
   the facility's draws: first the penalty each has accrued (`penalty.py`), then their interest,
   then their principal.
2. Installments due by the repayment day + the bill lead window (a bill for them is visible, so
   paying early is paying that bill), oldest first; interest before principal, partial
   payments allowed.
3. What is left is an early repayment of the oldest draw: interest accrued since its last
   settled due date runs to the repayment day and is paid first, the rest reduces principal,
   and the draw's unpaid installments are superseded by a regenerated schedule over the same
   due dates (revision + 1). What does not even cover the accrued interest goes toward the
   next installment instead, and that interest is not owed again by a later early repayment
   or payoff of the same period.
4. What is still left, with the fee the platform itemised and any itemised penalty above the
   one loanwatch computes, is `unexplained`.

Penalty never changes a schedule: it is paid on top of an installment's amount.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.ledger.draws import add_installments, principal_repaid
from bot.ledger.repayments.penalty import PenaltyRules, penalty_owed
from bot.ledger.schedule import (
    DayCount,
    RepaymentMethod,
    Rounding,
    accrued_interest,
    plan_remaining,
    schedule_day,
)
from bot.ledger.terms import effective_due_date, rate_of
from bot.models import (
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal("0.00")
DEFAULT_BILL_LEAD_DAYS = 10


@dataclass
class _Placing:
    """One repayment being placed: the money left, and its allocation row per installment."""

    session: Session
    repayment: Repayment
    left: Decimal
    rows: dict[int, RepaymentAllocation] = field(default_factory=dict)

    def place(
        self,
        installment: Installment,
        *,
        principal: Decimal = ZERO,
        interest: Decimal = ZERO,
        penalty: Decimal = ZERO,
    ) -> None:
        """Add to the repayment's one allocation row for ``installment``."""
        if principal + interest + penalty <= 0:
            return
        row = self.rows.get(installment.id)
        if row is None:
            row = RepaymentAllocation(
                repayment_id=self.repayment.id,
                draw_id=installment.draw_id,
                installment_id=installment.id,
                principal=ZERO,
                interest=ZERO,
                penalty=ZERO,
                recorded_at=self.repayment.created_at,
            )
            self.session.add(row)
            self.rows[installment.id] = row
        row.principal += principal
        row.interest += interest
        row.penalty += penalty
        self.left -= principal + interest + penalty
        self.session.flush()
        paid_interest, paid_principal = paid_on_installment(self.session, installment)
        if paid_interest + paid_principal >= installment.amount:
            installment.status = InstallmentStatus.PAID
            installment.paid_on = self.repayment.paid_on
        self.session.flush()


def apply_repayment(
    session: Session, facility: Facility, repayment: Repayment, calendar: BusinessCalendar
) -> None:
    """Place ``repayment`` on the facility's draws (steps in the module docstring).

    Sets ``repayment.unexplained``; writes allocations, paid installments and regenerated
    schedules as it goes, in the caller's transaction. Money that settles everything the
    facility owes is a payoff: interest runs to the repayment day, and an installment due within
    the lead window costs only the interest to that day (what `facility payoff` quotes).
    """
    draws = draws_by(session, facility, repayment.paid_on)
    money = repayment.amount - (repayment.fee or ZERO)
    owed = sum((draw.amount - principal_repaid(session, draw.id) for draw in draws), ZERO)
    if owed > 0 and money >= owed:
        payoff = session.begin_nested()
        place_repayment(session, facility, repayment, calendar, lead_days=0)
        if all(draw.amount == principal_repaid(session, draw.id) for draw in draws):
            payoff.commit()
            return
        payoff.rollback()
    lead_days = (
        DEFAULT_BILL_LEAD_DAYS if facility.bill_lead_days is None else facility.bill_lead_days
    )
    place_repayment(session, facility, repayment, calendar, lead_days=lead_days)


def place_repayment(
    session: Session,
    facility: Facility,
    repayment: Repayment,
    calendar: BusinessCalendar,
    *,
    lead_days: int,
) -> None:
    """Place ``repayment``, paying installments due within ``lead_days`` as billed."""
    paid_on = repayment.paid_on
    draws = draws_by(session, facility, paid_on)
    fee = repayment.fee or ZERO
    placing = _Placing(session, repayment, repayment.amount - fee)
    billed = _billed(session, draws, paid_on + timedelta(days=lead_days))
    overdue = [i for i in billed if effective_due_date(facility, i.due_date, calendar) < paid_on]
    by_id = {draw.id: draw for draw in draws}
    rules = PenaltyRules.of(session, facility)
    owed = [
        penalty_owed(session, facility, by_id[i.draw_id], i, paid_on, calendar, rules)
        for i in overdue
    ]
    surplus = _pay_penalties(placing, overdue, owed, repayment.penalty_given)
    for installment in overdue:
        _, interest = _still_owed(session, installment)
        placing.place(installment, interest=min(placing.left, interest))
    for installment in overdue:
        principal, _ = _still_owed(session, installment)
        placing.place(installment, principal=min(placing.left, principal))
    for installment in billed:
        if placing.left <= 0:
            break
        if installment.status == InstallmentStatus.SCHEDULED:
            principal, interest = _still_owed(session, installment)
            interest = min(placing.left, interest)
            placing.place(
                installment, interest=interest, principal=min(placing.left - interest, principal)
            )
    for draw in draws:
        if placing.left <= 0:
            break
        placing.left = _prepay(placing, draw)
    repayment.unexplained = fee + surplus + placing.left
    session.flush()


def draws_by(session: Session, facility: Facility, day: date) -> list[Draw]:
    """The facility's draws made by ``day``, oldest first."""
    return list(
        session.scalars(
            select(Draw)
            .where(Draw.facility_id == facility.id, Draw.drawn_on <= day)
            .order_by(Draw.drawn_on, Draw.id)
        )
    )


def _pay_penalties(
    placing: _Placing, overdue: list[Installment], owed: list[Decimal], given: Decimal | None
) -> Decimal:
    """Step 1's penalty: what loanwatch computes, or what the platform itemised.

    Returns the part of an itemised penalty above what loanwatch computes (unexplained).
    """
    budget = placing.left if given is None else min(given, placing.left)
    paid = ZERO
    for installment, amount in zip(overdue, owed, strict=True):
        share = min(budget - paid, amount)
        if share > 0:
            placing.place(installment, penalty=share)
            paid += share
    if given is None:
        return ZERO
    surplus = min(given - paid, placing.left)
    placing.left -= surplus
    return surplus


def _billed(session: Session, draws: list[Draw], horizon: date) -> list[Installment]:
    """The open installments due by ``horizon``, oldest first across the draws."""
    return list(
        session.scalars(
            select(Installment)
            .where(
                Installment.draw_id.in_([draw.id for draw in draws]),
                Installment.status == InstallmentStatus.SCHEDULED,
                Installment.due_date <= horizon,
            )
            .order_by(Installment.due_date, Installment.draw_id, Installment.seq)
        )
    )


def _still_owed(session: Session, installment: Installment) -> tuple[Decimal, Decimal]:
    """Principal and interest of ``installment`` not paid yet."""
    if installment.status != InstallmentStatus.SCHEDULED:
        return ZERO, ZERO
    paid_interest, paid_principal = paid_on_installment(session, installment)
    return installment.principal - paid_principal, installment.interest - paid_interest


def _prepay(placing: _Placing, draw: Draw) -> Decimal:
    """Step 3: early repayment of one draw, regenerating its remaining schedule."""
    session, repayment, left = placing.session, placing.repayment, placing.left
    balance = draw.amount - principal_repaid(session, draw.id)
    if balance <= 0:
        return left
    unpaid = _unpaid(session, draw)
    paid_on = repayment.paid_on
    start = _accrual_start(session, draw)
    interest = (
        accrued_interest(balance, rate_of(draw), start, paid_on, rounding=Rounding(draw.rounding))
        if paid_on > start
        else ZERO
    )
    if unpaid:
        # Interest already paid toward the next installment (a payment smaller than the interest
        # then accrued) is interest of this same period: it is not owed again.
        interest = max(interest - paid_on_installment(session, unpaid[0])[0], ZERO)
    if left <= interest:
        if unpaid:
            principal, unpaid_interest = _still_owed(session, unpaid[0])
            placing.place(unpaid[0], interest=min(left, unpaid_interest))
            placing.place(unpaid[0], principal=min(placing.left, principal))
        return placing.left
    principal = min(left - interest, balance)
    session.add(
        RepaymentAllocation(
            repayment_id=repayment.id,
            draw_id=draw.id,
            installment_id=None,
            principal=principal,
            interest=interest,
            penalty=ZERO,
            recorded_at=repayment.created_at,
        )
    )
    session.flush()
    _regenerate(
        session,
        draw,
        unpaid,
        balance - principal,
        max(start, paid_on),
        paid_on > start,
        at=repayment.created_at,
    )
    return left - principal - interest


def _regenerate(
    session: Session,
    draw: Draw,
    unpaid: list[Installment],
    balance: Decimal,
    accrual_start: date,
    broken_first_period: bool,
    *,
    at: datetime,
) -> None:
    """Supersede the draw's unpaid installments with a schedule for the balance left, the
    change holding from ``at`` (when the repayment was recorded; a replay restamps it)."""
    for installment in unpaid:
        installment.status = InstallmentStatus.SUPERSEDED
        installment.superseded_at = at
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
    add_installments(session, draw, planned, revision=revision, recorded_at=at)


def paid_on_installment(session: Session, installment: Installment) -> tuple[Decimal, Decimal]:
    """Interest and principal paid toward one installment so far."""
    interest, principal = session.execute(
        select(
            func.sum(RepaymentAllocation.interest), func.sum(RepaymentAllocation.principal)
        ).where(RepaymentAllocation.installment_id == installment.id)
    ).one()
    return interest or ZERO, principal or ZERO


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
