"""The words a schedule is written in: methods, day counts, rounding, rules, and the rate.

Each is a ``StrEnum`` whose values are what the database stores and what people type on the
command line (``--rounding down``), so one spelling serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TypeVar

from bot.errors import InputError
from bot.i18n import N_, _
from bot.money import FEN

ZERO = Decimal("0.00")

# The names of what a schedule is given, as its errors name them (translated where they are
# said: "The {what} cannot be negative").
PRINCIPAL = N_("principal")
DAILY_RATE = N_("daily rate")
ANNUAL_RATE = N_("annual rate")
METHOD = N_("repayment method")
DAY_COUNT = N_("day-count convention")
ROUNDING = N_("rounding")
FIRST_PERIOD = N_("first-period rule")

_E = TypeVar("_E", bound=StrEnum)


class RepaymentMethod(StrEnum):
    """How a draw is repaid."""

    EQUAL_INSTALLMENT = "equal-installment"  # 等额本息: a level amount every period
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金: level principal, interest on what is left
    INTEREST_FIRST = "interest-first"  # 先息后本: interest each period, principal at the end
    BULLET = "bullet"  # 到期还本付息: all interest and principal at maturity
    # 按季结息: interest on a fixed day each quarter, principal at maturity
    QUARTERLY_INTEREST = "quarterly-interest"

    @property
    def words(self) -> str:
        """The method as a finance reader knows it, English and Chinese (marked for the
        catalogs: a Chinese reader is shown `_(method.words)`, the Chinese alone)."""
        return _METHOD_WORDS[self]

    @property
    def monthly(self) -> bool:
        """True when the method has an installment every month (the first three)."""
        return self not in (RepaymentMethod.BULLET, RepaymentMethod.QUARTERLY_INTEREST)


_METHOD_WORDS = {
    RepaymentMethod.EQUAL_INSTALLMENT: N_("Equal installment (等额本息)"),
    RepaymentMethod.EQUAL_PRINCIPAL: N_("Equal principal (等额本金)"),
    RepaymentMethod.INTEREST_FIRST: N_("Interest first (先息后本)"),
    RepaymentMethod.BULLET: N_("Bullet (到期还本付息)"),
    RepaymentMethod.QUARTERLY_INTEREST: N_("Quarterly interest (按季结息)"),
}


class DayCount(StrEnum):
    """How a period's interest is counted from the daily rate."""

    THIRTY = "30"  # a full month is 30 days of interest
    ACTUAL = "actual"  # the real number of days in each period


class Rounding(StrEnum):
    """How an amount is brought to the fen."""

    HALF_UP = "half-up"  # 四舍五入: halves away from zero
    DOWN = "down"  # truncated to the fen (what Jiebei appears to do)

    def fen(self, value: Decimal) -> Decimal:
        """``value`` to the fen by this rule."""
        mode = ROUND_HALF_UP if self is Rounding.HALF_UP else ROUND_DOWN
        return value.quantize(FEN, rounding=mode)


class FirstPeriod(StrEnum):
    """Where a draw's first due date falls when the facility has a fixed repayment day."""

    # The repayment day in the calendar month after the draw, however near or far.
    NEXT_MONTH = "next-month"
    # The first repayment day after the draw, skipped to the month after when it is fewer than
    # SKIP_SHORT_DAYS away (Jiebei's rule as public sources describe it).
    SKIP_SHORT = "skip-short"


# "Fewer than ~15 days before the repayment day" (DESIGN.md, Platform conventions).
SKIP_SHORT_DAYS = 15


class RepaymentDayRule(StrEnum):
    """Where the repayment day comes from when the facility does not fix one."""

    DRAW_DAY = "draw-day"  # each draw is due on its own day of the month
    FIRST_DRAW = "first-draw"  # the facility's first draw fixes the day for every later draw


class HolidayRule(StrEnum):
    """What happens to a due date that falls on a holiday or a weekend."""

    NONE = "none"  # collected on the calendar day
    FOLLOWING = "following"  # collected on the next business day


@dataclass(frozen=True)
class InterestRate:
    """A rate as the lender states it: per day, or per year on a 360- or 365-day basis.

    Interest is ``balance × value × days / basis``, dividing last, so an annual rate is exact:
    ¥10,000,000 at 3.5 % a year on basis 360 costs 29,166.666… over 30 days, 29,166.67 to the
    fen, where a daily rate rounded to any number of places would lose the last digits.
    """

    value: Decimal
    basis: int = 1  # 1: `value` is per day; 360 or 365: `value` is per year

    @classmethod
    def daily(cls, rate: Decimal) -> InterestRate:
        """A daily rate: 0.0004 is 0.04 % a day."""
        return cls(rate, 1)

    @classmethod
    def annual(cls, rate: Decimal, basis: int) -> InterestRate:
        """An annual rate on a 360- or 365-day year: 0.035 on 360 is 3.5 % a year."""
        return cls(rate, basis)

    @property
    def is_annual(self) -> bool:
        """True for a rate per year."""
        return self.basis != 1

    def accrual(self, days: int) -> Decimal:
        """The interest on 1 yuan over ``days`` days (to the context's precision)."""
        return self.value * days / self.basis

    def on(self, balance: Decimal, days: int) -> Decimal:
        """The interest on ``balance`` over ``days`` days, unrounded (exact at 40 digits)."""
        return balance * self.value * days / self.basis


def as_rate(value: object) -> InterestRate:
    """An :class:`InterestRate`; a bare ``Decimal`` is a daily rate. Refuses bad values."""
    if isinstance(value, InterestRate):
        rate, basis, what = value.value, value.basis, ANNUAL_RATE if value.is_annual else None
    else:
        rate, basis, what = value, 1, None
    what = _(what or DAILY_RATE)
    if isinstance(rate, bool) or not isinstance(rate, Decimal | int):
        raise InputError(
            _("The {what} must be a Decimal amount, not {kind} ({value}).").format(
                what=what, kind=type(rate).__name__, value=repr(rate)
            )
        )
    rate = Decimal(rate)
    if not rate.is_finite():
        raise InputError(
            _("The {what} must be a finite number, not {value}.").format(what=what, value=rate)
        )
    if rate < 0:
        raise InputError(
            _("The {what} cannot be negative (got {value}).").format(what=what, value=rate)
        )
    if basis not in (1, 360, 365):
        raise InputError(
            _("A year is 360 or 365 days for interest, not {basis}.").format(basis=basis)
        )
    return InterestRate(rate, basis)


def coerce(kind: type[_E], value: object, what: str) -> _E:
    """``value`` as a member of ``kind``, or an InputError listing the members (what people
    type, so English in every language). ``what`` names it: an N_() text, translated here."""
    try:
        return kind(value)
    except ValueError:
        allowed = _(", ").join(member.value for member in kind)
        raise InputError(
            _("Unknown {what} {value}; use one of: {allowed}.").format(
                what=_(what), value=repr(value), allowed=allowed
            )
        ) from None
