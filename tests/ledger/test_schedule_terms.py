"""Schedules under a facility's own terms: annual rates, bullet and quarterly interest, rounding
down, and Jiebei's first-period rule."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    InterestRate,
    PlannedInstallment,
    RepaymentMethod,
    Rounding,
    accrued_interest,
    due_dates,
    plan_draw,
    plan_remaining,
    schedule_day,
)

D = Decimal
TEN_THOUSAND = D("10000.00")
RATE = D("0.0004")  # 0.04 % a day
TEN_MILLION = D("10000000.00")
BANK_RATE = InterestRate.annual(D("0.035"), 360)  # 3.5 % a year on a 360-day year


def amounts(schedule: list[PlannedInstallment]) -> list[Decimal]:
    """The amount due of each installment, in order."""
    return [installment.amount for installment in schedule]


def principal_of(schedule: list[PlannedInstallment]) -> Decimal:
    """The principal the whole schedule repays."""
    return sum((installment.principal for installment in schedule), D(0))


# --- annual rates ------------------------------------------------------------------------------


def test_ten_million_at_3_5_percent_on_360_costs_29_166_67_a_month():
    """¥10,000,000 at 3.5 %/year, basis 360, interest-first on 30-day months: 29,166.67 a month."""
    schedule = plan_draw(
        TEN_MILLION,
        BANK_RATE,
        12,
        date(2026, 1, 15),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.THIRTY,
    )

    assert [i.interest for i in schedule] == [D("29166.67")] * 12
    assert schedule[-1].principal == TEN_MILLION


def test_the_same_rate_kept_as_eight_decimals_a_day_would_lose_the_last_yuan():
    """Why the annual rate is kept: 0.00009722 a day (all eight places fit) gives 29,166.00."""
    schedule = plan_draw(
        TEN_MILLION,
        D("0.00009722"),
        12,
        date(2026, 1, 15),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.THIRTY,
    )

    assert schedule[0].interest == D("29166.00")


def test_an_annual_rate_on_365_counts_actual_days_over_365():
    """¥1,000,000 at 3.65 %/year on 365, 31 actual days: exactly 100.00 a day, 3,100.00."""
    schedule = plan_draw(
        D("1000000.00"),
        InterestRate.annual(D("0.0365"), 365),
        1,
        date(2026, 1, 15),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.ACTUAL,
    )

    assert schedule[0].interest == D("3100.00")


def test_an_annual_rate_exactly_on_a_half_fen_rounds_up():
    """1,320.00 at 3.5 %/360 for 3 days is exactly 0.385: half-up 0.39. Dividing by the year
    first would lose the tie to 40-digit rounding (0.38499…) and bill 0.38."""
    three_days = accrued_interest(D("1320.00"), BANK_RATE, date(2026, 1, 1), date(2026, 1, 4))

    assert three_days == D("0.39")


def test_a_year_of_anything_but_360_or_365_days_is_refused():
    """An annual rate on basis 366 is a typo, and says what a year may be."""
    with pytest.raises(InputError, match=r"360 or 365 days"):
        accrued_interest(
            TEN_THOUSAND, InterestRate(D("0.035"), 366), date(2026, 1, 1), date(2026, 2, 1)
        )


# --- bullet (到期还本付息) ----------------------------------------------------------------------


def test_a_bullet_draw_pays_everything_once_at_maturity():
    """10,000 at 0.04 %/day for 12 months from 2025-01-10, actual: 10,000 + 365 days = 11,460."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, date(2025, 1, 10), RepaymentMethod.BULLET, DayCount.ACTUAL
    )

    assert schedule == [PlannedInstallment(1, date(2026, 1, 10), TEN_THOUSAND, D("1460.00"))]


