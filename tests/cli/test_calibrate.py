"""`loanwatch facility calibrate`: which convention reproduces a platform's bills to the fen.

Alice set her Jiebei line up with the wrong terms (30-day months, half-up, next-month); the
platform bills on actual days, truncated to the fen, with Jiebei's first-period rule.
"""

from datetime import date
from decimal import Decimal

import pytest

from bot.ledger.schedule import DayCount, FirstPeriod, RepaymentMethod, Rounding, plan_draw
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_json,
    loanwatch_on,
    ok,
)

WRONG_TERMS = "--day-count 30 --rounding half-up --first-period next-month --repayment-day 9"
JIEBEI_PUBLIC_EXAMPLE = ["903.25"] * 11 + ["903.28"]  # see tests/ledger/test_schedule_terms.py
SET_TO_JIEBEI = (
    "loanwatch facility set jb --method equal-installment --day-count actual --rounding down "
    "--first-period skip-short --replan"
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


@pytest.fixture
def wrongly_set_line(loanwatch: Loanwatch) -> Loanwatch:
    """jb, a Jiebei line at 0.04 %/day repaid on the 9th, set up with the wrong conventions."""
    ok(
        loanwatch(
            f"facility add jb --platform jiebei --limit 100k --daily-rate 0.04% {WRONG_TERMS}"
        )
    )
    return loanwatch


def record_bills(loanwatch: Loanwatch, bills: dict[date, Decimal]) -> None:
    """Alice types in the bills the platform shows."""
    for due, amount in sorted(bills.items()):
        ok(loanwatch(f"bill add jb {due.isoformat()} {amount}"))


def platform_bills(draws: list[tuple[str, date]], months: int) -> dict[date, Decimal]:
    """The bills Jiebei shows for these draws: actual days, truncated, skip-short, due the 9th,
    summed per due date (one bill a day)."""
    bills: dict[date, Decimal] = {}
    for amount, drawn_on in draws:
        for installment in plan_draw(
            Decimal(amount),
            Decimal("0.0004"),
            months,
            drawn_on,
            RepaymentMethod.EQUAL_INSTALLMENT,
            DayCount.ACTUAL,
            9,
            rounding=Rounding.DOWN,
            first_period=FirstPeriod.SKIP_SHORT,
        ):
            bills[installment.due_date] = bills.get(installment.due_date, Decimal(0)) + (
                installment.amount
            )
    return bills


def test_the_public_example_is_reproduced_only_by_actual_days_rounded_down(
    wrongly_set_line: Loanwatch,
) -> None:
    """A draw on Jan 1 and Jiebei's twelve bills of 903.25 and 903.28: calibrate names equal
    installment on actual days, rounded down, and the command that sets the line to it."""
    ok(wrongly_set_line("draw add jb 10000 --months 12 --on 2025-01-01"))
    record_bills(
        wrongly_set_line,
        {
            date(2025 + (month // 12), month % 12 + 1, 9): Decimal(amount)
            for month, amount in enumerate(JIEBEI_PUBLIC_EXAMPLE, start=1)
        },
    )

    report = ok(wrongly_set_line("facility calibrate jb")).out

    assert "compared 12 bills due 2025-02-09 to 2026-01-09" in report
    assert "Reproduced to the fen by: equal-installment, day count actual, rounding down" in report
    # Drawn Jan 1, both first-period rules put the first due date on Feb 9.
    assert "Also reproduced by 1 other convention(s)" in report
    assert "loanwatch facility set jb --method equal-installment --day-count actual" in report


def test_calibrate_finds_the_convention_the_bills_were_billed_with_and_set_makes_it_so(
    wrongly_set_line: Loanwatch,
) -> None:
    """Two draws, one on the 28th (where skip-short and next-month differ), bills from Jiebei's
    convention: calibrate names exactly that one; after its command, a new draw bills alike."""
    ok(wrongly_set_line("draw add jb 10000 --months 6 --on 2025-01-01"))
    ok(wrongly_set_line("draw add jb 6000 --months 6 --on 2025-01-28"))
    bills = platform_bills([("10000", date(2025, 1, 1)), ("6000", date(2025, 1, 28))], 6)
    record_bills(wrongly_set_line, bills)

    report = ok(wrongly_set_line("facility calibrate jb")).out

    assert (
        "Reproduced to the fen by: equal-installment, day count actual, rounding down, " in report
    )
    assert "first period skip-short." in report
    assert "Also reproduced" not in report
    (command,) = [line for line in report.splitlines() if "loanwatch facility set" in line]
    assert command.endswith(SET_TO_JIEBEI)
    ok(wrongly_set_line(SET_TO_JIEBEI.removeprefix("loanwatch ")))
    recalibrated = ok(wrongly_set_line("facility calibrate jb")).out
    ok(wrongly_set_line("draw add jb 5000 --months 6 --on 2025-02-27"))
    new_draw = [row for row in export_json(wrongly_set_line, "installments") if row["draw_id"] == 3]
    expected = platform_bills([("5000", date(2025, 2, 27))], 6)
    assert [(row["due_date"], row["amount"]) for row in new_draw] == [
        (due.isoformat(), f"{amount:.2f}") for due, amount in sorted(expected.items())
    ]
    assert "already set to it; nothing to change" in recalibrated


def test_noisy_bills_match_no_convention_and_the_closest_is_named_with_its_difference(
    wrongly_set_line: Loanwatch,
) -> None:
    """One bill 0.03 off what any convention bills: none reproduces all, and the closest is
    Jiebei's, 11 of 12 to the fen, ¥0.03 off on that bill."""
    ok(wrongly_set_line("draw add jb 10000 --months 12 --on 2025-01-01"))
    amounts = [Decimal(a) for a in JIEBEI_PUBLIC_EXAMPLE]
    amounts[4] += Decimal("0.03")  # the 2025-06-09 bill
    record_bills(
        wrongly_set_line,
        {
            date(2025 + (month // 12), month % 12 + 1, 9): amount
            for month, amount in enumerate(amounts, start=1)
        },
    )

    report = ok(wrongly_set_line("facility calibrate jb")).out

    assert "No convention reproduces all 12 bills." in report
    assert "Closest: equal-installment, day count actual, rounding down, first period " in report
    assert "11 of 12 to the fen, off by ¥0.03 in total, largest ¥0.03 on 2025-06-09" in report
    assert "to use the closest anyway: loanwatch facility set jb" in report


def test_a_line_without_bills_has_nothing_to_calibrate(wrongly_set_line: Loanwatch) -> None:
    """No bills yet: calibrate says how to record them, and changes nothing."""
    ok(wrongly_set_line("draw add jb 10000 --months 12 --on 2025-01-01"))

    report = ok(wrongly_set_line("facility calibrate jb")).out

    assert "no bills to compare on jb yet" in report
    assert "`loanwatch bill add`" in report


def test_calibrate_reads_the_repayment_day_off_the_bills(loanwatch: Loanwatch) -> None:
    """A first draw on Jan 30 that Jiebei bills on the 26th (the platform picked the day): the
    bills all fall on the 26th, and calibrate proposes that repayment day too."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100k --daily-rate 0.04%"))
    ok(loanwatch("draw add jb 10000 --months 3 --on 2025-01-30"))
    bills = {}
    for installment in plan_draw(
        Decimal("10000.00"),
        Decimal("0.0004"),
        3,
        date(2025, 1, 30),
        RepaymentMethod.EQUAL_INSTALLMENT,
        DayCount.ACTUAL,
        26,
        rounding=Rounding.DOWN,
        first_period=FirstPeriod.SKIP_SHORT,
    ):
        bills[installment.due_date] = installment.amount
    for due, amount in bills.items():
        ok(loanwatch(f"bill add jb {due.isoformat()} {amount}"))

    report = ok(loanwatch("facility calibrate jb")).out

    assert "first period skip-short, repayment day 26." in report
    assert report.splitlines()[-2].endswith("--first-period skip-short --repayment-day 26 --replan")


def test_terms_that_already_reproduce_the_bills_are_kept(loanwatch: Loanwatch) -> None:
    """Issue 11: a Jiebei line (first period skip-short) whose own terms bill 899.75 for its
    first installment is told nothing needs changing, not to switch to next-month."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100000 --daily-rate 0.04% --day-count 30"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 12 --on 2026-01-10"))
    ok(loanwatch("bill add jb 2026-02-10 899.75"))

    out = ok(loanwatch("facility calibrate jb")).out

    assert "first period skip-short." in out
    assert "jb is already set to it; nothing to change." in out
    assert "facility set" not in out


# Issue 11 §2: calibrate confirms the penalty rule from bills seen after a late repayment.
WEILIDAI = (
    "facility add wl --platform weilidai --limit 200000 --daily-rate 0.05% "
    "--method equal-installment --day-count 30"
)


CONFIRMS_ONE_AND_A_HALF_ON_PRINCIPAL = (
    "Penalty in the 1 bill after a late repayment reproduced to the fen by: penalty 1.5x "
    "the rate on overdue principal."
)


def late_june(loanwatch: Loanwatch, *rule: str) -> None:
    """wl (with penalty rule `rule`), 20,000 over 6 months drawn 2026-05-08: 3,510.50 due
    06-08, paid three days late, and the July installment paid on its day."""
    ok(loanwatch(" ".join([WEILIDAI, *rule])))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    ok(loanwatch("repay add wl 3517.72 --on 2026-06-11 --penalty 7.22"))
    ok(loanwatch("repay add wl 3510.50 --on 2026-07-08"))


def test_the_penalty_a_bill_shows_after_a_late_repayment_names_the_rule(
    loanwatch: Loanwatch,
) -> None:
    """Alice set wl up with 0.5x; the June bill, seen after the late repayment, shows 3,517.72:
    7.22 of penalty, 1.5x 0.05 % on the 3,210.50 principal for three days. Calibrate says so
    and how to set it; the July bill, paid on its day, is no evidence either way."""
    late_june(loanwatch, "--penalty-rate 0.5 --penalty-on-principal")
    ok(loanwatch("bill add wl 2026-06-08 3517.72 --paid"))
    ok(loanwatch("bill add wl 2026-07-08 3510.50 --paid"))

    report = ok(loanwatch("facility calibrate wl")).out

    assert CONFIRMS_ONE_AND_A_HALF_ON_PRINCIPAL in report
    assert (
        "loanwatch facility set wl --penalty-rate 1.5 --penalty-on-principal"
        in report.splitlines()[-2]
    )
    ok(loanwatch("facility set wl --penalty-rate 1.5 --penalty-on-principal"))
    again = ok(loanwatch("facility calibrate wl")).out
    assert again.splitlines()[-1] == "wl is already set to it; nothing to change."


def test_a_rule_that_ties_with_the_current_one_keeps_the_current_one(
    loanwatch: Loanwatch,
) -> None:
    """A platform that charged no penalty: on principal or on interest too, none is none.
    Calibrate keeps wl's own rule rather than suggesting the other base."""
    late_june(loanwatch, "--penalty-rate 0 --penalty-on-interest")
    ok(loanwatch("bill add wl 2026-06-08 3510.50 --paid"))

    report = ok(loanwatch("facility calibrate wl")).out

    assert "Penalty in the 1 bill after a late repayment reproduced to the fen by: no penalty." in (
        report
    )
    assert report.splitlines()[-1] == "wl is already set to it; nothing to change."
    assert "--penalty-on-principal" not in report


def test_no_rule_reproduces_a_penalty_no_rule_charges(loanwatch: Loanwatch) -> None:
    """A June bill 5.00 above the installment: no rule charges that; the closest is named."""
    late_june(loanwatch)
    ok(loanwatch("bill add wl 2026-06-08 3515.50 --paid"))

    report = ok(loanwatch("facility calibrate wl")).out

    assert "Penalty: no rule reproduces the 1 bill after a late repayment. Closest: " in report
    assert "0 of 1 to the fen" in report


def test_without_a_bill_for_the_late_day_the_rule_is_not_confirmed(loanwatch: Loanwatch) -> None:
    """A late repayment and no bill seen for its day: the report says the rule is unconfirmed."""
    late_june(loanwatch)

    report = ok(loanwatch("facility calibrate wl")).out

    assert report.splitlines()[-1].startswith(
        "Penalty rule (penalty 1.5x the rate on overdue principal) not confirmed yet: no bill "
        "seen after a late repayment"
    )


# Issue 11, F9: the penalty is read off every bill the late installment's day can be billed on,
# and rules that reproduce the bills equally well are named, not hidden behind the current one.
BANK = (
    "facility add bk --platform icbc --limit 200000 --daily-rate 0.05% --method equal-installment "
    "--day-count 30 --holiday-rule following --penalty-rate 0.5 --penalty-on-principal"
)


def test_a_bill_printed_on_the_collection_day_confirms_the_penalty_rule(
    loanwatch: Loanwatch,
) -> None:
    """bk's first installment (3,510.50) is due on National Day, 2026-10-01, and collected on
    the next business day, 10-08; paid on 10-12, four days late, with 9.63 of penalty (1.5x on
    the 3,210.50 principal). The bank prints the bill on 10-08: that bill is the evidence."""
    ok(loanwatch(BANK))
    ok(loanwatch("draw add bk 20000 --months 6 --on 2026-09-01"))
    ok(loanwatch("repay add bk 3520.13 --on 2026-10-12 --penalty 9.63"))
    ok(loanwatch("bill add bk 2026-10-08 3520.13 --paid"))

    report = ok(loanwatch("facility calibrate bk")).out

    assert CONFIRMS_ONE_AND_A_HALF_ON_PRINCIPAL in report
    assert "loanwatch facility set bk --penalty-rate 1.5 --penalty-on-principal" in report


def test_a_bill_dated_a_day_after_the_due_date_confirms_the_penalty_rule(
    loanwatch: Loanwatch,
) -> None:
    """Weilidai prints the June bill on 06-09, a day after the 06-08 due date (within the
    match window the bill checks use): its 7.22 of penalty still names 1.5x on principal."""
    late_june(loanwatch, "--penalty-rate 0.5 --penalty-on-principal")
    ok(loanwatch("bill add wl 2026-06-09 3517.72 --paid"))

    report = ok(loanwatch("facility calibrate wl")).out

    assert CONFIRMS_ONE_AND_A_HALF_ON_PRINCIPAL in report


def test_rules_the_bills_cannot_tell_apart_are_named_and_the_current_one_kept(
    loanwatch: Loanwatch,
) -> None:
    """An interest-only installment (interest first) paid three days late shows no penalty:
    no penalty, and every multiple on overdue principal, reproduce it alike. Calibrate keeps
    jb's 1.5x on principal but says the bill does not single it out, and names the others."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100000 --daily-rate 0.05% "
            "--method interest-first --day-count 30 --penalty-rate 1.5 --penalty-on-principal"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 3 --on 2026-05-08"))
    ok(loanwatch("repay add jb 150 --on 2026-06-11"))
    ok(loanwatch("bill add jb 2026-06-08 150.00 --paid"))

    report = ok(loanwatch("facility calibrate jb")).out

    assert (
        "Penalty in the 1 bill after a late repayment reproduced to the fen equally by 5 rules: "
        "penalty 1.5x the rate on overdue principal (jb's own); no penalty; penalty 0.5x the "
        "rate on overdue principal; penalty 1x the rate on overdue principal; penalty 2x the "
        "rate on overdue principal." in report
    )
    assert report.splitlines()[-1] == (
        "jb stays on its own rule; a bill after a later late repayment will tell them apart."
    )
    assert "--penalty-rate" not in report


# Issue 11, F3: a fen of difference is no reason to change the rounding.
def test_a_fen_closer_on_the_same_bills_is_no_reason_to_change_the_rounding(
    loanwatch: Loanwatch,
) -> None:
    """6,000 over 3 months on actual days: rounded down the last installment is 2,048.19,
    half-up 2,048.20. The platform's last bill shows 2,048.21. Both roundings reproduce 2 of 3
    bills; half-up comes a fen closer on the one both miss, which the platform's rounding of
    that one bill explains, so calibrate keeps jb's down, names the tie and gives no command."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100000 --daily-rate 0.04% "
            "--method equal-installment --day-count actual --rounding down "
            "--first-period next-month --repayment-day 9"
        )
    )
    ok(loanwatch("draw add jb 6000 --months 3 --on 2025-01-09"))
    bills = platform_bills([("6000", date(2025, 1, 9))], 3)  # rounded down, on actual days
    assert bills[date(2025, 4, 9)] == Decimal("2048.19")
    bills[date(2025, 4, 9)] = Decimal("2048.21")
    record_bills(loanwatch, bills)

    report = ok(loanwatch("facility calibrate jb")).out

    assert "No convention reproduces all 3 bills." in report
    assert (
        "jb's own terms (equal-installment, day count actual, rounding down, first period "
        "next-month) reproduce 2 of 3 to the fen, as many as any other convention" in report
    )
    assert "rounding half-up" in report  # named as one that ties
    assert "Another comes ¥0.01 closer on them, no reason to change" in report
    assert "jb stays on its own terms" in report
    assert "facility set" not in report


def test_the_penalty_answer_is_its_own_paragraph(loanwatch: Loanwatch) -> None:
    """The report's two answers, the schedule's convention and the penalty rule, are set apart
    by a blank line, so the convention's last line does not run into the penalty's."""
    late_june(loanwatch, "--penalty-rate 1.5 --penalty-on-principal")
    ok(loanwatch("bill add wl 2026-06-08 3517.72 --paid"))
    ok(loanwatch("bill add wl 2026-07-08 3510.50 --paid"))

    report = ok(loanwatch("facility calibrate wl")).out

    conventions, penalty = report.rstrip("\n").split("\n\n")
    assert conventions.startswith("wl: compared 2 bills")
    assert penalty.startswith("Penalty in the 1 bill after a late repayment")


def test_a_bill_carrying_the_penalty_the_ledger_computes_is_no_mismatch_and_calibrates(
    loanwatch: Loanwatch,
) -> None:
    """The June bill, seen after the late repayment, shows 3,517.72: the 3,510.50 installment
    and the 7.22 of penalty the ledger computes for its three days overdue. The check finds no
    bill_amount_mismatch, and calibrate compares the schedule with the bill less its penalty:
    wl's own convention reproduces both bills."""
    late_june(loanwatch)
    ok(loanwatch("bill add wl 2026-06-08 3517.72 --paid"))
    ok(loanwatch("bill add wl 2026-07-08 3510.50 --paid"))

    checked = ok(loanwatch("check"))
    report = ok(loanwatch("facility calibrate wl")).out

    assert "bill_amount_mismatch" not in checked.out
    assert report.splitlines()[1] == (
        "Reproduced to the fen by: equal-installment, day count 30, rounding half-up, "
        "first period next-month."
    )


def test_a_late_days_bill_off_by_more_than_its_penalty_is_still_a_mismatch(
    loanwatch: Loanwatch,
) -> None:
    """5.00 above the installment is not the 7.22 the ledger computes: still a mismatch."""
    late_june(loanwatch)
    ok(loanwatch("bill add wl 2026-06-08 3515.50 --paid"))

    checked = ok(loanwatch("check"))

    assert "bill_amount_mismatch on wl" in checked.out
