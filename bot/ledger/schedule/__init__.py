"""Repayment schedules: the installments a draw implies.

Pure functions, no database and no I/O. Money is ``Decimal`` throughout (see "The money rules"
in DESIGN.md): interest per installment is brought to the fen by the facility's rounding
(half-up unless it says ``down``), and the last installment absorbs the residual so the
principal always sums to the draw exactly.

The package
    `conventions`: the words (methods, day counts, rounding, first-period, repayment-day and holiday
    rules) and :class:`InterestRate`, a daily or an annual rate.
    `timetable`: due dates, the first-period rules, maturity and quarter days, and which
    periods are whole.
    `methods`: how each method splits the balance into principal and interest.

Interest per period
    Day-count ``30``: a whole period costs ``balance × rate × 30`` per month it spans; a broken
    period (a first period that does not start on the repayment day, e.g. the first period after
    an early repayment, or the stub to a maturity off the quarter day) costs its actual days.
    Day-count ``actual``: every period costs its actual days. An annual rate costs
    ``balance × rate × days / basis``, divided last so it is exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from bot.errors import InputError
from bot.i18n import _
from bot.i18n.formats import day as say_day
from bot.ledger.schedule.conventions import (
    DAY_COUNT,
    FEN,
    FIRST_PERIOD,
    METHOD,
    PRINCIPAL,
    ROUNDING,
    DayCount,
    FirstPeriod,
    HolidayRule,
    InterestRate,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
    as_rate,
    coerce,
)
from bot.ledger.schedule.methods import Accruals, split
from bot.ledger.schedule.timetable import (
    DEFAULT_QUARTER_DAY,
    MAX_MONTHS,
    REPAYMENT_DAY,
    Period,
    add_months_clamped,
    check_day_of_month,
    due_dates,
    maturity,
    quarter_dates,
    whole_months,
)

__all__ = [
    "DayCount",
    "FirstPeriod",
    "HolidayRule",
    "InterestRate",
    "PlannedInstallment",
    "RepaymentDayRule",
    "RepaymentMethod",
    "Rounding",
    "accrued_interest",
    "add_months_clamped",
    "due_dates",
    "plan_draw",
    "plan_remaining",
    "schedule_dates",
    "schedule_day",
]

# Interest (balance × rate × days, then / basis) is exact at this precision. The level payment's
# products of up to 360 period factors are not always exact, but their relative error (~1e-37)
# cannot move a payment on an eleven-digit balance by a fen; short terms at a few-digit daily
# rate stay exact, so a payment that lands on a half fen is rounded up as the money rules say.
_PRECISION = 40


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


def schedule_day(drawn_on: date, method: RepaymentMethod, repayment_day: int | None = None) -> int:
    """The day of the month a draw's whole periods run between.

    The repayment day (the draw's own day without a fixed one) for the monthly methods, the
    quarter day (default the 20th) for quarterly interest; a bullet draw runs from its own day
    to maturity.
    """
    method = coerce(RepaymentMethod, method, METHOD)
    if method is RepaymentMethod.BULLET:
        return drawn_on.day
    if method is RepaymentMethod.QUARTERLY_INTEREST:
        return DEFAULT_QUARTER_DAY if repayment_day is None else repayment_day
    return drawn_on.day if repayment_day is None else repayment_day


def schedule_dates(
    drawn_on: date,
    months: int,
    method: RepaymentMethod,
    repayment_day: int | None = None,
    first_period: FirstPeriod = FirstPeriod.NEXT_MONTH,
) -> list[date]:
    """The due dates of a new draw under ``method`` (see the timetable module)."""
    method = coerce(RepaymentMethod, method, METHOD)
    if repayment_day is not None:
        check_day_of_month(repayment_day, REPAYMENT_DAY)
    if method is RepaymentMethod.BULLET:
        return [maturity(drawn_on, months)]
    if method is RepaymentMethod.QUARTERLY_INTEREST:
        return quarter_dates(drawn_on, months, repayment_day)
    first_period = coerce(FirstPeriod, first_period, FIRST_PERIOD)
    return due_dates(drawn_on, months, repayment_day, first_period=first_period)


def plan_draw(
    principal: Decimal,
    daily_rate: Decimal | InterestRate,
    months: int,
    drawn_on: date,
    method: RepaymentMethod,
    day_count: DayCount,
    repayment_day: int | None = None,
    *,
    rounding: Rounding = Rounding.HALF_UP,
    first_period: FirstPeriod = FirstPeriod.NEXT_MONTH,
) -> list[PlannedInstallment]:
    """Return the installments of a new draw, numbered from 1.

    Under day-count ``30`` the first period counts as whole months when the draw falls on the
    schedule's day in its own month: always without a fixed repayment day (drawn Jan 31, due
    Feb 28 is a full month), and with one when the draw's day is that day, clamped to the
    draw's month (drawn Feb 28 with repayment day 31 is on February's repayment day). Otherwise
    the first period is broken and costs its actual days of interest.
    """
    method = coerce(RepaymentMethod, method, METHOD)
    dates = schedule_dates(drawn_on, months, method, repayment_day, first_period)
    return plan_remaining(
        principal,
        daily_rate,
        drawn_on,
        dates,
        method,
        day_count,
        first_seq=1,
        full_first_period=True,
        rounding=rounding,
        day=schedule_day(drawn_on, method, repayment_day),
    )


def plan_remaining(
    principal: Decimal,
    daily_rate: Decimal | InterestRate,
    accrual_start: date,
    dates: Sequence[date],
    method: RepaymentMethod,
    day_count: DayCount,
    first_seq: int,
    full_first_period: bool,
    *,
    rounding: Rounding = Rounding.HALF_UP,
    day: int | None = None,
) -> list[PlannedInstallment]:
    """Return the installments that repay ``principal`` on ``dates``, numbered from ``first_seq``.

    Used for a new draw (via :func:`plan_draw`) and to regenerate a schedule after an early
    repayment: ``principal`` is the balance left, ``accrual_start`` the day interest starts on
    it (the repayment day), ``dates`` the remaining due dates, and ``full_first_period`` whether
    the first period may count as whole under day-count ``30`` (it is ignored under ``actual``).
    ``day`` is the schedule's day (:func:`schedule_day`): given, a period is whole when both
    its ends are on that day, counting the months it spans; left out, every period after the
    first is one whole month, as in a monthly schedule. Interest accrued before
    ``accrual_start`` is not included; settle it with :func:`accrued_interest`.
    """
    principal = _check_principal(principal)
    rate = as_rate(daily_rate)
    method = coerce(RepaymentMethod, method, METHOD)
    day_count = coerce(DayCount, day_count, DAY_COUNT)
    rounding = coerce(Rounding, rounding, ROUNDING)
    _check_dates(accrual_start, dates)
    if isinstance(first_seq, bool) or not isinstance(first_seq, int) or first_seq < 1:
        raise InputError(
            _("The first installment number must be 1 or more, not {number}.").format(
                number=repr(first_seq)
            )
        )

    periods = _periods(accrual_start, dates, full_first_period, day)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        accruals = Accruals(rate, tuple(p.days(day_count) for p in periods), rounding)
        splits = split(method, principal, accruals)

    return [
        PlannedInstallment(seq=first_seq + k, due_date=due, principal=p, interest=i)
        for k, (due, (p, i)) in enumerate(zip(dates, splits, strict=True))
    ]


def accrued_interest(
    principal: Decimal,
    daily_rate: Decimal | InterestRate,
    start: date,
    end: date,
    *,
    rounding: Rounding = Rounding.HALF_UP,
) -> Decimal:
    """Return principal × rate × actual days from ``start`` to ``end``, to the fen.

    A zero ``principal`` (nothing outstanding) or ``start == end`` accrues 0.00.
    """
    principal = _check_amount(principal, PRINCIPAL)
    if principal < 0:
        raise InputError(
            _("The principal cannot be negative (got {amount}).").format(amount=principal)
        )
    rate = as_rate(daily_rate)
    rounding = coerce(Rounding, rounding, ROUNDING)
    if end < start:
        raise InputError(
            _("Interest cannot accrue backwards: {end} is before {start}.").format(
                end=say_day(end), start=say_day(start)
            )
        )
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return rounding.fen(rate.on(principal, (end - start).days))


def _periods(
    accrual_start: date, dates: Sequence[date], full_first_period: bool, day: int | None
) -> list[Period]:
    """The interest periods ending on each of ``dates``; see :func:`plan_remaining`."""
    periods = []
    previous = accrual_start
    for k, due in enumerate(dates):
        if day is not None:
            months = whole_months(previous, due, day) if (k > 0 or full_first_period) else None
        else:
            months = 1 if (k > 0 or full_first_period) else None
        periods.append(Period(previous, due, months))
        previous = due
    return periods


# --- validation ----------------------------------------------------------------------------


def _check_amount(value: object, what: str) -> Decimal:
    """`value` as a Decimal; `what` is its name, an N_() text translated here."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InputError(
            _("The {what} must be a Decimal amount, not {kind} ({value}).").format(
                what=_(what), kind=type(value).__name__, value=repr(value)
            )
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise InputError(
            _("The {what} must be a finite number, not {value}.").format(what=_(what), value=amount)
        )
    return amount


def _check_principal(value: object) -> Decimal:
    principal = _check_amount(value, PRINCIPAL)
    if principal <= 0:
        raise InputError(
            _("The principal must be more than 0 (got {amount}).").format(amount=principal)
        )
    if principal != principal.quantize(FEN):
        raise InputError(
            _(
                "The principal must be in whole fen, at most two decimal places (got {amount})."
            ).format(amount=principal)
        )
    return principal.quantize(FEN)


def _check_dates(accrual_start: date, dates: Sequence[date]) -> None:
    if not dates:
        raise InputError(_("A schedule needs at least one due date."))
    if len(dates) > MAX_MONTHS:
        raise InputError(
            _("A schedule has at most {most} due dates (got {count}).").format(
                most=MAX_MONTHS, count=len(dates)
            )
        )
    if dates[0] <= accrual_start:
        raise InputError(
            _("The first due date {first} must be after the day interest starts, {start}.").format(
                first=say_day(dates[0]), start=say_day(accrual_start)
            )
        )
    for earlier, later in itertools.pairwise(dates):
        if later <= earlier:
            raise InputError(
                _("Due dates must strictly increase: {later} follows {earlier}.").format(
                    later=say_day(later), earlier=say_day(earlier)
                )
            )
