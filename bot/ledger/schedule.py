"""Repayment schedules: the installments a draw implies.

Pure functions, no database and no I/O. Money is ``Decimal`` throughout (see "The money rules"
in DESIGN.md): interest per installment is rounded half-up to the fen, and the last installment
absorbs the residual so the principal always sums to the draw exactly.

Due dates
    The repayment day is the draw's day of month unless the facility fixes one. Each due date is
    that day in the k-th month after the draw's month, clamped to the month's last day, and always
    computed from the original day: a draw on Jan 31 is due Feb 28 (29), Mar 31, Apr 30 …

Interest per period
    Day-count ``30``: a full period costs ``balance × daily_rate × 30``; a broken period (a first
    period that does not start on the repayment day, e.g. the first period after an early
    repayment) costs ``balance × daily_rate × actual days``. Day-count ``actual``: every period
    costs ``balance × daily_rate × actual days``.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import TypeVar

from bot.errors import InputError
from bot.money import FEN

__all__ = [
    "DayCount",
    "PlannedInstallment",
    "RepaymentMethod",
    "accrued_interest",
    "add_months_clamped",
    "due_dates",
    "plan_draw",
    "plan_remaining",
]

ZERO = Decimal("0.00")
MAX_MONTHS = 360
DAYS_IN_A_FULL_PERIOD = 30

# Interest (balance × rate × days) is exact at this precision. The level payment's products of
# up to 360 period factors are not always exact, but their relative error (~1e-37) cannot move
# a payment on an eleven-digit balance by a fen; short terms at a few-digit rate stay exact, so
# a payment that lands on a half fen is rounded up as the money rules say.
_PRECISION = 40

_E = TypeVar("_E", bound=StrEnum)


class RepaymentMethod(StrEnum):
    """How a draw is repaid."""

    EQUAL_INSTALLMENT = "equal-installment"  # 等额本息: a level amount every period
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金: level principal, interest on what is left
    INTEREST_FIRST = "interest-first"  # 先息后本: interest each period, principal at the end


class DayCount(StrEnum):
    """How a period's interest is counted from the daily rate."""

    THIRTY = "30"  # a full month is 30 days of interest
    ACTUAL = "actual"  # the real number of days in each period


@dataclass(frozen=True)
class PlannedInstallment:
    """One expected repayment of a draw, as the ledger computes it."""

    seq: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        """What is due on ``due_date``: principal plus interest."""
        return self.principal + self.interest


# --- dates ---------------------------------------------------------------------------------


def add_months_clamped(start: date, months: int, day: int) -> date:
    """Return ``day`` of the month ``months`` months after ``start``'s month, clamped to its end.

    ``start``'s own day of month plays no part: ``add_months_clamped(date(2025, 1, 31), 1, 31)``
    is 2025-02-28 and ``add_months_clamped(date(2025, 1, 31), 2, 31)`` is 2025-03-31.
    """
    _check_day_of_month(day, "day")
    month_index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day, last_day))


def due_dates(drawn_on: date, months: int, repayment_day: int | None = None) -> list[date]:
    """Return the due dates of a draw repaid over ``months`` months.

    Without a fixed ``repayment_day`` the draw's own day of month is the repayment day. With one
    (1..31), the first installment falls in the calendar month after the draw, whatever the
    draw's day: drawn 2025-01-25 or 2025-01-05 with repayment day 10, the first due date is
    2025-02-10 (the first period is then broken, shorter or longer than a month).
    """
    _check_months(months)
    if repayment_day is not None:
        _check_day_of_month(repayment_day, "repayment day")
    day = drawn_on.day if repayment_day is None else repayment_day
    return [add_months_clamped(drawn_on, k, day) for k in range(1, months + 1)]


# --- schedules -----------------------------------------------------------------------------