def test_a_bullet_draw_on_30_day_months_costs_30_days_a_month():
    """The same draw on day count 30: 12 × 30 days of interest, 1,440.00."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, date(2025, 1, 10), RepaymentMethod.BULLET, DayCount.THIRTY
    )

    assert amounts(schedule) == [D("11440.00")]


def test_a_bullet_draw_ignores_the_repayment_day_and_matures_on_its_own_day():
    """A fixed repayment day is for monthly bills: a bullet draw is due on its own day."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 6, date(2025, 1, 31), RepaymentMethod.BULLET, DayCount.THIRTY, 10
    )

    assert [i.due_date for i in schedule] == [date(2025, 7, 31)]
    assert schedule[0].interest == D("720.00")


# --- quarterly interest (按季结息) ---------------------------------------------------------------


def test_quarterly_interest_is_settled_on_the_20th_of_each_quarter_and_the_principal_at_maturity():
    """Drawn 2025-01-10 for 12 months: interest on Mar/Jun/Sep/Dec 20, then 2026-01-10."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        12,
        date(2025, 1, 10),
        RepaymentMethod.QUARTERLY_INTEREST,
        DayCount.ACTUAL,
    )

    assert [i.due_date for i in schedule] == [
        date(2025, 3, 20),
        date(2025, 6, 20),
        date(2025, 9, 20),
        date(2025, 12, 20),
        date(2026, 1, 10),
    ]
    # 69, 92, 92, 91 and 21 actual days at 4.00 a day.
    assert [i.interest for i in schedule] == [
        D("276.00"),
        D("368.00"),
        D("368.00"),
        D("364.00"),
        D("84.00"),
    ]
    assert [i.principal for i in schedule] == [D("0.00")] * 4 + [TEN_THOUSAND]


def test_quarterly_interest_on_30_day_months_counts_whole_quarters_as_90_days():
    """Day count 30: the broken first period and the stub count actual days, each quarter 90."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        12,
        date(2025, 1, 10),
        RepaymentMethod.QUARTERLY_INTEREST,
        DayCount.THIRTY,
    )

    assert [i.interest for i in schedule] == [
        D("276.00"),
        D("360.00"),
        D("360.00"),
        D("360.00"),
        D("84.00"),
    ]


