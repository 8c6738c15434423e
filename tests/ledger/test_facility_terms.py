"""Platform profiles, the terms a facility keeps, and the day a due date is really collected."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.platforms import BANK, PROFILES, profile_for
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)
from bot.ledger.terms import effective_due_date
from bot.models import ledger as stored

NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
NATIONAL_DAY = date(2025, 10, 1)


@pytest.mark.parametrize(
    ("stored_values", "kind"),
    [
        (stored.REPAYMENT_METHODS, RepaymentMethod),
        (stored.ROUNDINGS, Rounding),
        (stored.FIRST_PERIODS, FirstPeriod),
        (stored.REPAYMENT_DAY_RULES, RepaymentDayRule),
        (stored.HOLIDAY_RULES, HolidayRule),
    ],
)
def test_the_database_allows_exactly_the_terms_the_schedule_knows(stored_values, kind) -> None:
    """The CHECK constraints' lists and the enums name the same values, in one order."""
    assert stored_values == tuple(member.value for member in kind)


def test_jiebei_bills_on_actual_days_rounded_down_with_its_own_first_period() -> None:
    """DESIGN's Jiebei column: actual days, equal installment, truncated, skip-short, the first
    draw's day, collected on the calendar day, penalty 1.5x on the overdue amount."""
    jiebei = profile_for("jiebei")

    assert (
        jiebei.day_count,
        jiebei.method,
        jiebei.rounding,
        jiebei.first_period,
        jiebei.repayment_day_rule,
        jiebei.holiday_rule,
    ) == (
        DayCount.ACTUAL,
        RepaymentMethod.EQUAL_INSTALLMENT,
        Rounding.DOWN,
        FirstPeriod.SKIP_SHORT,
        RepaymentDayRule.FIRST_DRAW,
        HolidayRule.NONE,
    )
    assert (jiebei.penalty_multiplier, jiebei.penalty_on_interest) == (Decimal("1.5"), True)


def test_weilidai_charges_penalty_on_the_overdue_principal_only() -> None:
    """Weilidai: equal principal on actual days; 1.5x in all, on principal, not on interest."""
    weilidai = profile_for("weilidai")

    assert (weilidai.method, weilidai.day_count) == (
        RepaymentMethod.EQUAL_PRINCIPAL,
        DayCount.ACTUAL,
    )
    assert (weilidai.penalty_multiplier, weilidai.penalty_on_interest) == (Decimal("1.5"), False)


@pytest.mark.parametrize("platform", ["icbc", "mybank", "a-new-lender"])
def test_every_other_platform_takes_the_bank_default(platform: str) -> None:
    """Banks and platforms nobody has researched: 30-day months, half-up, following."""
    assert profile_for(platform) is BANK
    assert (BANK.day_count, BANK.rounding, BANK.holiday_rule) == (
        DayCount.THIRTY,
        Rounding.HALF_UP,
        HolidayRule.FOLLOWING,
    )


@pytest.mark.parametrize("profile", [*PROFILES.values(), BANK], ids=lambda p: p.name)
def test_every_default_says_how_sure_we_are(profile) -> None:
    """Each profile gives a confidence for every term it defaults, and for its penalty."""
    assert set(profile.confidence) == {
        "day_count",
        "method",
        "rounding",
        "first_period",
        "repayment_day_rule",
        "holiday_rule",
        "penalty",
    }


def test_terms_left_out_are_the_platforms_and_given_ones_win(
    session: Session, alice: Actor
) -> None:
    """`as_given` fills Weilidai's profile, keeping the rounding Alice typed."""
    terms = FacilityTerms.as_given(
        "wl", "weilidai", Decimal("50000.00"), timezone="Asia/Shanghai", rounding=Rounding.DOWN
    )
    facility = add_facility(session, alice, terms, now=NOW)

    assert (facility.repayment_method, facility.day_count, facility.rounding) == (
        "equal-principal",
        "actual",
        "down",
    )


def test_a_facility_refuses_a_daily_and_an_annual_rate_at_once(
    session: Session, alice: Actor
) -> None:
    """The domain refuses what the CLI refuses: one rate per facility."""
    terms = FacilityTerms(
        "loan",
        "icbc",
        Decimal("1000000.00"),
        daily_rate=Decimal("0.0001"),
        annual_rate=Decimal("0.035"),
        rate_basis=360,
    )
    with pytest.raises(InputError, match="not both"):
        add_facility(session, alice, terms, now=NOW)


def test_a_bank_due_date_on_national_day_is_due_on_the_next_business_day(
    session: Session, alice: Actor
) -> None:
    """`following` moves 2025-10-01 to 2025-10-09; `none` keeps it; a business day stays."""
    calendar = BusinessCalendar()
    bank = add_facility(
        session, alice, FacilityTerms("loan", "icbc", Decimal("1000000.00")), now=NOW
    )
    jiebei = add_facility(
        session,
        alice,
        FacilityTerms.as_given("jb", "jiebei", Decimal("100000.00"), timezone="Asia/Shanghai"),
        now=NOW,
    )

    assert effective_due_date(bank, NATIONAL_DAY, calendar) == date(2025, 10, 9)
    assert effective_due_date(jiebei, NATIONAL_DAY, calendar) == NATIONAL_DAY
    assert effective_due_date(bank, date(2025, 10, 10), calendar) == date(2025, 10, 10)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
# The rows of docs/ledger.md's profile table, by the profile attribute each shows.
DOCUMENTED_TERMS = {
    "day count": "day_count",
    "method": "method",
    "rounding": "rounding",
    "first period": "first_period",
    "repayment day": "repayment_day_rule",
    "holidays": "holiday_rule",
    "penalty multiplier": "penalty_multiplier",
}


def documented_profiles() -> dict[str, list[str]]:
    """docs/ledger.md's Platform profiles table: each term's cells, in column order."""
    section = DOCS.read_text(encoding="utf-8").split("## Platform profiles", 1)[1]
    section = section.split("\n\n", 2)[2].split("\n\n", 1)[0]  # the table after the intro
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return {
        cells[0]: cells[1:]
        for cells in ([cell.strip() for cell in row.strip("|").split("|")] for row in rows)
    }


def test_the_profile_table_in_the_docs_says_what_the_code_defaults_to() -> None:
    """Each documented default (the first value in its cell) is the profile's, column by column."""
    table = documented_profiles()
    for term, attribute in DOCUMENTED_TERMS.items():
        profiles = [PROFILES["jiebei"], PROFILES["weilidai"], BANK]
        for cell, profile in zip(table[term], profiles, strict=True):
            value = str(getattr(profile, attribute))
            assert cell.split()[0].strip("`,") == value, (term, profile.name, cell)
