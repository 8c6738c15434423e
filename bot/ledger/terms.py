"""A facility's terms as the ledger reads and changes them: the rate, the collection day, edits.

The schedule itself (`bot.ledger.schedule`) is pure; this module turns a stored facility or draw
into what the schedule takes (:func:`rate_of`), answers when a due date is really collected
(:func:`effective_due_date`, for bill matching and the overdue check); changing a facility's
terms is `bot.ledger.term_changes`.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import N_, _, pgettext
from bot.ledger.platforms import profile_for
from bot.ledger.schedule import (
    HolidayRule,
    InterestRate,
    RepaymentDayRule,
)
from bot.ledger.schedule.conventions import as_rate
from bot.models import Draw, Facility
from bot.money import format_annual_rate, said_rate

# The PBoC's rule for RMB loans: a daily rate is the annual rate over 360 days.
DEFAULT_BASIS = 360
_DAILY_PLACES = Decimal("0.00000001")  # what the daily_rate column holds


def rate_of(row: Facility | Draw) -> InterestRate:
    """The rate a facility or a draw charges, exactly as given: per year, or per day."""
    if row.annual_rate is not None and row.rate_basis is not None:
        return InterestRate.annual(row.annual_rate, row.rate_basis)
    return InterestRate.daily(row.daily_rate)


def describe_rate(row: Facility | Draw) -> str:
    """The rate as people read it: "0.04%/day", or "3.5%/year (360-day year)"."""
    rate = rate_of(row)
    # The number as bot.money writes it (exports keep that form); the words around it are the
    # reader's: "日利率0.04%".
    if rate.is_annual:
        percent = format_annual_rate(rate.value, rate.basis).partition("%")[0]
        return _("{percent}%/year ({basis}-day year)").format(percent=percent, basis=rate.basis)
    return said_rate(rate.value)


def checked_rate(
    daily_rate: Decimal | None, annual_rate: Decimal | None, rate_basis: int | None
) -> InterestRate:
    """One rate from what was given: a daily rate, or an annual rate on its year (default 360).

    A daily rate of 0 alongside an annual rate is "no daily rate given" (FacilityTerms'
    default); any other pair is refused, as is a year without an annual rate.
    """
    if annual_rate is None:
        if rate_basis is not None:
            raise InputError(
                _(
                    "a 360- or 365-day year goes with an annual rate; give --annual-rate too, or "
                    "leave out --basis for a daily rate"
                )
            )
        return as_rate(Decimal(0) if daily_rate is None else daily_rate)
    if daily_rate:
        raise InputError(_("give a daily rate or an annual rate, not both"))
    if annual_rate >= 1:
        raise InputError(
            _("{percent}% a year is not a credit line's rate; check it").format(
                percent=f"{(annual_rate * 100).normalize():f}"
            )
        )
    basis = DEFAULT_BASIS if rate_basis is None else rate_basis
    return as_rate(InterestRate.annual(annual_rate, basis))


def daily_rate_of(rate: InterestRate) -> Decimal:
    """The daily rate to store and show: the rate itself, or the annual rate over its year
    rounded half-up to 10^-8 (for people to read; schedules use the annual rate)."""
    if not rate.is_annual:
        return rate.value
    return (rate.value / rate.basis).quantize(_DAILY_PLACES, rounding=ROUND_HALF_UP)


def collection_date(due_date: date, rule: HolidayRule, calendar: BusinessCalendar) -> date:
    """The day a payment due on ``due_date`` is collected under ``rule``."""
    if HolidayRule(rule) is HolidayRule.FOLLOWING:
        return calendar.next_business_day(due_date)
    return due_date


def effective_due_date(facility: Facility, due_date: date, calendar: BusinessCalendar) -> date:
    """When an installment of ``facility`` due on ``due_date`` is really due.

    Under the holiday rule ``following`` (banks) a due date on a holiday or a weekend moves to
    the next business day (2025-10-01 → 2025-10-09); under ``none`` (Jiebei, Weilidai) the
    platform collects on the calendar day. Installments keep their contractual due date, and
    interest runs between contractual dates; this is the day bill matching and the overdue
    check should use.
    """
    return collection_date(due_date, HolidayRule(facility.holiday_rule), calendar)


def fix_repayment_day(facility: Facility, draw: Draw) -> bool:
    """Under ``first-draw``, let the facility's first draw fix its repayment day. True if it did."""
    if facility.repayment_day is not None:
        return False
    if RepaymentDayRule(facility.repayment_day_rule) is not RepaymentDayRule.FIRST_DRAW:
        return False
    facility.repayment_day = draw.drawn_on.day
    return True


