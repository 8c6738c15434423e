"""A facility's terms from the command line: platform defaults, annual rates, the new methods,
changing terms for later draws, and the day a holiday moves a due date to.

Alice, the treasurer, types every command; what she reads is the terminal and the exports.
"""

from decimal import Decimal

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    everything,
    export_json,
    loanwatch_on,
    ok,
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def facility(loanwatch: Loanwatch, slug: str) -> dict:
    """One facility as `export facilities` writes it."""
    (row,) = [row for row in export_json(loanwatch, "facilities") if row["facility"] == slug]
    return row


def terms(row: dict) -> tuple:
    """The schedule terms of an exported facility."""
    keys = ("method", "day_count", "rounding", "first_period", "repayment_day_rule")
    return (*(row[key] for key in keys), row["holiday_rule"])


def installments(loanwatch: Loanwatch, draw_id: int) -> list[dict]:
    """One draw's current installments, as exported."""
    return [row for row in export_json(loanwatch, "installments") if row["draw_id"] == draw_id]


# --- platform defaults -------------------------------------------------------------------------


def test_a_jiebei_line_takes_jiebeis_terms_and_says_where_they_came_from(
    loanwatch: Loanwatch,
) -> None:
    """Terms left out are the profile's: actual days, rounded down, skip-short, the first draw's
    day, no holiday move; stderr names each with its confidence and points at calibrate."""
    added = ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))

    assert terms(facility(loanwatch, "jb")) == (
        "equal-installment",
        "actual",
        "down",
        "skip-short",
        "first-draw",
        "none",
    )
    assert "rounding down (medium)" in added.err
    assert "holidays none (low)" in added.err
    assert "`loanwatch facility calibrate jb`" in added.err


def test_a_weilidai_line_repays_equal_principal_and_a_bank_loan_30_day_months(
    loanwatch: Loanwatch,
) -> None:
    """Weilidai: equal principal on actual days; a bank (or an unknown platform): 30-day months,
    half-up, each draw's day, the next business day after a holiday."""
    ok(loanwatch("facility add wl --platform weilidai --limit 200k --daily-rate 0.05%"))
    ok(loanwatch("facility add icbc-term --platform icbc --limit 1000000 --daily-rate 0.012%"))

    assert terms(facility(loanwatch, "wl"))[:3] == ("equal-principal", "actual", "half-up")
    assert terms(facility(loanwatch, "icbc-term")) == (
        "equal-installment",
        "30",
        "half-up",
        "next-month",
        "draw-day",
        "following",
    )


def test_a_term_given_on_the_command_line_wins_over_the_platforms(loanwatch: Loanwatch) -> None:
    """`--rounding half-up --holiday-rule following` on a Jiebei line: those, the rest Jiebei's."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100k --daily-rate 0.04% "
            "--rounding half-up --holiday-rule following"
        )
    )

    row = facility(loanwatch, "jb")
    assert (row["rounding"], row["holiday_rule"], row["day_count"]) == (
        "half-up",
        "following",
        "actual",
    )


# --- annual rates ------------------------------------------------------------------------------


def test_ten_million_at_3_5_percent_a_year_bills_29_166_67_a_month(loanwatch: Loanwatch) -> None:
    """A bank loan at `--annual-rate 3.5% --basis 360`, interest-first: 29,166.67 a month, and
    the export keeps the rate as given beside the daily rate people read."""
    ok(
        loanwatch(
            "facility add icbc-term --platform icbc --limit 20000000 --annual-rate 3.5% "
            "--basis 360 --method interest-first"
        )
    )
    drawn = ok(loanwatch("draw add icbc-term 10000000 --months 12 --on 2025-01-15"))

    assert "3.5%/year (360-day year)" in drawn.out
    assert {row["interest"] for row in installments(loanwatch, 1)} == {"29166.67"}
    row = facility(loanwatch, "icbc-term")
    assert (row["annual_rate"], row["rate_basis"], row["daily_rate"]) == (
        "0.035",
        360,
        "0.00009722",
    )
    (draw,) = export_json(loanwatch, "draws")
    assert (draw["annual_rate"], draw["rate_basis"]) == ("0.035", 360)


def test_an_annual_rate_without_a_basis_is_on_a_360_day_year(loanwatch: Loanwatch) -> None:
    """The PBoC's rule: a daily rate is the annual rate over 360 days, unless the loan says 365."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000 --annual-rate 3.6%"))
    ok(
        loanwatch(
            "facility add loan365 --platform icbc --limit 1000000 --annual-rate 3.65% --basis 365"
        )
    )

    assert facility(loanwatch, "loan")["rate_basis"] == 360
    assert facility(loanwatch, "loan365")["daily_rate"] == "0.0001"


