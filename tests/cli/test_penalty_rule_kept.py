"""A change of the penalty rule applies to repayments recorded after it (issue 11, F1).

Alice's Weilidai line charged 1.5x penalty when she recorded a late payment; she later sets the
penalty rate to 0 and types in a forgotten, earlier payment. The replay that follows keeps the
late payment's penalty as it was recorded; only payments recorded after the change go without.
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
WEILIDAI = (
    "facility add wl --platform weilidai --limit 200000 --daily-rate 0.05% "
    "--method equal-installment --day-count 30"
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def _repayments(loanwatch: Loanwatch) -> dict[str, dict]:
    return {r["paid_on"]: r for r in export_json(loanwatch, "repayments")}


def test_a_backdated_entry_after_a_rule_change_keeps_the_earlier_penalty(
    loanwatch: Loanwatch,
) -> None:
    """The attack's reproduction: 3,517.72 three days late pays 7.22 penalty; after
    `facility set wl --penalty-rate 0` a backdated 10.00 replays, and the 7.22 stays."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    late = ok(loanwatch("repay add wl 3517.72 --on 2026-06-11")).out
    assert "penalty ¥7.22" in late

    ok(loanwatch("facility set wl --penalty-rate 0"))
    ok(loanwatch("repay add wl 10 --on 2026-06-05"))

    replayed = _repayments(loanwatch)["2026-06-11"]
    assert D(replayed["penalty"]) == D("7.22")
    # 290.00 of installment 1's interest (the 10.00 paid the rest) and 10.00 toward the next.
    assert D(replayed["interest"]) == D("300.00")


def test_a_repayment_recorded_after_the_change_follows_the_new_rule(loanwatch: Loanwatch) -> None:
    """With the penalty set to 0, installment 2 paid three days late carries no penalty, and the
    payoff quote after a missed installment uses the current rule (none)."""
    ok(loanwatch(WEILIDAI))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08"))
    ok(loanwatch("repay add wl 3517.72 --on 2026-06-11"))
    ok(loanwatch("facility set wl --penalty-rate 0"))

    ok(loanwatch("repay add wl 3510.50 --on 2026-07-11"))
    quote = ok(loanwatch("facility payoff wl --on 2026-08-11")).out

    placed = _repayments(loanwatch)
    assert D(placed["2026-06-11"]["penalty"]) == D("7.22")
    assert D(placed["2026-07-11"]["penalty"]) == D("0.00")
    assert ["penalty", "¥0.00"] in [line.split() for line in quote.splitlines()]
