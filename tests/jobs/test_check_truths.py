"""Checks that don't cry wolf (issue 11, sections 4 and 5), on SQLite and PostgreSQL.

The cast, as in tests/jobs/test_checks.py: Alice's Jiebei line (limit 200,000.00,
Asia/Shanghai) set up on 2026-11-01 and a 10,000.00 draw over 12 months on 2026-11-10 (899.75
due on the 10th of each month from 2026-12-10). Each test here reproduces what the issue saw.
"""

from datetime import date

from bot.ledger.repayments import record_repayment
from bot.models import Facility
from tests.jobs.test_checks import MINUTE, D, at, bill, check, draw, line, reading
from tests.ledger.cast import jiebei_line, log_draw

__all__ = ["draw", "line"]  # fixtures, used by name


# --- a limit cut below what is owed ---------------------------------------------------------


def _owing_30000(session, alice) -> Facility:
    """Alice's Jiebei line with 100,000.00 limit and 30,000.00 drawn on 2026-11-10."""
    facility = jiebei_line(session, alice, at("2026-11-01 09:00"), slug="jb", limit="100000.00")
    log_draw(
        session, alice, facility, "30000.00", 6, date(2026, 11, 10), now=at("2026-11-10 12:00")
    )
    return facility


def test_a_limit_cut_below_what_is_owed_is_its_own_critical_finding(session, alice) -> None:
    """28,000 shown against 30,000 owed: `limit_below_owed` says so, and what to do."""
    facility = _owing_30000(session, alice)
    reading(session, alice, facility, at("2026-11-20 09:00"), "28000.00", "0.00")

    [finding] = check(session, "limit_below_owed", at("2026-11-20 10:00"))
    assert finding.severity == "critical"
    assert finding.summary == (
        "limit ¥28,000.00 is below the ¥30,000.00 you owe: no new draws; ask whether "
        "repayment is being accelerated"
    )
    assert finding.facts["Short by"] == "¥2,000.00"

    reading(session, alice, facility, at("2026-11-21 09:00"), "100000.00", "70000.00")
    assert check(session, "limit_below_owed", at("2026-11-21 10:00")) == []


def test_available_floors_at_zero_when_the_limit_is_below_what_is_owed(session, alice) -> None:
    """Nothing available under a 28,000 limit with 30,000 owed is right, not "off by ¥2,000"."""
    facility = _owing_30000(session, alice)
    reading(session, alice, facility, at("2026-11-20 09:00"), "28000.00", "0.00")
    assert check(session, "limit_inconsistent", at("2026-11-20 10:00")) == []

    reading(session, alice, facility, at("2026-11-21 09:00"), "28000.00", "500.00")
    [finding] = check(session, "limit_inconsistent", at("2026-11-21 10:00"))
    assert "the ledger says ¥0.00 (the ¥28,000.00 limit is all used)" in finding.summary


def test_utilization_is_measured_against_the_lower_of_the_two_limits(session, alice) -> None:
    """30,000 of a 100,000 line is 30 %; of the 28,000 the platform now shows, 107.1 %."""
    facility = _owing_30000(session, alice)
    assert check(session, "utilization_high", at("2026-11-20 10:00")) == []

    reading(session, alice, facility, at("2026-11-20 09:00"), "28000.00", "0.00")
    [finding] = check(session, "utilization_high", at("2026-11-20 10:00"))
    assert finding.facts["Used"] == "107.1 %"
    assert finding.facts["Limit"] == "¥28,000.00"
    assert finding.facts["Headroom"] == "¥0.00"


# --- the holiday rule in bill_overdue --------------------------------------------------------


def _due_on_national_day(session, alice, rule: str) -> Facility:
    """A line whose one installment falls due 2026-10-01 (National Day), billed unpaid."""
    facility = jiebei_line(session, alice, at("2026-08-25 09:00"), slug=f"due-{rule}")
    facility.holiday_rule = rule
    log_draw(session, alice, facility, "10000.00", 1, date(2026, 9, 1), now=at("2026-09-01 12:00"))
    installment_amount = facility.draws[0].installments[0].amount
    bill(session, alice, facility, "2026-10-01", str(installment_amount), at("2026-09-25 09:00"))
    return facility