def test_a_draw_may_carry_an_annual_rate_of_its_own(loanwatch: Loanwatch) -> None:
    """`draw add --annual-rate 3.65% --basis 365` on a daily-rate line: 100.00 a day on 1,000,000
    (a bullet draw on actual days: January 15 to February 15 is 31 days)."""
    ok(
        loanwatch(
            "facility add loan --platform icbc --limit 2000000 --daily-rate 0.01% "
            "--day-count actual"
        )
    )
    ok(
        loanwatch(
            "draw add loan 1000000 --months 1 --on 2025-01-15 --method bullet "
            "--annual-rate 3.65% --basis 365"
        )
    )

    (row,) = installments(loanwatch, 1)
    assert (row["due_date"], row["interest"]) == ("2025-02-15", "3100.00")


def test_a_daily_and_an_annual_rate_together_are_refused_and_nothing_is_written(
    loanwatch: Loanwatch,
) -> None:
    """One rate per facility: both is an error naming the choice; so is a year without a rate."""
    before = everything(loanwatch)
    both = loanwatch(
        "facility add loan --platform icbc --limit 1000000 --daily-rate 0.01% --annual-rate 3.6%"
    )
    basis_only = loanwatch("facility add loan --platform icbc --limit 1000000 --basis 365")
    typo = loanwatch("facility add loan --platform icbc --limit 1000000 --annual-rate 3.6")

    assert (both.status, basis_only.status, typo.status) == (2, 2, 2)
    assert "a daily rate or an annual rate, not both" in both.err
    assert "goes with an annual rate" in basis_only.err
    assert "did you mean 3.6%?" in typo.err
    assert everything(loanwatch) == before


# --- bullet and quarterly interest -------------------------------------------------------------


def test_bullet_and_quarterly_interest_draws_from_the_command_line(loanwatch: Loanwatch) -> None:
    """`--method bullet`: one installment at maturity; `--method quarterly-interest`: the 20th of
    each quarter's last month, then the principal at maturity."""
    ok(
        loanwatch(
            "facility add loan --platform icbc --limit 1000000 --daily-rate 0.04% "
            "--day-count actual"
        )
    )
    ok(loanwatch("draw add loan 10000 --months 12 --on 2025-01-10 --method bullet"))
    ok(loanwatch("draw add loan 10000 --months 12 --on 2025-01-10 --method quarterly-interest"))

    (bullet,) = installments(loanwatch, 1)
    assert (bullet["due_date"], bullet["amount"]) == ("2026-01-10", "11460.00")
    quarterly = installments(loanwatch, 2)
    assert [row["due_date"] for row in quarterly] == [
        "2025-03-20",
        "2025-06-20",
        "2025-09-20",
        "2025-12-20",
        "2026-01-10",
    ]
    assert quarterly[-1]["principal"] == "10000.00"


# --- changing terms ----------------------------------------------------------------------------


def test_facility_set_changes_the_terms_of_later_draws_only(loanwatch: Loanwatch) -> None:
    """After `facility set --rounding down --day-count actual`, a new draw follows them; the
    draw logged before keeps its schedule, and the change is audited."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000 --daily-rate 0.04%"))
    ok(loanwatch("draw add loan 10000 --months 12 --on 2025-01-10"))
    before = installments(loanwatch, 1)

    changed = ok(loanwatch("facility set loan --rounding down --day-count actual"))
    ok(loanwatch("draw add loan 10000 --months 12 --on 2025-01-10"))

    assert "rounding down" in changed.out
    assert "keep their terms and schedules" in changed.err
    assert installments(loanwatch, 1) == before
    assert before[0]["amount"] == "899.75"  # 30-day, half-up: DESIGN's worked example
    # Actual days, truncated: the level payment of 900.4118… is 900.41 either way, but the
    # first interest is 124.00 for January's 31 days.
    later = installments(loanwatch, 2)
    assert (later[0]["amount"], later[0]["interest"]) == ("900.41", "124.00")
    (update,) = [e for e in export_json(loanwatch, "audit") if e["action"] == "facility.update"]
    assert (update["before"]["rounding"], update["after"]["rounding"]) == ("half-up", "down")


@pytest.mark.parametrize(
    ("days", "said"), [(1, "critical 1 day ahead"), (2, "critical 2 days ahead")]
)
def test_facility_set_says_the_critical_days_in_plain_english(
    loanwatch: Loanwatch, days: int, said: str
) -> None:
    """`facility set --bill-critical-days 1` says "1 day ahead", not "1 days"."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000 --daily-rate 0.04%"))

    changed = ok(loanwatch(f"facility set loan --bill-critical-days {days}"))

    assert said in changed.out