def repayment_day_note(facility: Facility) -> str:
    """What to tell the person whose draw just fixed the facility's repayment day."""
    day = facility.repayment_day
    note = (
        f"{facility.slug}'s repayment day is now the {_ordinal(day)}, fixed by this first draw; "
        "later draws are due on it"
    )
    picks_from = profile_for(facility.platform.name).platform_picks_from_day
    if day is not None and picks_from is not None and day >= picks_from:
        note += (
            f". {facility.platform.display_name} picks its own repayment day for a first draw "
            f"on the {_ordinal(picks_from)} or later: check the first bill, and if its day "
            f"differs, `loanwatch facility set {facility.slug} --repayment-day N`"
        )
    return note


# The stored values of a facility's conventions, as its terms name them (translated there; a
# holiday rule by holiday_rule_words).
CONVENTION_WORDS = (
    *(N_("equal-installment"), N_("equal-principal"), N_("interest-first"), N_("bullet")),
    *(N_("quarterly-interest"), N_("30"), N_("actual"), N_("half-up"), N_("down")),
    *(N_("next-month"), N_("skip-short"), N_("draw-day"), N_("first-draw")),
    N_("following"),
)


def holiday_rule_words(rule: str) -> str:
    """A holiday rule in the reader's words: `none` (collected on the calendar day, 不顺延: the
    word has a context, as `none` elsewhere is "nothing", 无), `following` (顺延至下一工作日)."""
    if rule == HolidayRule.NONE:
        return pgettext("holiday rule", "none")
    return _(str(rule))


def describe_terms(facility: Facility) -> str:
    """A facility's terms on one line, as `facility add`, `facility set` and `list` show them."""
    day = (
        _("repayment day {day}").format(day=facility.repayment_day)
        if facility.repayment_day is not None
        else _("repayment day: {rule}").format(rule=_(str(facility.repayment_day_rule)))
    )
    return _(
        "{rate}, {method}, day count {day_count}, rounding {rounding}, first period "
        "{first_period}, {day}, holidays {holidays}, {penalty}"
    ).format(
        rate=describe_rate(facility),
        method=_(str(facility.repayment_method)),
        day_count=_(str(facility.day_count)),
        rounding=_(str(facility.rounding)),
        first_period=_(str(facility.first_period)),
        day=day,
        holidays=holiday_rule_words(facility.holiday_rule),
        penalty=describe_penalty(facility),
    )


# More than five times the rate on overdue money is no lender's penalty rule: a typo.
MAX_PENALTY_MULTIPLIER = Decimal(5)


def check_penalty(multiplier: Decimal) -> Decimal:
    """A penalty multiplier from 0 (no penalty) to MAX_PENALTY_MULTIPLIER; others are refused."""
    if not multiplier.is_finite() or not 0 <= multiplier <= MAX_PENALTY_MULTIPLIER:
        raise InputError(
            _(
                "a penalty rate of {multiplier}x the rate is not a lender's rule; give a multiple "
                "of the rate from 0 to {most}, e.g. 1.5 (1.5x the daily rate)"
            ).format(multiplier=multiplier, most=MAX_PENALTY_MULTIPLIER)
        )
    if multiplier != multiplier.quantize(_DAILY_PLACES):
        raise InputError(
            _("a penalty rate has at most eight decimals (got {multiplier})").format(
                multiplier=multiplier
            )
        )
    return multiplier


def parse_penalty(text: str) -> Decimal:
    """A penalty rate as typed: a multiple of the rate (``1.5``, ``1.5x``, ``1.5×``) or a
    percentage of it (``150%``); refused, with the reason, when it is neither."""
    typed = text.strip().lower()
    scale = Decimal(1)
    if typed.endswith("%"):
        typed, scale = typed[:-1], Decimal("0.01")
    elif typed.endswith(("x", "×")):
        typed = typed[:-1]
    try:
        value = Decimal(typed.strip()) * scale
    except ArithmeticError:
        raise InputError(
            _(
                "penalty rate {typed} is not a number; give a multiple of the rate, e.g. 1.5x"
            ).format(typed=repr(text))
        ) from None
    return check_penalty(value)


def describe_penalty(facility: Facility) -> str:
    """The penalty rule as people read it: "penalty 1.5x the rate on overdue principal"."""
    return describe_penalty_rule(facility.penalty_multiplier, facility.penalty_on_interest)


def describe_penalty_rule(multiplier: Decimal, on_interest: bool) -> str:
    """A penalty rule as people read it: "penalty 1.5x the rate on overdue principal"."""
    if multiplier == 0:
        return _("no penalty")
    said = (
        _("penalty {multiplier}x the rate on overdue principal and interest")
        if on_interest
        else _("penalty {multiplier}x the rate on overdue principal")
    )
    return said.format(multiplier=f"{multiplier.normalize():f}")


def _ordinal(day: int | None) -> str:
    if day is None:
        return "draw's day"
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