def test_a_bank_installment_due_on_a_holiday_is_not_overdue_before_the_next_business_day(
    session, alice
) -> None:
    """Due 10-01 under `following`: collected 10-08, overdue only once 10-08 has ended."""
    _due_on_national_day(session, alice, "following")

    assert check(session, "bill_overdue", at("2026-10-02 09:00")) == []
    assert check(session, "bill_overdue", at("2026-10-09 00:00") - MINUTE) == []
    [finding] = check(session, "bill_overdue", at("2026-10-09 00:00"))
    assert "was due 2026-10-01 (collected 2026-10-08), 1 day ago" in finding.summary
    assert finding.facts["Collected on"] == "2026-10-08"


def test_a_bill_paid_on_the_next_business_day_after_a_holiday_is_never_overdue(
    session, alice
) -> None:
    """Due 10-01, paid 10-08 under `following`: no `bill_overdue` on any day in between."""
    facility = _due_on_national_day(session, alice, "following")
    amount = str(facility.draws[0].installments[0].amount)
    for day in range(2, 9):
        assert check(session, "bill_overdue", at(f"2026-10-{day:02d} 18:00")) == []
    bill(session, alice, facility, "2026-10-01", amount, at("2026-10-08 15:00"), paid=True)
    assert check(session, "bill_overdue", at("2026-10-10 09:00")) == []


def test_a_platform_that_collects_on_the_calendar_day_is_overdue_the_next_day(
    session, alice
) -> None:
    """Jiebei (`none`) collects on 10-01 itself: overdue from 10-02 00:00."""
    _due_on_national_day(session, alice, "none")
    assert check(session, "bill_overdue", at("2026-10-02 00:00") - MINUTE) == []
    [finding] = check(session, "bill_overdue", at("2026-10-02 00:00"))
    assert "collected" not in finding.summary


def test_a_bank_bill_due_on_a_holiday_is_due_soon_until_the_day_it_is_collected(
    session, alice
) -> None:
    """Due 10-01 under `following`, collected 10-08: the reminder counts to 10-08 (not "due
    in 1 day" on 09-30) and keeps reminding through the holiday up to the collection day."""
    _due_on_national_day(session, alice, "following")

    [finding] = check(session, "bill_due_soon", at("2026-09-30 12:00"))
    assert "collected 2026-10-08 (in 8 days)" in finding.summary
    assert "due 2026-10-01" in finding.summary
    assert finding.facts["Collected on"] == "2026-10-08"
    [finding] = check(session, "bill_due_soon", at("2026-10-06 09:00"))
    assert "(in 2 days)" in finding.summary
    [finding] = check(session, "bill_due_soon", at("2026-10-08 09:00"))
    assert "collected 2026-10-08 (today)" in finding.summary


def test_a_bank_bill_due_on_a_saturday_is_due_soon_until_monday(session, alice) -> None:
    """Due Saturday 08-01 under `following`: collected Monday 08-03, reminded that morning."""
    facility = jiebei_line(session, alice, at("2026-06-25 09:00"), slug="due-saturday")
    facility.holiday_rule = "following"
    log_draw(session, alice, facility, "10000.00", 1, date(2026, 7, 1), now=at("2026-07-01 12:00"))
    amount = str(facility.draws[0].installments[0].amount)
    bill(session, alice, facility, "2026-08-01", amount, at("2026-07-25 09:00"))

    [finding] = check(session, "bill_due_soon", at("2026-08-03 09:00"))
    assert "due 2026-08-01, collected 2026-08-03 (today)" in finding.summary
    assert check(session, "bill_overdue", at("2026-08-03 09:00")) == []


# --- paid on one side only -------------------------------------------------------------------