def test_a_quarterly_draw_maturing_on_a_quarter_day_has_one_installment_there():
    """Drawn on 2025-03-20 for 6 months: interest on Jun 20, and Sep 20 pays both."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        6,
        date(2025, 3, 20),
        RepaymentMethod.QUARTERLY_INTEREST,
        DayCount.THIRTY,
    )

    assert amounts(schedule) == [D("360.00"), D("10360.00")]
    assert [i.due_date for i in schedule] == [date(2025, 6, 20), date(2025, 9, 20)]


def test_the_quarter_day_is_the_facilitys_repayment_day_when_it_fixes_one():
    """A bank settling on the 21st: interest due 2025-03-21, 2025-06-21 …"""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        6,
        date(2025, 1, 10),
        RepaymentMethod.QUARTERLY_INTEREST,
        DayCount.ACTUAL,
        21,
    )

    assert [i.due_date for i in schedule] == [
        date(2025, 3, 21),
        date(2025, 6, 21),
        date(2025, 7, 10),
    ]


def test_a_quarterly_schedule_regenerated_from_a_quarter_day_counts_whole_quarters():
    """After a prepayment settled on 2025-06-20, the next quarter still costs 90 days on `30`."""
    regenerated = plan_remaining(
        D("5000.00"),
        RATE,
        date(2025, 6, 20),
        [date(2025, 9, 20), date(2025, 12, 20), date(2026, 1, 10)],
        RepaymentMethod.QUARTERLY_INTEREST,
        DayCount.THIRTY,
        first_seq=3,
        full_first_period=True,
        day=schedule_day(date(2025, 1, 10), RepaymentMethod.QUARTERLY_INTEREST),
    )

    assert [i.interest for i in regenerated] == [D("180.00"), D("180.00"), D("42.00")]


# --- rounding down and Jiebei's first period ---------------------------------------------------


def truncated_level_schedule(principal: Fraction, rate: Fraction, days: list[int]) -> list[str]:
    """An independent oracle in exact fractions: DESIGN's formula, payment and interest cut to
    the fen, the last installment taking the residual. Returns each amount as text."""
    discount, total = Fraction(1), Fraction(0)
    for period_days in days:
        discount /= 1 + rate * period_days
        total += discount
    cut = lambda value: Decimal(value.numerator * 100 // value.denominator) / 100  # noqa: E731
    payment = cut(principal / total)
    balance = Decimal(principal.numerator) / principal.denominator
    out = []
    for k, period_days in enumerate(days):
        interest = cut(Fraction(balance) * rate * period_days)
        repaid = balance if k == len(days) - 1 else payment - interest
        out.append(f"{repaid + interest:.2f}")
        balance -= repaid
    return out


def test_jiebeis_public_example_matches_only_when_payment_and_interest_are_truncated():
    """10,000 at 0.04 %/day for a year, drawn Jan 1 with repayment day 9 (a 39-day first period),
    actual days, rounded down: 903.25 × 11 and 903.28; half-up would bill 903.26."""
    drawn_on, repayment_day = date(2025, 1, 1), 9
    truncated = plan_draw(
        TEN_THOUSAND,
        RATE,
        12,
        drawn_on,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.ACTUAL,
        repayment_day,
        rounding=Rounding.DOWN,
        first_period=FirstPeriod.SKIP_SHORT,
    )
    half_up = plan_draw(
        TEN_THOUSAND,
        RATE,
        12,
        drawn_on,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.ACTUAL,
        repayment_day,
        first_period=FirstPeriod.SKIP_SHORT,
    )

    assert (truncated[0].due_date - drawn_on).days == 39
    assert amounts(truncated) == [D("903.25")] * 11 + [D("903.28")]
    assert truncated[0].interest == D("156.00")
    dates = [drawn_on] + [i.due_date for i in truncated]
    days = [(later - earlier).days for earlier, later in itertools.pairwise(dates)]
    assert [f"{a:.2f}" for a in amounts(truncated)] == truncated_level_schedule(
        Fraction(10000), Fraction(4, 10000), days
    )
    assert amounts(half_up)[:11] == [D("903.26")] * 11
    assert principal_of(truncated) == principal_of(half_up) == TEN_THOUSAND


def test_rounding_down_truncates_accrued_interest_to_the_fen():
    """12.50 for a day at 0.04 %: 0.005 is 0.01 half-up and 0.00 down."""
    start, end = date(2025, 5, 10), date(2025, 5, 11)
    assert accrued_interest(D("12.50"), RATE, start, end) == D("0.01")
    assert accrued_interest(D("12.50"), RATE, start, end, rounding=Rounding.DOWN) == D("0.00")


@pytest.mark.parametrize(
    ("drawn_on", "first_due"),
    [
        (date(2025, 1, 1), date(2025, 2, 9)),  # Jan 9 is 8 days away: skipped
        (date(2025, 1, 20), date(2025, 2, 9)),  # Feb 9 is 20 days away
        (date(2025, 1, 28), date(2025, 3, 9)),  # Feb 9 is 12 days away: skipped
        (date(2025, 1, 9), date(2025, 2, 9)),  # on the repayment day: a full month
    ],
)
def test_skip_short_moves_a_first_due_date_fewer_than_15_days_away_to_the_next_month(
    drawn_on: date, first_due: date
):
    """Repayment day 9, Jiebei's rule: the first due date is at least 15 days after the draw."""
    dates = due_dates(drawn_on, 3, 9, first_period=FirstPeriod.SKIP_SHORT)

    assert dates[0] == first_due
    assert (dates[0] - drawn_on).days >= 15


