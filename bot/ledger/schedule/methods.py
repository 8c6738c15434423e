"""How each method splits a balance into principal and interest over its periods.

Each function takes the balance and the periods' :class:`Accruals` and returns (principal,
interest) per period. None ever returns a negative amount, and the last period takes whatever
principal is left, so the principal always sums to the balance exactly.

Bullet (到期还本付息) and quarterly interest (按季结息) are interest-first over their own periods:
one period to maturity, or the quarters and the stub to maturity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.ledger.schedule.conventions import ZERO, InterestRate, RepaymentMethod, Rounding

Split = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class Accruals:
    """The periods' days of interest at one rate, and the rounding that brings it to the fen."""

    rate: InterestRate
    days: tuple[int, ...]
    rounding: Rounding

    def __len__(self) -> int:
        return len(self.days)

    def interest(self, balance: Decimal, k: int) -> Decimal:
        """Period k's interest on ``balance``, to the fen."""
        return self.rounding.fen(self.rate.on(balance, self.days[k]))

    def factor(self, k: int) -> Decimal:
        """Period k's interest on 1 yuan, unrounded."""
        return self.rate.accrual(self.days[k])

    def after(self, k: int) -> Accruals:
        """The periods after period k."""
        return Accruals(self.rate, self.days[k + 1 :], self.rounding)


def split(method: RepaymentMethod, balance: Decimal, accruals: Accruals) -> list[Split]:
    """The (principal, interest) of each period under ``method``."""
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        return equal_installment(balance, accruals)
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        return equal_principal(balance, accruals)
    return interest_first(balance, accruals)


def equal_installment(balance: Decimal, accruals: Accruals) -> list[Split]:
    """Split a level payment into interest on the balance and principal.

    If a period's interest exceeds the level payment (a long broken first period on a long,
    expensive term), that installment is interest only and the level payment is solved again
    for the periods left, so no principal is ever negative and the schedule stays level after.
    The principal never exceeds the balance, so tiny draws end with 0.00 installments rather
    than a negative last one.

    The last installment absorbs the rounding of the level payment, and that residual compounds:
    a few fen on 36 months, a few yuan on 360 months at bank rates, but thousands on 360 months
    at 0.1 % a day. That is the rule in DESIGN.md; a facility that settles differently needs its
    own method.
    """
    payment = level_payment(balance, accruals)
    splits = []
    last = len(accruals) - 1
    for k in range(len(accruals)):
        interest = accruals.interest(balance, k)
        if k == last:
            principal = balance
        elif payment < interest:
            principal = ZERO
            payment = level_payment(balance, accruals.after(k))
        else:
            principal = min(payment - interest, balance)
        splits.append((principal, interest))
        balance -= principal
    return splits


def equal_principal(balance: Decimal, accruals: Accruals) -> list[Split]:
    """Repay B / n (to the fen by the facility's rounding) each period, the last the remainder."""
    level_principal = accruals.rounding.fen(balance / len(accruals))
    splits = []
    last = len(accruals) - 1
    for k in range(len(accruals)):
        interest = accruals.interest(balance, k)
        principal = balance if k == last else min(level_principal, balance)
        splits.append((principal, interest))
        balance -= principal
    return splits


def interest_first(balance: Decimal, accruals: Accruals) -> list[Split]:
    """Charge interest on the whole balance each period and repay it all with the last."""
    last = len(accruals) - 1
    return [
        (balance if k == last else ZERO, accruals.interest(balance, k))
        for k in range(len(accruals))
    ]


def level_payment(balance: Decimal, accruals: Accruals) -> Decimal:
    """Return the level payment that amortizes ``balance`` exactly, to the fen.

    P = B / Σ_k Π_{j≤k} 1/(1+f_j), computed as B·Π_j(1+f_j) / Σ_k Π_{j>k}(1+f_j): the same
    number, but built from products instead of reciprocals, so it is exact whenever the
    products fit the precision and an exact half-fen payment rounds up as it should.
    """
    growth = Decimal(1)
    for k in range(len(accruals)):
        growth *= 1 + accruals.factor(k)
    return accruals.rounding.fen(balance * growth / _annuity(accruals))


def _annuity(accruals: Accruals) -> Decimal:
    """Return Σ_{k=1..n} Π_{j=k+1..n} (1+f_j), by Horner's rule over f_2 … f_n."""
    total = Decimal(1)
    for k in range(1, len(accruals)):
        total = total * (1 + accruals.factor(k)) + 1
    return total
