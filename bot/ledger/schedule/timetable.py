"""When installments fall due: the monthly dates, the first-period rules, maturity, quarters.

The repayment day is the draw's day of month unless the facility fixes one. Each due date is
that day in the k-th month after a starting month, clamped to the month's last day, and always
computed from the original day: a draw on Jan 31 is due Feb 28 (29), Mar 31, Apr 30 …

A period between two dates is *whole* when both lie on the schedule's day (clamped): it then
counts ``30 × months`` days under day-count ``30``; any other period is *broken* and counts its
actual days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.schedule.conventions import SKIP_SHORT_DAYS, DayCount, FirstPeriod

MAX_MONTHS = 360
DAYS_IN_A_FULL_PERIOD = 30
# 按季结息: Chinese banks settle interest on a fixed day of the last month of each quarter.
QUARTER_MONTHS = (3, 6, 9, 12)
DEFAULT_QUARTER_DAY = 20
# The days of the month a schedule is given, as its errors name them (translated where said).
REPAYMENT_DAY = N_("repayment day")
INTEREST_DAY = N_("interest day")
DAY = N_("day")


@dataclass(frozen=True)
class Period:
    """The days one installment's interest runs over; ``months`` is None for a broken period."""

    start: date
    end: date
    months: int | None

    def days(self, day_count: DayCount) -> int:
        """The days of interest it costs under ``day_count``."""
        if day_count is DayCount.THIRTY and self.months is not None:
            return DAYS_IN_A_FULL_PERIOD * self.months
        return (self.end - self.start).days


def add_months_clamped(start: date, months: int, day: int) -> date:
    """Return ``day`` of the month ``months`` months after ``start``'s month, clamped to its end.

    ``start``'s own day of month plays no part: ``add_months_clamped(date(2025, 1, 31), 1, 31)``
    is 2025-02-28 and ``add_months_clamped(date(2025, 1, 31), 2, 31)`` is 2025-03-31.
    """
    check_day_of_month(day, DAY)
    month_index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day, last_day))


def on_day(when: date, day: int) -> bool:
    """True when ``when`` is the schedule's ``day`` of its month (clamped to the month's end)."""
    return when == add_months_clamped(when, 0, day)


def months_between(start: date, end: date) -> int:
    """Calendar months from ``start``'s month to ``end``'s."""
    return (end.year - start.year) * 12 + end.month - start.month


def whole_months(start: date, end: date, day: int) -> int | None:
    """The months a period spans when both ends are on ``day``, else None (a broken period)."""
    if on_day(start, day) and on_day(end, day) and months_between(start, end) > 0:
        return months_between(start, end)
    return None


def first_month_offset(
    drawn_on: date, repayment_day: int | None, first_period: FirstPeriod = FirstPeriod.NEXT_MONTH
) -> int:
    """How many months after the draw's month the first installment falls (0, 1 or 2).

    Without a fixed repayment day it is always the month after. With one:
    ``next-month`` puts it in the calendar month after the draw; ``skip-short`` on the first
    repayment day after the draw, or the one after that when the first is fewer than
    SKIP_SHORT_DAYS days away (drawn Jan 1 with repayment day 9: Jan 9 is 8 days away, so the
    first installment is due Feb 9, a 39-day first period).
    """
    if repayment_day is None or first_period is FirstPeriod.NEXT_MONTH:
        return 1
    offset = 0 if add_months_clamped(drawn_on, 0, repayment_day) > drawn_on else 1
    if (add_months_clamped(drawn_on, offset, repayment_day) - drawn_on).days < SKIP_SHORT_DAYS:
        offset += 1
    return offset


def due_dates(
    drawn_on: date,
    months: int,
    repayment_day: int | None = None,
    *,
    first_period: FirstPeriod = FirstPeriod.NEXT_MONTH,
) -> list[date]:
    """Return the monthly due dates of a draw repaid over ``months`` months.

    Without a fixed ``repayment_day`` the draw's own day of month is the repayment day. With one
    (1..31), the first installment falls as ``first_period`` says (by default in the calendar
    month after the draw, whatever the draw's day: drawn 2025-01-25 or 2025-01-05 with repayment
    day 10, the first due date is 2025-02-10; the first period is then broken).
    """
    check_months(months)
    if repayment_day is not None:
        check_day_of_month(repayment_day, REPAYMENT_DAY)
    day = drawn_on.day if repayment_day is None else repayment_day
    first = first_month_offset(drawn_on, repayment_day, first_period)
    return [add_months_clamped(drawn_on, first + k, day) for k in range(months)]


def maturity(drawn_on: date, months: int) -> date:
    """The day a term of ``months`` months ends: the draw's day, ``months`` months on."""
    check_months(months)
    return add_months_clamped(drawn_on, months, drawn_on.day)


def quarter_dates(drawn_on: date, months: int, day: int | None = None) -> list[date]:
    """Interest days of a 按季结息 loan, then its maturity: the last date repays the principal.

    Interest is settled on ``day`` (default the 20th) of March, June, September and December
    after the draw and before maturity; a quarter day that is the maturity itself is one date.
    """
    end = maturity(drawn_on, months)
    day = DEFAULT_QUARTER_DAY if day is None else day
    check_day_of_month(day, INTEREST_DAY)
    dates = []
    for offset in range(months_between(drawn_on, end) + 1):
        candidate = add_months_clamped(drawn_on, offset, day)
        if candidate.month in QUARTER_MONTHS and drawn_on < candidate < end:
            dates.append(candidate)
    return [*dates, end]


def check_months(months: object) -> None:
    """Refuse a term that is not a whole number of months from 1 to MAX_MONTHS."""
    if isinstance(months, bool) or not isinstance(months, int):
        raise InputError(
            _("The term must be a whole number of months, not {months}.").format(
                months=repr(months)
            )
        )
    if not 1 <= months <= MAX_MONTHS:
        raise InputError(
            _("The term must be 1 to {most} months (got {months}).").format(
                most=MAX_MONTHS, months=months
            )
        )


def check_day_of_month(day: object, what: str) -> None:
    """Refuse a day of the month outside 1..31; ``what`` names it (an N_() text)."""
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
        raise InputError(
            _("The {what} must be a day of the month, 1 to 31 (got {day}).").format(
                what=_(what), day=repr(day)
            )
        )