def plan_draw(
    principal: Decimal,
    daily_rate: Decimal,
    months: int,
    drawn_on: date,
    method: RepaymentMethod,
    day_count: DayCount,
    repayment_day: int | None = None,
) -> list[PlannedInstallment]:
    """Return the installments of a new draw, numbered from 1.

    Under day-count ``30`` the first period counts as a full month when the draw falls on the
    repayment day of its own month: always without a fixed repayment day (drawn Jan 31, due
    Feb 28 is a full month), and with one when the draw's day is that day, clamped to the draw's
    month (drawn Feb 28 with repayment day 31 is on February's repayment day). Otherwise the
    first period is broken and costs its actual days of interest.
    """
    dates = due_dates(drawn_on, months, repayment_day)
    full_first_period = repayment_day is None or drawn_on == add_months_clamped(
        drawn_on, 0, repayment_day
    )
    return plan_remaining(
        principal,
        daily_rate,
        drawn_on,
        dates,
        method,
        day_count,
        first_seq=1,
        full_first_period=full_first_period,
    )


def plan_remaining(
    principal: Decimal,
    daily_rate: Decimal,
    accrual_start: date,
    dates: Sequence[date],
    method: RepaymentMethod,
    day_count: DayCount,
    first_seq: int,
    full_first_period: bool,
) -> list[PlannedInstallment]:
    """Return the installments that repay ``principal`` on ``dates``, numbered from ``first_seq``.

    Used for a new draw (via :func:`plan_draw`) and to regenerate a schedule after an early
    repayment: ``principal`` is the balance left, ``accrual_start`` the day interest starts on
    it (the repayment day), ``dates`` the remaining due dates, and ``full_first_period`` whether
    the first period counts as a full month under day-count ``30`` (it is ignored under
    ``actual``). Interest accrued before ``accrual_start`` is not included; settle it with
    :func:`accrued_interest`.
    """
    principal = _check_principal(principal)
    daily_rate = _check_rate(daily_rate)
    method = _coerce(RepaymentMethod, method, "repayment method")
    day_count = _coerce(DayCount, day_count, "day-count convention")
    _check_dates(accrual_start, dates)
    if isinstance(first_seq, bool) or not isinstance(first_seq, int) or first_seq < 1:
        raise InputError(f"The first installment number must be 1 or more, not {first_seq!r}.")

    with localcontext() as ctx:
        ctx.prec = _PRECISION
        factors = _period_factors(daily_rate, accrual_start, dates, day_count, full_first_period)
        if method is RepaymentMethod.EQUAL_INSTALLMENT:
            splits = _equal_installment(principal, factors)
        elif method is RepaymentMethod.EQUAL_PRINCIPAL:
            splits = _equal_principal(principal, factors)
        else:
            splits = _interest_first(principal, factors)

    return [
        PlannedInstallment(seq=first_seq + k, due_date=due, principal=p, interest=i)
        for k, (due, (p, i)) in enumerate(zip(dates, splits, strict=True))
    ]


def accrued_interest(principal: Decimal, daily_rate: Decimal, start: date, end: date) -> Decimal:
    """Return principal × daily_rate × actual days from ``start`` to ``end``, half-up to the fen.

    A zero ``principal`` (nothing outstanding) or ``start == end`` accrues 0.00.
    """
    principal = _check_amount(principal, "principal")
    if principal < 0:
        raise InputError(f"The principal cannot be negative (got {principal}).")
    daily_rate = _check_rate(daily_rate)
    if end < start:
        raise InputError(f"Interest cannot accrue backwards: {end} is before {start}.")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return _fen(principal * daily_rate * (end - start).days)


# --- the three methods ---------------------------------------------------------------------
# Each takes the balance and the per-period interest factors f_k (interest = balance × f_k) and
# returns (principal, interest) per period. None ever returns a negative amount.


