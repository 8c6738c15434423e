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

The rule is the one in force on each day overdue (:class:`PenaltyRules`, from the facility's
terms history, `bot.ledger.terms_history`): a change made on a day applies from the next day on,
and the days before keep the rule they had. So a late repayment's split depends on the days it
covers, never on whether it was typed in before or after a change (no repayment is dated after
the day it is recorded), and a replay places every repayment the same way again.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.ledger.schedule import Rounding
from bot.ledger.terms import effective_due_date, rate_of
from bot.models import (
    Draw,
    Facility,
    FacilityTermsVersion,
    Installment,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal("0.00")
_PRECISION = 40


@dataclass(frozen=True)
class PenaltyRule:
    """A facility's penalty rule: a multiple of the rate, on principal or on interest too."""

    multiplier: Decimal
    on_interest: bool

    @classmethod
    def of(cls, facility: Facility) -> "PenaltyRule":
        """The facility's current rule."""
        return cls(facility.penalty_multiplier, facility.penalty_on_interest)

    def rule_on(self, day: date) -> "PenaltyRule":
        """The rule on ``day``: this one, every day."""
        return self

    def changes_between(self, start: date, end: date) -> list[date]:
        """The days after ``start + 1`` up to ``end`` from which another rule applies: none."""
        return []


@dataclass(frozen=True)
class PenaltyRules:
    """A facility's penalty rule day by day: ``rules`` are (first day, rule), oldest first.

    The first rule also holds before its day: a facility set up today with draws and repayments
    dated earlier charges the terms it was set up with on those days.
    """

    rules: tuple[tuple[date, PenaltyRule], ...]

    @classmethod
    def of(cls, session: Session, facility: Facility) -> "PenaltyRules":
        """The facility's rule on each day, from its terms history: a version recorded on a
        day (in the facility's zone) applies from the next day on. A facility without a
        history (written past the ORM) has its current rule every day."""
        zone = ZoneInfo(facility.timezone)
        versions = session.execute(
            select(
                FacilityTermsVersion.valid_from,
                FacilityTermsVersion.penalty_multiplier,
                FacilityTermsVersion.penalty_on_interest,
            )
            .where(FacilityTermsVersion.facility_id == facility.id)
            .order_by(FacilityTermsVersion.valid_from, FacilityTermsVersion.id)
        ).all()
        rules: list[tuple[date, PenaltyRule]] = []
        for valid_from, multiplier, on_interest in versions:
            # The first version holds from the start; a later one from the day after its own.
            day = valid_from.astimezone(zone).date() + timedelta(days=1) if rules else date.min
            if rules and rules[-1][0] == day:
                rules.pop()  # two changes on one day: the later holds from the next day
            rules.append((day, PenaltyRule(multiplier, on_interest)))
        if not rules:
            rules.append((date.min, PenaltyRule.of(facility)))
        kept = [rules[0]]
        for day, rule in rules[1:]:
            if rule != kept[-1][1]:
                kept.append((day, rule))
        rules = kept
        return cls(tuple(rules))

    def rule_on(self, day: date) -> PenaltyRule:
        """The rule in force on ``day``."""
        current = self.rules[0][1]
        for first_day, rule in self.rules:
            if first_day > day:
                break
            current = rule
        return current

    def changes_between(self, start: date, end: date) -> list[date]:
        """The days after ``start + 1`` up to ``end`` from which another rule applies."""
        return [day for day, _ in self.rules[1:] if start + timedelta(days=1) < day <= end]


def penalty_owed(
    session: Session,
    facility: Facility,
    draw: Draw,
    installment: Installment,
    on: date,
    calendar: BusinessCalendar,
    rules: PenaltyRules | None = None,
) -> Decimal:
    """The penalty ``installment`` has accrued by ``on`` under ``rules`` (default: the
    facility's, day by day) and no repayment has paid yet."""
    rules = rules or PenaltyRules.of(session, facility)
    collected = effective_due_date(facility, installment.due_date, calendar)
    if on <= collected:
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
        rules,
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
    rule: PenaltyRule | PenaltyRules,
    draw: Draw,
    principal: Decimal,
    interest: Decimal,
    collected: date,
    on: date,
    payments: list[tuple[date, Decimal, Decimal]],
) -> Decimal:
    """Penalty accrued from ``collected`` to ``on`` on what stays unpaid, to the fen.

    ``payments`` are (day, principal, interest) paid toward the installment, in date order.
    Each day accrues under the rule in force that day (a day ``d`` covers ``(d - 1, d]``);
    the interest is summed per multiplier and multiplied last, as with one rule.
    """
    rate = rate_of(draw)
    # The last day of each rule but the last: where one period of accrual ends.
    ends = [day - timedelta(days=1) for day in rule.changes_between(collected, on)]
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        by_multiplier: dict[Decimal, Decimal] = defaultdict(Decimal)
        since = collected
        for paid_on, paid_principal, paid_interest in [*payments, (on, ZERO, ZERO)]:
            until = min(paid_on, on)
            for cut in [*(day for day in ends if since < day < until), until]:
                if cut > since:
                    # The days since + 1 … cut share one rule.
                    today = rule.rule_on(since + timedelta(days=1))
                    base = principal + (interest if today.on_interest else ZERO)
                    by_multiplier[today.multiplier] += rate.on(base, (cut - since).days)
                    since = cut
            principal -= paid_principal
            interest -= paid_interest
        total = sum((amount * multiplier for multiplier, amount in by_multiplier.items()), ZERO)
        return Rounding(draw.rounding).fen(total)