def test_facility_set_with_nothing_to_change_is_refused(loanwatch: Loanwatch) -> None:
    """A bare `facility set` says what it takes."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000"))

    answer = loanwatch("facility set loan")

    assert answer.status == 2
    assert "nothing to change" in answer.err


def test_facility_set_with_the_terms_it_already_has_writes_nothing(loanwatch: Loanwatch) -> None:
    """Setting a line's terms to what they are says nothing changed and writes no terms version
    and no audit record: the history of terms only holds changes."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000 --daily-rate 0.04%"))
    before = everything(loanwatch)

    answer = ok(loanwatch("facility set loan --daily-rate 0.04% --rounding half-up --day-count 30"))

    assert answer.out.strip() == "nothing changed: loan's terms are already those"
    assert everything(loanwatch) == before


def test_facility_list_shows_each_lines_terms(loanwatch: Loanwatch) -> None:
    """The list shows the rate as given, the method, day count, rounding, repayment day and
    holiday rule, next to limit / outstanding / available."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))
    ok(
        loanwatch(
            "facility add loan --platform icbc --limit 1000000 --annual-rate 3.5% "
            "--repayment-day 21"
        )
    )

    listed = ok(loanwatch("facility list")).out.splitlines()

    assert listed[0].split() == [
        "facility",
        "platform",
        "limit",
        "outstanding",
        "available",
        "rate",
        "method",
        "days",
        "rounding",
        "repayment",
        "day",
        "holidays",
    ]
    jb = next(line for line in listed if line.startswith("jb "))
    assert jb.split()[-6:] == ["equal-installment", "actual", "down", "first", "draw's", "none"]
    assert "0.04%/day" in jb
    loan = next(line for line in listed if line.startswith("loan "))
    assert loan.split()[-5:] == ["30", "half-up", "21", "(next-month)", "following"]
    assert "3.5%/year (360-day year)" in loan


# --- repayment day and holidays ----------------------------------------------------------------


def test_a_jiebei_lines_first_draw_fixes_its_repayment_day_for_later_draws(
    loanwatch: Loanwatch,
) -> None:
    """Drawn first on the 9th, a later draw on the 28th is due on the 9th, skipping the 12-day
    first period to the month after; stderr says the day was fixed."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))

    first = ok(loanwatch("draw add jb 10000 --months 3 --on 2025-01-09"))
    ok(loanwatch("draw add jb 10000 --months 3 --on 2025-01-28"))

    assert "repayment day is now the 9th" in first.err
    assert facility(loanwatch, "jb")["repayment_day"] == 9
    assert [row["due_date"] for row in installments(loanwatch, 2)] == [
        "2025-03-09",
        "2025-04-09",
        "2025-05-09",
    ]
    assert [e["action"] for e in export_json(loanwatch, "audit")].count("facility.update") == 1


def test_a_first_draw_late_in_the_month_says_to_check_the_platforms_day(
    loanwatch: Loanwatch,
) -> None:
    """Jiebei picks its own day for a first draw on the 29th-31st: the note says to check the
    first bill and how to set the day."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))

    drawn = ok(loanwatch("draw add jb 10000 --months 3 --on 2025-01-30"))

    assert "check the first bill" in drawn.err
    assert "`loanwatch facility set jb --repayment-day N`" in drawn.err


def test_a_bank_installment_due_on_national_day_is_collected_on_the_next_business_day(
    loanwatch: Loanwatch,
) -> None:
    """Holiday rule `following`: due 2025-10-01, collected 2025-10-09 (after Golden Week), shown
    beside the due date; a Jiebei line (`none`) shows no such column."""
    ok(loanwatch("facility add loan --platform icbc --limit 1000000 --daily-rate 0.01%"))
    ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))

    bank = ok(loanwatch("draw add loan 10000 --months 2 --on 2025-09-01")).out
    jiebei = ok(loanwatch("draw add jb 10000 --months 2 --on 2025-09-01")).out

    assert "collected" in bank
    assert any("2025-10-01" in line and "2025-10-09" in line for line in bank.splitlines())
    assert "collected" not in jiebei
    assert Decimal(installments(loanwatch, 1)[0]["interest"]) == Decimal("30.00")


def test_a_new_holiday_rule_says_it_placed_the_repayments_again(loanwatch: Loanwatch) -> None:
    """`--holiday-rule none` on a bank loan moves the day each installment is collected, so
    its repayments are placed again (audited: repayment.replay): the answer says so, not that
    nothing logged changed."""
    ok(loanwatch("facility add bk --platform icbc --limit 1000000 --daily-rate 0.01%"))
    ok(loanwatch("draw add bk 10000 --months 3 --on 2026-09-01"))
    ok(loanwatch("repay add bk 3400 --on 2026-10-08"))
    ok(loanwatch("repay add bk 3400 --on 2026-11-02"))

    changed = ok(loanwatch("facility set bk --holiday-rule none"))

    said = changed.out + changed.err
    assert "2 repayments placed again under the holiday rule none" in said
    assert "(audited: repayment.replay)" in said
    assert "draws already logged keep their terms and schedules" not in said
    assert "repayment.replay" in [e["action"] for e in export_json(loanwatch, "audit")]