def test_a_repayment_the_platform_does_not_show_is_its_own_finding(
    session, alice, line, draw
) -> None:
    """The ledger paid 899.75 on 12-10; the bill still shows unpaid on 12-11: `repayment_unseen`,
    saying what the ledger recorded, and no `bill_overdue`."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-01 09:00"))
    record_repayment(
        session, alice, line, D("899.75"), now=at("2026-12-10 10:00"), paid_on=date(2026, 12, 10)
    )

    assert check(session, "bill_overdue", at("2026-12-11 09:00")) == []
    [finding] = check(session, "repayment_unseen", at("2026-12-11 09:00"))
    assert finding.summary == (
        "the 2026-12-10 bill of ¥899.75 shows unpaid: the ledger recorded ¥899.75 paid on "
        "2026-12-10; the platform does not show it"
    )
    assert finding.severity == "critical"

    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-11 10:00"), paid=True)
    assert check(session, "repayment_unseen", at("2026-12-11 10:00")) == []


def test_a_repayment_the_platform_does_not_show_names_its_amount_and_what_the_bill_got(
    session, alice, line, draw
) -> None:
    """Alice recorded 1,000.00 on 12-10: 899.75 to the 12-10 installment, the rest repaid
    early. `repayment_unseen` names the repayment's amount and what the bill got of it, not
    "¥899.75 paid" as if that were what she recorded."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-01 09:00"))
    record_repayment(
        session, alice, line, D("1000.00"), now=at("2026-12-10 10:00"), paid_on=date(2026, 12, 10)
    )

    [finding] = check(session, "repayment_unseen", at("2026-12-11 09:00"))
    assert finding.summary == (
        "the 2026-12-10 bill of ¥899.75 shows unpaid: the ledger recorded a repayment of "
        "¥1,000.00 on 2026-12-10, ¥899.75 of it toward this bill; the platform does not show it"
    )
    assert finding.facts["Paid toward this bill (ledger)"] == "¥899.75"
    assert finding.facts["Repayments (ledger)"] == "¥1,000.00 on 2026-12-10"


def test_an_unpaid_bill_without_a_ledger_repayment_is_still_overdue(
    session, alice, line, draw
) -> None:
    """No repayment on either side: `bill_overdue` as before, and no `repayment_unseen`."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-01 09:00"))
    assert len(check(session, "bill_overdue", at("2026-12-11 09:00"))) == 1
    assert check(session, "repayment_unseen", at("2026-12-11 09:00")) == []


def test_a_bill_the_platform_shows_paid_without_a_ledger_repayment_asks_to_log_it(
    session, alice, line, draw
) -> None:
    """Autopay took 899.75 on 12-10; nobody logged it: `repayment_unlogged` from 12-11 00:00,
    cleared by logging the repayment."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-10 09:00"), paid=True)

    assert check(session, "repayment_unlogged", at("2026-12-11 00:00") - MINUTE) == []
    [finding] = check(session, "repayment_unlogged", at("2026-12-11 00:00"))
    assert finding.summary == (
        "the platform shows the 2026-12-10 bill paid; no repayment in the ledger: log it"
    )

    record_repayment(
        session, alice, line, D("899.75"), now=at("2026-12-11 09:00"), paid_on=date(2026, 12, 10)
    )
    assert check(session, "repayment_unlogged", at("2026-12-11 09:00")) == []
    # As of before it was logged, the finding stands.
    assert len(check(session, "repayment_unlogged", at("2026-12-11 08:00"))) == 1


# --- a facility's own bill_critical_days -----------------------------------------------------


def test_bill_missing_turns_critical_at_the_facilitys_own_critical_days(
    session, line, draw
) -> None:
    """Critical 7 days before 12-10 for a facility that says so, not the default 3."""
    line.bill_critical_days = 7
    [finding] = check(session, "bill_missing", at("2026-12-03 09:00"))
    assert finding.severity == "critical"
    [finding] = check(session, "bill_missing", at("2026-12-02 09:00"))
    assert finding.severity == "warning"


# --- data_stale counts business hours --------------------------------------------------------


def test_a_weekend_does_not_make_business_day_morning_readings_stale(session, alice, line) -> None:
    """Read Friday 2026-11-06 09:00; by Sunday 22:00 that is 61 h but 15 business hours: quiet.
    Stale only Tuesday 09:00 (48 business hours), without a Monday reading."""
    reading(session, alice, line, at("2026-11-06 09:00"), "200000.00", "200000.00")

    assert check(session, "data_stale", at("2026-11-08 22:00")) == []
    assert check(session, "data_stale", at("2026-11-10 09:00") - MINUTE) == []
    [finding] = check(session, "data_stale", at("2026-11-10 09:00"))
    assert finding.facts["Quiet for"] == "96 h, 48 business hours"
    assert finding.facts["Stale after"] == "48 business hours"


def test_a_holiday_counts_no_business_hours(session, alice) -> None:
    """Read 2026-09-30 09:00, before National Day: not stale until 2026-10-09 09:00."""
    facility = jiebei_line(session, alice, at("2026-09-01 09:00"), slug="golden-week")
    reading(session, alice, facility, at("2026-09-30 09:00"), "200000.00", "200000.00")
    assert check(session, "data_stale", at("2026-10-08 09:00")) == []
    assert check(session, "data_stale", at("2026-10-09 09:00") - MINUTE) == []
    assert len(check(session, "data_stale", at("2026-10-09 09:00"))) == 1
