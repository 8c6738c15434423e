"""Repayment schedules: due dates, the three methods, both day-counts, rounding to the fen."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.ledger.schedule import (
    DayCount,
    PlannedInstallment,
    RepaymentMethod,
    accrued_interest,
    add_months_clamped,
    due_dates,
    plan_draw,
    plan_remaining,
)

FEN = Decimal("0.01")
TEN_THOUSAND = Decimal("10000.00")
RATE = Decimal("0.0004")  # 0.04 % a day, the DESIGN.md worked example
DRAWN = date(2025, 1, 10)


def fen(value: Decimal) -> Decimal:
    """Round half-up to the fen, the way the money rules say."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def amounts(schedule: list[PlannedInstallment]) -> list[Decimal]:
    """The amount due of each installment, in order."""
    return [installment.amount for installment in schedule]


def total_interest(schedule: list[PlannedInstallment]) -> Decimal:
    """The interest the whole schedule charges."""
    return sum((installment.interest for installment in schedule), Decimal(0))


def total_principal(schedule: list[PlannedInstallment]) -> Decimal:
    """The principal the whole schedule repays."""
    return sum((installment.principal for installment in schedule), Decimal(0))


# --- the worked examples in DESIGN.md, to the fen --------------------------------------------


def test_equal_installment_on_30_day_count_pays_899_75_then_899_80():
    """10,000.00 at 0.04 %/day over 12 months, `30`: 899.75 × 11, last 899.80, interest 797.05."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, DRAWN, RepaymentMethod.EQUAL_INSTALLMENT, DayCount.THIRTY
    )

    assert amounts(schedule) == [Decimal("899.75")] * 11 + [Decimal("899.80")]
    assert total_interest(schedule) == Decimal("797.05")
    assert total_principal(schedule) == TEN_THOUSAND
    assert schedule[0].interest == Decimal("120.00")


def test_equal_installment_on_actual_days_pays_900_41_then_900_42():
    """Drawn 2025-01-10, `actual`, due the 10th: level 900.41, last 900.42, interest 804.93."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, DRAWN, RepaymentMethod.EQUAL_INSTALLMENT, DayCount.ACTUAL
    )

    assert amounts(schedule) == [Decimal("900.41")] * 11 + [Decimal("900.42")]
    assert total_interest(schedule) == Decimal("804.93")
    assert total_principal(schedule) == TEN_THOUSAND
    # January 10 to February 10 is 31 days; February 10 to March 10 is 28.
    assert schedule[0].interest == Decimal("124.00")


def test_equal_principal_on_30_day_count_starts_at_953_33():
    """`30`, equal principal: 833.33 principal a month, 953.33 first, total interest 780.00."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, DRAWN, RepaymentMethod.EQUAL_PRINCIPAL, DayCount.THIRTY
    )

    assert schedule[0].amount == Decimal("953.33")
    assert [i.principal for i in schedule[:-1]] == [Decimal("833.33")] * 11
    assert schedule[-1].principal == Decimal("833.37")
    assert total_interest(schedule) == Decimal("780.00")
    assert total_principal(schedule) == TEN_THOUSAND


def test_interest_first_charges_120_a_month_and_the_principal_at_the_end():
    """Interest-first, `30`: 120.00 a month, 10,120.00 at the end, total interest 1,440.00."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 12, DRAWN, RepaymentMethod.INTEREST_FIRST, DayCount.THIRTY
    )

    assert amounts(schedule) == [Decimal("120.00")] * 11 + [Decimal("10120.00")]
    assert total_interest(schedule) == Decimal("1440.00")
    assert [i.principal for i in schedule[:-1]] == [Decimal("0.00")] * 11


def test_installments_are_numbered_from_one_on_the_due_dates():
    """A new draw's installments carry seq 1..n and the draw's due dates."""
    schedule = plan_draw(
        TEN_THOUSAND, RATE, 3, DRAWN, RepaymentMethod.EQUAL_INSTALLMENT, DayCount.THIRTY
    )

    assert [i.seq for i in schedule] == [1, 2, 3]
    assert [i.due_date for i in schedule] == due_dates(DRAWN, 3)