def test_skip_short_takes_this_months_repayment_day_when_it_is_far_enough():
    """Drawn Jan 5 with repayment day 25: Jan 25 is 20 days away, so it is the first due date
    (next-month would wait until Feb 25)."""
    assert due_dates(date(2025, 1, 5), 2, 25, first_period=FirstPeriod.SKIP_SHORT) == [
        date(2025, 1, 25),
        date(2025, 2, 25),
    ]
    assert due_dates(date(2025, 1, 5), 2, 25)[0] == date(2025, 2, 25)


# --- properties of the two new methods ---------------------------------------------------------

principals = st.integers(min_value=1, max_value=1_000_000_000).map(lambda f: D(f).scaleb(-2))
daily_rates = st.integers(min_value=0, max_value=1_000).map(lambda m: D(m).scaleb(-6))
annual_rates = st.builds(
    InterestRate.annual,
    st.integers(min_value=0, max_value=240_000).map(lambda m: D(m).scaleb(-6)),
    st.sampled_from([360, 365]),
)


@settings(max_examples=300, deadline=None)
@given(
    principal=principals,
    rate=st.one_of(daily_rates, annual_rates),
    months=st.integers(min_value=1, max_value=120),
    drawn_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    quarter_day=st.none() | st.integers(min_value=1, max_value=31),
    method=st.sampled_from([RepaymentMethod.BULLET, RepaymentMethod.QUARTERLY_INTEREST]),
    rounding=st.sampled_from(Rounding),
)
def test_bullet_and_quarterly_interest_accrue_exactly_the_daily_interest_of_each_period(
    principal: Decimal,
    rate: Decimal | InterestRate,
    months: int,
    drawn_on: date,
    quarter_day: int | None,
    method: RepaymentMethod,
    rounding: Rounding,
):
    """On actual days, each installment's interest is the daily accrual over its period to the
    fen, the principal is all repaid with the last, and the last falls on the maturity date."""
    schedule = plan_draw(
        principal,
        rate,
        months,
        drawn_on,
        method,
        DayCount.ACTUAL,
        quarter_day,
        rounding=rounding,
    )

    assert principal_of(schedule) == principal
    assert [i.principal for i in schedule[:-1]] == [D("0.00")] * (len(schedule) - 1)
    previous = drawn_on
    for installment in schedule:
        expected = accrued_interest(
            principal, rate, previous, installment.due_date, rounding=rounding
        )
        assert installment.interest == expected
        previous = installment.due_date
    assert schedule[-1].due_date == due_dates(drawn_on, months)[-1]
    if method is RepaymentMethod.QUARTERLY_INTEREST:
        assert all(i.due_date.month in (3, 6, 9, 12) for i in schedule[:-1])
        gaps = [
            later.due_date - earlier.due_date for earlier, later in itertools.pairwise(schedule)
        ]
        assert all(gap <= timedelta(days=92) for gap in gaps)


@settings(max_examples=200, deadline=None)
@given(
    principal=principals,
    rate=daily_rates,
    months=st.integers(min_value=1, max_value=36),
    drawn_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    repayment_day=st.none() | st.integers(min_value=1, max_value=31),
    method=st.sampled_from([m for m in RepaymentMethod if m.monthly]),
    day_count=st.sampled_from(DayCount),
    first_period=st.sampled_from(FirstPeriod),
)
def test_rounding_down_keeps_whole_fen_and_repays_the_draw_exactly(
    principal: Decimal,
    rate: Decimal,
    months: int,
    drawn_on: date,
    repayment_day: int | None,
    method: RepaymentMethod,
    day_count: DayCount,
    first_period: FirstPeriod,
):
    """Down keeps every amount whole fen, never negative, with the principal repaid exactly."""
    schedule = plan_draw(
        principal,
        rate,
        months,
        drawn_on,
        method,
        day_count,
        repayment_day,
        rounding=Rounding.DOWN,
        first_period=first_period,
    )

    assert principal_of(schedule) == principal
    assert len(schedule) == months
    for installment in schedule:
        assert installment.principal >= 0
        assert installment.interest >= 0
        assert installment.interest == installment.interest.quantize(D("0.01"), ROUND_DOWN)
