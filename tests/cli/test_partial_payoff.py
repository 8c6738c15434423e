"""A payment smaller than the interest accrued still leaves the whole loan owed (issue 11, F1).

Alice's first payment on a new draw is less than the interest it has accrued so far. The payoff
quote is still the principal outstanding and the interest to the day less what she paid, for
every repayment method, and paying exactly that settles the line.
"""

from decimal import Decimal

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_json,
    loanwatch_on,
    ok,
)

D = Decimal
METHODS = ["equal-installment", "equal-principal", "interest-first", "bullet", "quarterly-interest"]


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def _outstanding(loanwatch: Loanwatch) -> Decimal:
    drawn = sum(D(d["amount"]) for d in export_json(loanwatch, "draws"))
    repaid = sum(D(r["principal"]) for r in export_json(loanwatch, "repayments"))
    return drawn - repaid


@pytest.mark.parametrize("method", METHODS)
def test_a_small_partial_payment_leaves_principal_and_interest_less_it_in_the_quote(
    loanwatch: Loanwatch, method: str
) -> None:
    """20,000 at 0.05 %/day drawn 05-08; 50.00 paid on 05-18 (10 days' interest is 100.00).
    On 05-28 the quote is 20,000 + 20 days' interest (200.00) - 50.00 = 20,150.00."""
    ok(loanwatch("facility add bank --platform icbc --limit 1000000 --daily-rate 0.05%"))
    ok(loanwatch(f"draw add bank 20000 --months 12 --on 2026-05-08 --method {method}"))
    ok(loanwatch("repay add bank 50 --on 2026-05-18"))

    quote = ok(loanwatch("facility payoff bank --on 2026-05-28")).out

    assert "¥20,000.00" in quote
    assert "¥150.00" in quote
    assert "¥20,150.00" in quote
    said = ok(loanwatch("repay add bank 20150.00 --on 2026-05-28")).out
    assert "more than loanwatch can explain" not in said
    assert _outstanding(loanwatch) == D("0.00")
    after = ok(loanwatch("facility payoff bank --on 2026-05-28")).out
    assert "¥0.00" in after
    assert "¥20,000.00" not in after


def test_a_bullet_loan_part_paid_quotes_the_loan_and_accrues_its_interest(
    loanwatch: Loanwatch,
) -> None:
    """The attack's reproduction: 100,000 bullet at 3.5 %/365 from 02-07, 500.00 paid 05-20.
    On 09-30 it owes 100,000 + 235 days' interest (2,253.42) - 500.00; accruals say the same."""
    ok(
        loanwatch(
            "facility add bk --platform icbc --limit 10000000 --annual-rate 3.5% --basis 365 "
            "--method bullet --repayment-day 20"
        )
    )
    ok(loanwatch("draw add bk 100000 --months 12 --on 2026-02-07"))
    ok(loanwatch("repay add bk 500 --on 2026-05-20"))

    quote = ok(loanwatch("facility payoff bk --on 2026-09-30")).out
    (accrual,) = export_json(loanwatch, "accruals --month 2026-09")

    assert "¥101,753.42" in quote
    assert D(accrual["principal"]) == D("100000.00")
    assert D(accrual["accrued_interest"]) == D("1753.42")