# --- properties, with numpy-financial as an independent oracle -------------------------------

principals = st.one_of(
    st.integers(min_value=1, max_value=1_000),  # 0.01 .. 10.00: where rounding bites
    st.integers(min_value=1, max_value=1_000_000_000),  # 0.01 .. 10,000,000.00
).map(lambda fen_count: Decimal(fen_count).scaleb(-2))
daily_rates = st.integers(min_value=0, max_value=1_000).map(
    lambda millionths: Decimal(millionths).scaleb(-6)  # 0.000000 .. 0.001000
)
terms = st.integers(min_value=1, max_value=36)
draw_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
repayment_days = st.none() | st.integers(min_value=1, max_value=31)


def expected_level_payment(principal: Decimal, daily_rate: Decimal, months: int) -> Decimal:
    """numpy-financial's pmt at the `30` monthly rate, rounded half-up to the fen.

    Float carries about 16 significant digits, so a payment whose true value sits on a half-fen
    tie may come back as …4999… or …5000…1. Those are the only cases where the oracle cannot
    decide the rounding; the caller allows 0.01 for them alone (see ``is_near_half_fen``).
    """
    if daily_rate == 0:
        return fen(principal / months)  # exact: no float involved
    pmt = numpy_financial.pmt(float(daily_rate * 30), months, -float(principal))
    return fen(Decimal(str(pmt)))


def is_near_half_fen(principal: Decimal, daily_rate: Decimal, months: int) -> bool:
    """True when the float payment is within float noise of a half fen, so rounding is a toss-up."""
    if daily_rate == 0:
        return False
    pmt = Decimal(str(numpy_financial.pmt(float(daily_rate * 30), months, -float(principal))))
    distance_in_fen = abs((pmt * 100) % 1 - Decimal("0.5"))
    # pmt is at most ~1.03e7 here; 1e-4 fen is 1e-6 yuan, a thousand times float's error there.
    return distance_in_fen < Decimal("0.0001")


@settings(max_examples=400, deadline=None)
@given(principal=principals, daily_rate=daily_rates, months=terms, drawn_on=draw_dates)
def test_level_payment_on_30_day_count_matches_numpy_financial_pmt(
    principal: Decimal, daily_rate: Decimal, months: int, drawn_on: date
):
    """Under `30`, the equal installment equals round_half_up(pmt(rate × 30, n, −B)) to the fen."""
    schedule = plan_draw(
        principal,
        daily_rate,
        months,
        drawn_on,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.THIRTY,
    )
    level_payment = schedule[0].amount
    expected = expected_level_payment(principal, daily_rate, months)

    if is_near_half_fen(principal, daily_rate, months):
        assert abs(level_payment - expected) <= FEN
    else:
        assert level_payment == expected


@settings(max_examples=600, deadline=None)
@given(
    principal=principals,
    daily_rate=daily_rates,
    months=terms,
    drawn_on=draw_dates,
    repayment_day=repayment_days,
    # The monthly methods: bullet and quarterly interest have their own properties below.
    method=st.sampled_from([method for method in RepaymentMethod if method.monthly]),
    day_count=st.sampled_from(DayCount),
)
def test_every_schedule_repays_the_draw_exactly_with_no_negative_amount(
    principal: Decimal,
    daily_rate: Decimal,
    months: int,
    drawn_on: date,
    repayment_day: int | None,
    method: RepaymentMethod,
    day_count: DayCount,
):
    """Any method and day-count: principal sums to the draw, nothing negative, dates increase."""
    schedule = plan_draw(principal, daily_rate, months, drawn_on, method, day_count, repayment_day)

    assert len(schedule) == months
    assert total_principal(schedule) == principal
    for installment in schedule:
        assert installment.principal >= 0
        assert installment.interest >= 0
        assert installment.principal == installment.principal.quantize(FEN)
        assert installment.interest == installment.interest.quantize(FEN)
    dates = [installment.due_date for installment in schedule]
    assert dates[0] > drawn_on
    assert all(earlier < later for earlier, later in itertools.pairwise(dates))


