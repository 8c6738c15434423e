"""Repayments tell the truth: penalty interest, unexplained amounts, backdating, payoff, accruals.

Alice keeps the company's Weilidai and Jiebei lines; the reproductions are issue 11's (sections
2 and 3), typed at the terminal as she would.
"""

from decimal import Decimal

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_csv,
    export_json,
    loanwatch_on,
    ok,
)

D = Decimal
# Section 2 was written when every line billed 30-day months, equal installment: 3,510.50 a month.
WEILIDAI = (
    "facility add wl --platform weilidai --limit 200000 --daily-rate 0.05% "
    "--method equal-installment --day-count 30"
)
# Section 3 likewise: 30-day months, half-up, each draw's own day, and no penalty in the figures.
JIEBEI = (
    "facility add jb --platform jiebei --limit 100000 --daily-rate 0.05% --day-count 30 "
    "--rounding half-up --first-period next-month --repayment-day-rule draw-day"
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def outstanding(loanwatch: Loanwatch, slug: str) -> Decimal:
    """Outstanding principal by the ledger: drawn less every repayment's principal."""
    drawn = sum(D(d["amount"]) for d in export_json(loanwatch, "draws") if d["facility"] == slug)
    repaid = sum(
        D(r["principal"]) for r in export_json(loanwatch, "repayments") if r["facility"] == slug
    )
    return drawn - repaid


def test_a_late_payment_pays_its_penalty_and_every_later_month_still_matches(
    loanwatch: Loanwatch,
) -> None:
    """Issue 11 §2: 3,517.72 three days late is 3,510.50 + 7.22 penalty (1.5x 0.05 % on the
    3,210.50 principal overdue); the schedule stays as it was and the last payment settles it."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    late = ok(loanwatch("repay add wl 3517.72 --on 2026-06-11")).out
    for month in ("07", "08", "09", "10"):
        ok(loanwatch(f"repay add wl 3510.50 --on 2026-{month}-08"))
    ok(loanwatch("repay add wl 3510.52 --on 2026-11-08"))

    assert "penalty ¥7.22" in late
    assert "is loanwatch's computation" in late
    installments = export_json(loanwatch, "installments --include-superseded")
    assert {i["revision"] for i in installments} == {0}
    assert [i["status"] for i in installments] == ["paid"] * 6
    repayments = export_json(loanwatch, "repayments")
    assert [r["penalty"] for r in repayments] == ["7.22"] + ["0.00"] * 5
    assert {r["unexplained"] for r in repayments} == {"0.00"}
    assert outstanding(loanwatch, "wl") == 0


def test_a_penalty_the_platform_itemised_is_recorded_and_one_above_loanwatchs_is_unexplained(
    loanwatch: Loanwatch,
) -> None:
    """--penalty 7.50 where loanwatch computes 7.22: the schedule is paid, 0.28 is unexplained."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    said = ok(loanwatch("repay add wl 3518.00 --on 2026-06-11 --penalty 7.50")).out

    assert "is loanwatch's computation" not in said
    assert "¥0.28 of it is more than loanwatch can explain" in said
    [repayment] = export_json(loanwatch, "repayments")
    assert (repayment["penalty"], repayment["unexplained"]) == ("7.22", "0.28")
    assert export_json(loanwatch, "installments")[0]["status"] == "paid"


@pytest.mark.parametrize("dates", [("2026-03-01", "2026-01-25"), ("2026-01-25", "2026-03-01")])
def test_backdated_repayments_give_the_same_ledger_in_either_order(
    loanwatch: Loanwatch, dates: tuple[str, str]
) -> None:
    """Issue 11 §3: 2,000 on 03-01 and 1,000 on 01-25, typed in either order: 7,197.97 owed."""
    ok(loanwatch(JIEBEI + " --penalty-rate 0"))
    ok(loanwatch("draw add jb 10000 --months 6 --on 2026-01-15"))
    amounts = {"2026-03-01": "2000", "2026-01-25": "1000"}
    for day in dates:
        ok(loanwatch(f"repay add jb {amounts[day]} --on {day}"))

    assert outstanding(loanwatch, "jb") == D("7197.97")
    assert "¥7,197.97" in ok(loanwatch("facility list")).out
    replays = [a for a in export_json(loanwatch, "audit") if a["action"] == "repayment.replay"]
    assert len(replays) == (1 if dates[0] == "2026-03-01" else 0)


def test_with_jiebeis_penalty_either_order_still_gives_one_ledger(loanwatch: Loanwatch) -> None:
    """The same two repayments under Jiebei's default penalty (the 02-15 installment is paid 14
    days late) come out the same to the fen, whichever is typed first."""
    results = []
    for order in (("2026-03-01", "2026-01-25"), ("2026-01-25", "2026-03-01")):
        slug = f"jb{len(results)}"
        ok(loanwatch(JIEBEI.replace("add jb", f"add {slug}")))
        ok(loanwatch(f"draw add {slug} 10000 --months 6 --on 2026-01-15"))
        for day in order:
            amount = "2000" if day == "2026-03-01" else "1000"
            ok(loanwatch(f"repay add {slug} {amount} --on {day}"))
        rows = [r for r in export_json(loanwatch, "repayments") if r["facility"] == slug]
        results.append(
            sorted((r["paid_on"], r["principal"], r["interest"], r["penalty"]) for r in rows)
        )
    assert results[0] == results[1]
    assert {row[3] for row in results[0]} != {"0.00"}


def test_an_unexplained_fee_is_recorded_raises_a_mismatch_and_accepting_it_clears_the_alert(
    loanwatch: Loanwatch,
) -> None:
    """3,520.50 with --fee 10 on a 3,510.50 bill: recorded, repayment_mismatch says ¥10.00;
    `repay accept` with a reason clears it, audited."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    ok(loanwatch("repay add wl 3520.50 --on 2026-06-08 --fee 10"))

    ok(loanwatch("check"))
    [alert] = [a for a in export_json(loanwatch, "alerts") if a["check"] == "repayment_mismatch"]
    assert alert["state"] == "open"
    assert "¥10.00 more than the ledger can explain" in alert["summary"]

    accepted = ok(loanwatch("repay accept wl 1 --reason 'SMS fee, agreed with WeBank'"))
    assert "accepted ¥10.00 unexplained on repayment #1" in accepted.out
    ok(loanwatch("check"))
    [alert] = [a for a in export_json(loanwatch, "alerts") if a["check"] == "repayment_mismatch"]
    assert alert["state"] == "resolved"
    assert "repayment.accept" in {a["action"] for a in export_json(loanwatch, "audit")}


def test_more_than_the_payoff_is_recorded_not_refused(loanwatch: Loanwatch) -> None:
    """A few fen more than everything owed: the draw is paid off, the fen are unexplained."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    quote = ok(loanwatch("facility payoff wl --on 2026-05-18")).out
    # 10 days' interest on 20,000 at 0.05 %: 100.00.
    assert "¥20,100.00" in quote
    said = ok(loanwatch("repay add wl 20100.05 --on 2026-05-18")).out

    assert "¥0.05 of it is more than loanwatch can explain" in said
    assert outstanding(loanwatch, "wl") == 0


def test_remove_takes_a_repayment_away_and_replays_the_ones_after_it(loanwatch: Loanwatch) -> None:
    """A repayment typed twice is removed with a reason; the ledger is as if it never was."""
    ok(loanwatch(JIEBEI + " --penalty-rate 0"))
    ok(loanwatch("draw add jb 10000 --months 6 --on 2026-01-15"))
    ok(loanwatch("repay add jb 1000 --on 2026-01-25"))
    ok(loanwatch("repay add jb 1000 --on 2026-01-25"))
    ok(loanwatch("repay add jb 2000 --on 2026-03-01"))

    removed = ok(loanwatch("repay remove jb 2 --reason 'typed twice'"))

    assert "removed repayment #2 on jb" in removed.out
    assert outstanding(loanwatch, "jb") == D("7197.97")
    actions = [a["action"] for a in export_json(loanwatch, "audit")]
    assert "repayment.remove" in actions
    assert actions[-1] == "repayment.replay"


@pytest.mark.parametrize(
    ("method", "months", "on", "interest"),
    [
        # 10 days on 20,000 at 0.05 %/day; every method owes interest to the day, no more.
        ("equal-installment", 6, "2026-05-18", "100.00"),
        ("bullet", 12, "2026-05-18", "100.00"),
        ("quarterly-interest", 12, "2026-05-18", "100.00"),
    ],
)
def test_a_payoff_quote_is_principal_interest_to_the_day_and_penalty_for_every_method(
    loanwatch: Loanwatch, method: str, months: int, on: str, interest: str
) -> None:
    """`facility payoff` quotes principal, interest to the day, penalty and the total."""
    ok(loanwatch("facility add bank --platform icbc --limit 1000000 --daily-rate 0.05%"))
    ok(loanwatch(f"draw add bank 20000 --months {months} --on 2026-05-08 --method {method}"))

    quote = ok(loanwatch(f"facility payoff bank --on {on}")).out

    assert "¥20,000.00" in quote
    assert f"¥{interest}" in quote
    total = D("20000.00") + D(interest)
    assert f"¥{total:,.2f}" in quote


def test_a_payoff_quote_after_a_missed_installment_includes_its_penalty(
    loanwatch: Loanwatch,
) -> None:
    """Installment 1 (3,510.50, 3,210.50 principal) unpaid 3 days: penalty 7.22 in the quote."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))

    quote = ok(loanwatch("facility payoff wl --on 2026-06-11")).out

    assert "¥7.22" in quote


def test_accruals_export_month_end_interest_per_facility_in_json_and_csv(
    loanwatch: Loanwatch,
) -> None:
    """Drawn 2026-12-01, 30 days to 12-31 at 0.05 % on 20,000: 300.00 accrued (计提)."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-12-01"))

    [row] = export_json(loanwatch, "accruals --month 2026-12")
    header, [csv_row] = export_csv(loanwatch, "accruals --month 2026-12")

    assert row == {
        "facility": "wl",
        "month_end": "2026-12-31",
        "currency": "CNY",
        "principal": "20000.00",
        "accrued_interest": "300.00",
        "penalty": "0.00",
    }
    assert header == list(row)
    assert csv_row["accrued_interest"] == "300.00"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("export accruals", "accruals are for a month: give --month YYYY-MM"),
        ("export accruals --month 2026-13", "'2026-13' is not a month"),
        ("facility set wl --penalty-rate 9", "is not a lender's rule"),
        ("repay accept wl 1 --reason ok", "nothing unexplained to accept"),
        ("repay remove wl 7 --reason typo", "no repayment #7 on wl"),
    ],
)
def test_bad_requests_say_why_and_change_nothing(
    loanwatch: Loanwatch, command: str, says: str
) -> None:
    """Each refused request exits 2 with one line saying what was wrong."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    ok(loanwatch("repay add wl 3510.50 --on 2026-06-08"))
    before = export_json(loanwatch, "repayments")

    refused = loanwatch(command)

    assert refused.status == 2
    assert says in refused.err
    assert export_json(loanwatch, "repayments") == before


def test_facility_add_takes_the_penalty_rule_from_the_profile_or_the_command_line(
    loanwatch: Loanwatch,
) -> None:
    """Weilidai: 1.5x on principal; Jiebei: 1.5x on principal and interest; set changes it."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch(JIEBEI))
    ok(
        loanwatch(
            "facility add bk --platform icbc --limit 1万 --daily-rate 0.03% --penalty-rate 1.3x"
        )
    )
    facilities = {f["facility"]: f for f in export_json(loanwatch, "facilities")}
    assert (facilities["wl"]["penalty_multiplier"], facilities["wl"]["penalty_on_interest"]) == (
        "1.5",
        False,
    )
    assert facilities["jb"]["penalty_on_interest"] is True
    assert facilities["bk"]["penalty_multiplier"] == "1.3"

    said = ok(loanwatch("facility set wl --penalty-rate 150% --penalty-on-interest")).out
    assert "penalty 1.5x the rate on overdue principal and interest" in said


