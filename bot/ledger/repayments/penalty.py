"""Penalty interest (罚息): what an overdue installment has accrued by a day, and what is owed.

An installment is overdue from the day after it is collected (its due date, moved by the
facility's holiday rule: `bot.ledger.terms.effective_due_date`) until it is paid in full. Each
day it is overdue accrues

    penalty = penalty_multiplier × rate × (overdue principal [+ overdue interest])

where the rate is the draw's (`bot.ledger.terms.rate_of`: a daily rate, or an annual rate over
its year) and overdue interest counts only when the facility says penalty accrues on interest too
(`penalty_on_interest`: compounding). Payments toward the installment lower the overdue amount
from their day on. The sum is brought to the fen once, by the draw's rounding; what earlier
repayments already paid of it is not owed again. Penalty never changes the schedule: once the
installment is paid in full, nothing more accrues on it.

Each repayment is placed with the rule in force when it was recorded (`PenaltyRule.of`), so a
change of the penalty rule applies to repayments recorded after it; a payoff quote uses the
current rule.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.ledger.schedule import Rounding
from bot.ledger.terms import effective_due_date, rate_of
from bot.models import Draw, Facility, Installment, Repayment, RepaymentAllocation

ZERO = Decimal("0.00")
_PRECISION = 40


@dataclass(frozen=True)
class PenaltyRule:
    """A facility's penalty rule: a multiple of the rate, on principal or on interest too."""

    multiplier: Decimal
    on_interest: bool

    @classmethod
    def of(cls, facility: Facility, repayment: Repayment | None = None) -> "PenaltyRule":
        """The rule ``repayment`` was recorded under; the facility's current rule where it
        kept none (repayments from before migration 0015, a payoff quote's probe)."""
        multiplier = None if repayment is None else repayment.penalty_multiplier
        on_interest = None if repayment is None else repayment.penalty_on_interest
        return cls(
            facility.penalty_multiplier if multiplier is None else multiplier,
            facility.penalty_on_interest if on_interest is None else on_interest,
        )


def penalty_owed(
    session: Session,
    facility: Facility,
    draw: Draw,
    installment: Installment,
    on: date,
    calendar: BusinessCalendar,
    rule: PenaltyRule | None = None,
) -> Decimal:
    """The penalty ``installment`` has accrued by ``on`` under ``rule`` (default: the
    facility's current rule) and no repayment has paid yet."""
    rule = rule or PenaltyRule.of(facility)
    collected = effective_due_date(facility, installment.due_date, calendar)
    if rule.multiplier == 0 or on <= collected:
        return ZERO
    payments = session.execute(
        select(
            Repayment.paid_on,
            RepaymentAllocation.principal,
            RepaymentAllocation.interest,
            RepaymentAllocation.penalty,
        )
        .join(Repayment, Repayment.id == RepaymentAllocation.repayment_id)
        .where(RepaymentAllocation.installment_id == installment.id, Repayment.paid_on <= on)
        .order_by(Repayment.paid_on, Repayment.id)
    ).all()
    accrued = accrued_penalty(
        rule,
        draw,
        installment.principal,
        installment.interest,
        collected,
        on,
        [(p.paid_on, p.principal, p.interest) for p in payments],
    )
    paid = sum((p.penalty for p in payments), ZERO)
    return max(accrued - paid, ZERO)


def accrued_penalty(
    rule: PenaltyRule,
    draw: Draw,
    principal: Decimal,
    interest: Decimal,
    collected: date,
    on: date,
    payments: list[tuple[date, Decimal, Decimal]],
) -> Decimal:
    """Penalty accrued from ``collected`` to ``on`` on what stays unpaid, to the fen.

    ``payments`` are (day, principal, interest) paid toward the installment, in date order.
    """
    rate = rate_of(draw)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        total = Decimal(0)
        since = collected
        for paid_on, paid_principal, paid_interest in [*payments, (on, ZERO, ZERO)]:
            if paid_on > since:
                base = principal + (interest if rule.on_interest else ZERO)
                total += rate.on(base, (min(paid_on, on) - since).days)
                since = min(paid_on, on)
            principal -= paid_principal
            interest -= paid_interest
        return Rounding(draw.rounding).fen(total * rule.multiplier)