def test_a_long_broken_first_period_is_interest_only_rather_than_negative_principal():
    """When a broken period's interest exceeds the level payment, it pays interest only."""
    # Drawn Dec 1 with repayment day 31: the first period runs 61 days on a 360-month term,
    # so its interest (61 days) is about twice the level payment (about 30 days' interest).
    schedule = plan_draw(
        Decimal("100000.00"),
        Decimal("0.001"),
        360,
        date(2024, 12, 1),
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.THIRTY,
        repayment_day=31,
    )

    assert schedule[0].interest == Decimal("6100.00")
    assert schedule[0].principal == Decimal("0.00")
    assert total_principal(schedule) == Decimal("100000.00")
    assert all(i.principal >= 0 for i in schedule)
    # The level payment is solved again for the 359 full months left, so it stays level after.
    assert len({i.amount for i in schedule[1:-1]}) == 1
    assert schedule[1].amount == Decimal("3000.07")  # pmt(0.03, 359, -100000) = 3000.0739


def test_a_tiny_draw_never_goes_negative_on_equal_principal():
    """0.05 over 10 months rounds 0.005 up to 0.01 a month, then stops at zero, never below."""
    schedule = plan_draw(
        Decimal("0.05"), RATE, 10, DRAWN, RepaymentMethod.EQUAL_PRINCIPAL, DayCount.THIRTY
    )

    assert [i.principal for i in schedule] == [FEN] * 5 + [Decimal("0.00")] * 5
    assert all(i.interest == Decimal("0.00") for i in schedule)


def test_a_level_payment_exactly_on_a_half_fen_rounds_up():
    """101.50 at 3 % a month over 2 months amortizes at exactly 53.045, which pays 53.05."""
    schedule = plan_draw(
        Decimal("101.50"),
        Decimal("0.001"),
        2,
        DRAWN,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.THIRTY,
    )

    assert schedule[0].amount == Decimal("53.05")
    assert schedule[0].interest == Decimal("3.05")  # 101.50 × 0.03 = 3.045, half-up


def test_a_zero_rate_splits_the_draw_into_equal_installments():
    """At a 0 rate the level payment is principal / n, half-up, with the last absorbing the rest."""
    schedule = plan_draw(
        Decimal("100.00"),
        Decimal("0"),
        3,
        DRAWN,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.ACTUAL,
    )

    assert amounts(schedule) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert total_interest(schedule) == Decimal("0.00")


# --- due dates across month ends and leap years ----------------------------------------------


def test_a_draw_on_jan_31_2025_is_due_on_each_month_end_without_drifting():
    """Drawn 2025-01-31: Feb 28, Mar 31, Apr 30 … always from the 31st, never stuck on the 28th."""
    assert due_dates(date(2025, 1, 31), 12) == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
        date(2025, 6, 30),
        date(2025, 7, 31),
        date(2025, 8, 31),
        date(2025, 9, 30),
        date(2025, 10, 31),
        date(2025, 11, 30),
        date(2025, 12, 31),
        date(2026, 1, 31),
    ]


def test_a_draw_on_jan_31_2024_is_due_on_feb_29_in_the_leap_year():
    """Drawn 2024-01-31: Feb 29 (leap year), then Mar 31, Apr 30, May 31."""
    assert due_dates(date(2024, 1, 31), 4) == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_a_draw_on_feb_29_2024_is_due_on_the_29th_and_feb_28_in_2025():
    """Drawn 2024-02-29: the 29th of each month, Feb 28 in 2025, and back to Mar 29."""
    assert due_dates(date(2024, 2, 29), 13) == [
        date(2024, 3, 29),
        date(2024, 4, 29),
        date(2024, 5, 29),
        date(2024, 6, 29),
        date(2024, 7, 29),
        date(2024, 8, 29),
        date(2024, 9, 29),
        date(2024, 10, 29),
        date(2024, 11, 29),
        date(2024, 12, 29),
        date(2025, 1, 29),
        date(2025, 2, 28),
        date(2025, 3, 29),
    ]