def _equal_installment(balance: Decimal, factors: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
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
    payment = _level_payment(balance, factors)
    splits = []
    last = len(factors) - 1
    for k, factor in enumerate(factors):
        interest = _fen(balance * factor)
        if k == last:
            principal = balance
        elif payment < interest:
            principal = ZERO
            payment = _level_payment(balance, factors[k + 1 :])
        else:
            principal = min(payment - interest, balance)
        splits.append((principal, interest))
        balance -= principal
    return splits


def _equal_principal(balance: Decimal, factors: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Repay round_half_up(B / n) each period, the last the remainder; interest on what is left."""
    level_principal = _fen(balance / len(factors))
    splits = []
    last = len(factors) - 1
    for k, factor in enumerate(factors):
        interest = _fen(balance * factor)
        principal = balance if k == last else min(level_principal, balance)
        splits.append((principal, interest))
        balance -= principal
    return splits


def _interest_first(balance: Decimal, factors: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Charge interest on the whole balance each period and repay it all with the last."""
    last = len(factors) - 1
    return [(balance if k == last else ZERO, _fen(balance * f)) for k, f in enumerate(factors)]


def _level_payment(balance: Decimal, factors: list[Decimal]) -> Decimal:
    """Return the level payment that amortizes ``balance`` exactly, half-up to the fen.

    P = B / Σ_k Π_{j≤k} 1/(1+f_j), computed as B·Π_j(1+f_j) / Σ_k Π_{j>k}(1+f_j): the same
    number, but built from products instead of reciprocals, so it is exact whenever the
    products fit the precision and an exact half-fen payment rounds up as it should.
    """
    growth = Decimal(1)
    for factor in factors:
        growth *= 1 + factor
    return _fen(balance * growth / _annuity(factors))


def _annuity(factors: list[Decimal]) -> Decimal:
    """Return Σ_{k=1..n} Π_{j=k+1..n} (1+f_j), by Horner's rule over f_2 … f_n."""
    total = Decimal(1)
    for factor in factors[1:]:
        total = total * (1 + factor) + 1
    return total


def _period_factors(
    daily_rate: Decimal,
    accrual_start: date,
    dates: Sequence[date],
    day_count: DayCount,
    full_first_period: bool,
) -> list[Decimal]:
    """Return each period's interest factor f_k: interest = balance × f_k."""
    factors = []
    previous = accrual_start
    for k, due in enumerate(dates):
        full = day_count is DayCount.THIRTY and (k > 0 or full_first_period)
        days = DAYS_IN_A_FULL_PERIOD if full else (due - previous).days
        factors.append(daily_rate * days)
        previous = due
    return factors


def _fen(value: Decimal) -> Decimal:
    """Round half-up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# --- validation ----------------------------------------------------------------------------


def _check_amount(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InputError(
            f"The {what} must be a Decimal amount, not {type(value).__name__} ({value!r})."
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise InputError(f"The {what} must be a finite number, not {amount}.")
    return amount


def _check_principal(value: object) -> Decimal:
    principal = _check_amount(value, "principal")
    if principal <= 0:
        raise InputError(f"The principal must be more than 0 (got {principal}).")
    if principal != principal.quantize(FEN):
        raise InputError(
            f"The principal must be in whole fen, at most two decimal places (got {principal})."
        )
    return principal.quantize(FEN)


def _check_rate(value: object) -> Decimal:
    rate = _check_amount(value, "daily rate")
    if rate < 0:
        raise InputError(f"The daily rate cannot be negative (got {rate}).")
    return rate


def _check_months(months: object) -> None:
    if isinstance(months, bool) or not isinstance(months, int):
        raise InputError(f"The term must be a whole number of months, not {months!r}.")
    if not 1 <= months <= MAX_MONTHS:
        raise InputError(f"The term must be 1 to {MAX_MONTHS} months (got {months}).")


def _check_day_of_month(day: object, what: str) -> None:
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
        raise InputError(f"The {what} must be a day of the month, 1 to 31 (got {day!r}).")


def _check_dates(accrual_start: date, dates: Sequence[date]) -> None:
    if not dates:
        raise InputError("A schedule needs at least one due date.")
    if len(dates) > MAX_MONTHS:
        raise InputError(f"A schedule has at most {MAX_MONTHS} due dates (got {len(dates)}).")
    if dates[0] <= accrual_start:
        raise InputError(
            f"The first due date {dates[0]} must be after the day interest starts, {accrual_start}."
        )
    for earlier, later in itertools.pairwise(dates):
        if later <= earlier:
            raise InputError(f"Due dates must strictly increase: {later} follows {earlier}.")


def _coerce(kind: type[_E], value: object, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InputError(f"Unknown {what} {value!r}; use one of: {allowed}.") from None