def test_a_backdated_repayment_says_it_placed_the_later_ones_again(loanwatch: Loanwatch) -> None:
    """2,000 on 03-01 pays the 02-15 installment 14 days late (penalty); 1,000 backdated to
    01-25 is placed first, and its answer says that it placed the 03-01 repayment again and
    what penalty that one carries now."""
    ok(loanwatch(JIEBEI))
    ok(loanwatch("draw add jb 10000 --months 6 --on 2026-01-15"))
    ok(loanwatch("repay add jb 2000 --on 2026-03-01"))

    out = ok(loanwatch("repay add jb 1000 --on 2026-01-25")).out

    [later] = [r for r in export_json(loanwatch, "repayments") if r["paid_on"] == "2026-03-01"]
    assert D(later["penalty"]) > 0
    assert (
        f"dated before 1 later repayment, placed again in date order: #{later['id']} "
        f"(2026-03-01) now carries penalty ¥{later['penalty']}"
    ) in out
    plain = ok(loanwatch("repay add jb 500 --on 2026-03-05")).out
    assert "placed again" not in plain


def test_facility_list_measures_available_against_the_limit_the_platform_cut_to(
    loanwatch: Loanwatch,
) -> None:
    """Jiebei cut the ¥100,000 line to ¥70,000 with ¥60,000 drawn: ¥10,000 is available, as
    the checks and the digest count it, not ¥40,000; cut below what is owed, nothing."""
    ok(loanwatch(JIEBEI))
    ok(loanwatch("draw add jb 60000 --months 6 --on 2026-11-15"))
    ok(loanwatch("limit add jb 70000 --available 10000"))

    listed = ok(loanwatch("facility list")).out
    assert "¥100,000.00 (cut to ¥70,000.00)" in listed
    assert "¥10,000.00" in listed
    assert "¥40,000.00" not in listed

    ok(loanwatch("limit add jb 50000 --available 0"))
    listed = ok(loanwatch("facility list")).out
    assert "(cut to ¥50,000.00)" in listed
    assert "¥40,000.00" not in listed
    assert "¥0.00" in listed