def test_a_draw_on_the_30th_is_due_on_feb_28_or_29_and_the_30th_after():
    """Drawn on the 30th: due Feb 28 in 2025 and Feb 29 in 2024, the 30th in every other month."""
    assert due_dates(date(2025, 1, 30), 3) == [
        date(2025, 2, 28),
        date(2025, 3, 30),
        date(2025, 4, 30),
    ]
    assert due_dates(date(2023, 12, 30), 4) == [
        date(2024, 1, 30),
        date(2024, 2, 29),
        date(2024, 3, 30),
        date(2024, 4, 30),
    ]


@pytest.mark.parametrize(
    ("start", "months", "day", "expected"),
    [
        (date(2025, 1, 31), 1, 31, date(2025, 2, 28)),
        (date(2025, 1, 31), 2, 31, date(2025, 3, 31)),
        (date(2024, 1, 15), 1, 30, date(2024, 2, 29)),
        (date(2025, 11, 30), 2, 31, date(2026, 1, 31)),
        (date(2025, 5, 20), 0, 10, date(2025, 5, 10)),
        (date(2025, 12, 1), 25, 1, date(2028, 1, 1)),
    ],
)
def test_add_months_clamped_lands_on_the_day_or_the_month_end(
    start: date, months: int, day: int, expected: date
):
    """The day in the month `months` after start's month, clamped to that month's last day."""
    assert add_months_clamped(start, months, day) == expected


def test_a_draw_on_jan_31_due_feb_28_counts_as_a_full_month_on_30_day_count():
    """Clamping is not a broken period: drawn Jan 31, due Feb 28, `30` charges 30 days."""
    thirty = plan_draw(
        TEN_THOUSAND,
        RATE,
        2,
        date(2025, 1, 31),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.THIRTY,
    )
    actual = plan_draw(
        TEN_THOUSAND,
        RATE,
        2,
        date(2025, 1, 31),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.ACTUAL,
    )

    assert thirty[0].interest == Decimal("120.00")
    assert actual[0].interest == Decimal("112.00")  # 28 days


# --- a fixed repayment day ---------------------------------------------------------------------


def test_a_fixed_repayment_day_puts_the_first_installment_in_the_next_month():
    """Drawn 2025-01-25 with repayment day 10: first due 2025-02-10, then the 10th of each month."""
    assert due_dates(date(2025, 1, 25), 3, repayment_day=10) == [
        date(2025, 2, 10),
        date(2025, 3, 10),
        date(2025, 4, 10),
    ]
    # Even a draw before the repayment day waits for the next month.
    assert due_dates(date(2025, 1, 5), 1, repayment_day=10) == [date(2025, 2, 10)]


def test_a_fixed_repayment_day_makes_a_broken_first_period_of_16_days_on_30_day_count():
    """Drawn 2025-01-25, day 10, `30`: 16 days of interest first, then 30 days a month."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        3,
        date(2025, 1, 25),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.THIRTY,
        repayment_day=10,
    )

    assert schedule[0].due_date == date(2025, 2, 10)
    assert schedule[0].interest == Decimal("64.00")  # 10,000 × 0.0004 × 16
    assert schedule[1].interest == Decimal("120.00")  # a full month, though February has 28


def test_a_draw_on_its_months_clamped_repayment_day_is_a_full_first_period():
    """Drawn Feb 28, 2025 with repayment day 31 is on February's repayment day: a full month."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        2,
        date(2025, 2, 28),
        RepaymentMethod.INTEREST_FIRST,
        DayCount.THIRTY,
        repayment_day=31,
    )

    assert schedule[0].due_date == date(2025, 3, 31)
    assert schedule[0].interest == Decimal("120.00")


def test_a_broken_first_period_changes_the_level_payment_on_equal_installment():
    """Equal installment with a 16-day first period: less first interest, still sums exactly."""
    schedule = plan_draw(
        TEN_THOUSAND,
        RATE,
        12,
        date(2025, 1, 25),
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.THIRTY,
        repayment_day=10,
    )

    assert schedule[0].interest == Decimal("64.00")
    assert len({i.amount for i in schedule[:-1]}) == 1
    assert schedule[0].amount < Decimal("899.75")  # less interest to amortize than a full month
    assert total_principal(schedule) == TEN_THOUSAND


# --- regenerating after an early repayment -----------------------------------------------------


def test_plan_remaining_after_a_prepayment_keeps_the_remaining_due_dates():
    """After paying 3 installments and 2,000.00 early on May 20, the rest keeps its due dates."""
    original = plan_draw(
        TEN_THOUSAND, RATE, 12, DRAWN, RepaymentMethod.EQUAL_INSTALLMENT, DayCount.THIRTY
    )
    # Installments 1..4 are paid (the 4th on 2025-05-10), then 2,000.00 is repaid on 2025-05-20.
    balance = TEN_THOUSAND - total_principal(original[:4]) - Decimal("2000.00")
    remaining_dates = [i.due_date for i in original[4:]]
    repaid_on = date(2025, 5, 20)

    regenerated = plan_remaining(
        balance,
        RATE,
        repaid_on,
        remaining_dates,
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.THIRTY,
        first_seq=5,
        full_first_period=False,
    )

    assert [i.due_date for i in regenerated] == remaining_dates
    assert [i.seq for i in regenerated] == list(range(5, 13))
    # Interest on the new balance runs from the repayment day: May 20 to June 10 is 21 days.
    assert regenerated[0].interest == fen(balance * RATE * 21)
    assert regenerated[1].interest == fen((balance - regenerated[0].principal) * RATE * 30)
    assert total_principal(regenerated) == balance


def test_plan_remaining_with_a_full_first_period_charges_30_days():
    """A regenerated schedule whose first period is full charges 30 days under `30`."""
    regenerated = plan_remaining(
        Decimal("5000.00"),
        RATE,
        date(2025, 5, 10),
        [date(2025, 6, 10), date(2025, 7, 10)],
        RepaymentMethod.EQUAL_PRINCIPAL,
        DayCount.THIRTY,
        first_seq=11,
        full_first_period=True,
    )

    assert regenerated[0].interest == Decimal("60.00")
    assert [i.principal for i in regenerated] == [Decimal("2500.00"), Decimal("2500.00")]
    assert [i.seq for i in regenerated] == [11, 12]


def test_plan_remaining_on_actual_days_counts_from_the_repayment_day():
    """Under `actual` the first regenerated period is the real days since the repayment day."""
    regenerated = plan_remaining(
        Decimal("5000.00"),
        RATE,
        date(2025, 5, 20),
        [date(2025, 6, 10)],
        RepaymentMethod.INTEREST_FIRST,
        DayCount.ACTUAL,
        first_seq=5,
        full_first_period=True,  # ignored under `actual`
    )

    assert regenerated == [
        PlannedInstallment(
            seq=5,
            due_date=date(2025, 6, 10),
            principal=Decimal("5000.00"),
            interest=Decimal("42.00"),  # 5,000 × 0.0004 × 21
        )
    ]


# --- accrued interest --------------------------------------------------------------------------


def test_accrued_interest_is_principal_times_rate_times_actual_days():
    """10,000.00 at 0.04 % a day from May 10 to May 20 accrues 40.00."""
    assert accrued_interest(TEN_THOUSAND, RATE, date(2025, 5, 10), date(2025, 5, 20)) == Decimal(
        "40.00"
    )


def test_accrued_interest_rounds_a_half_fen_up():
    """12.50 × 0.0004 × 1 day = 0.005 rounds half-up to 0.01, not to the even 0.00."""
    assert accrued_interest(Decimal("12.50"), RATE, date(2025, 5, 10), date(2025, 5, 11)) == FEN


def test_accrued_interest_over_no_days_or_no_balance_is_zero():
    """The same day, or nothing outstanding, accrues 0.00."""
    assert accrued_interest(TEN_THOUSAND, RATE, DRAWN, DRAWN) == Decimal("0.00")
    assert accrued_interest(Decimal("0"), RATE, DRAWN, date(2025, 2, 10)) == Decimal("0.00")


# --- bad inputs --------------------------------------------------------------------------------


def draw(**overrides: object) -> list[PlannedInstallment]:
    """plan_draw on the worked example, with some arguments replaced."""
    arguments: dict[str, object] = {
        "principal": TEN_THOUSAND,
        "daily_rate": RATE,
        "months": 12,
        "drawn_on": DRAWN,
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
        "day_count": DayCount.THIRTY,
        "repayment_day": None,
    }
    arguments.update(overrides)
    return plan_draw(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"months": 0}, r"term must be 1 to 360 months \(got 0\)"),
        ({"months": 361}, r"term must be 1 to 360 months \(got 361\)"),
        ({"months": 1.5}, r"term must be a whole number of months"),
        ({"repayment_day": 0}, r"repayment day must be a day of the month, 1 to 31 \(got 0\)"),
        ({"repayment_day": 32}, r"repayment day must be a day of the month, 1 to 31 \(got 32\)"),
        ({"principal": Decimal("0")}, r"principal must be more than 0 \(got 0\)"),
        ({"principal": Decimal("-5.00")}, r"principal must be more than 0 \(got -5.00\)"),
        ({"principal": Decimal("1.005")}, r"principal must be in whole fen"),
        ({"principal": Decimal("NaN")}, r"principal must be a finite number"),
        ({"principal": Decimal("Infinity")}, r"principal must be a finite number"),
        ({"principal": 10000.0}, r"principal must be a Decimal amount, not float"),
        ({"daily_rate": Decimal("-0.0001")}, r"daily rate cannot be negative"),
        ({"daily_rate": 0.0004}, r"daily rate must be a Decimal amount, not float"),
        ({"method": "balloon"}, r"Unknown repayment method 'balloon'; use one of: equal-"),
        ({"day_count": "365"}, r"Unknown day-count convention '365'; use one of: 30, actual"),
    ],
)
def test_plan_draw_refuses_bad_input_with_a_message_that_says_what_is_wrong(
    overrides: dict[str, object], message: str
):
    """Each bad argument raises InputError naming the argument and the allowed values."""
    with pytest.raises(InputError, match=message):
        draw(**overrides)


def test_plan_draw_accepts_the_enum_values_as_plain_strings():
    """The storage layer may pass "equal-installment" and "30" straight from the database."""
    assert draw(method="equal-installment", day_count="30") == draw()


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ([], r"at least one due date"),
        ([date(2025, 5, 20)], r"first due date 2025-05-20 must be after .* 2025-05-20"),
        ([date(2025, 6, 10), date(2025, 6, 10)], r"strictly increase: 2025-06-10 follows"),
        ([date(2025, 7, 10), date(2025, 6, 10)], r"strictly increase: 2025-06-10 follows"),
    ],
)
def test_plan_remaining_refuses_due_dates_out_of_order(dates: list[date], message: str):
    """Empty, unordered, or not-after-the-repayment-day due dates raise InputError."""
    with pytest.raises(InputError, match=message):
        plan_remaining(
            Decimal("5000.00"),
            RATE,
            date(2025, 5, 20),
            dates,
            RepaymentMethod.EQUAL_INSTALLMENT,
            DayCount.THIRTY,
            first_seq=5,
            full_first_period=False,
        )


def test_plan_remaining_refuses_an_installment_number_below_one():
    """first_seq must be 1 or more."""
    with pytest.raises(InputError, match=r"first installment number must be 1 or more"):
        plan_remaining(
            Decimal("5000.00"),
            RATE,
            date(2025, 5, 20),
            [date(2025, 6, 10)],
            RepaymentMethod.EQUAL_INSTALLMENT,
            DayCount.THIRTY,
            first_seq=0,
            full_first_period=False,
        )


def test_accrued_interest_refuses_a_backwards_period_and_a_negative_balance():
    """An end before the start, or a negative principal, raises InputError."""
    with pytest.raises(InputError, match=r"cannot accrue backwards: 2025-01-09 is before"):
        accrued_interest(TEN_THOUSAND, RATE, DRAWN, date(2025, 1, 9))
    with pytest.raises(InputError, match=r"principal cannot be negative"):
        accrued_interest(Decimal("-1.00"), RATE, DRAWN, date(2025, 2, 10))


@pytest.mark.parametrize("day", [0, 32])
def test_add_months_clamped_refuses_a_day_outside_1_to_31(day: int):
    """A day of month outside 1..31 raises InputError."""
    with pytest.raises(InputError, match=r"day must be a day of the month, 1 to 31"):
        add_months_clamped(DRAWN, 1, day)
