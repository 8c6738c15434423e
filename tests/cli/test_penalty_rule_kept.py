"""A change of the penalty rule applies from the day after it is made (issue 11, F1 and F2).

Alice's Weilidai line charged 1.5x penalty when she recorded a late payment; she later sets the
penalty rate to 0 and types in a forgotten, earlier payment. The replay that follows keeps the
late payment's penalty: its overdue days came before the change. A late payment typed after the
change but dated before it pays the penalty of its days too, as it would have typed before.
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


def test_a_repayment_typed_after_the_change_but_dated_before_it_pays_the_old_penalty(
    loanwatch: Loanwatch,
) -> None:
    """Installment 2 paid three days late, typed in after `--penalty-rate 0` (set today), carries
    the penalty of its overdue days, which the old rule governed: the same as on a line whose
    rule never changed. The payoff quote for a day before the change says the same too."""
    placed, quotes = {}, {}
    for slug, change in (("wl", True), ("same", False)):
        ok(loanwatch(WEILIDAI.replace(" wl ", f" {slug} ")))
        ok(loanwatch(f"draw add {slug} 20000 --months 6 --on 2026-05-08"))
        ok(loanwatch(f"repay add {slug} 3517.72 --on 2026-06-11"))
        if change:
            ok(loanwatch(f"facility set {slug} --penalty-rate 0"))
        ok(loanwatch(f"repay add {slug} 3510.50 --on 2026-07-11"))
        quotes[slug] = ok(loanwatch(f"facility payoff {slug} --on 2026-08-11")).out
        placed[slug] = {
            r["paid_on"]: r["penalty"]
            for r in export_json(loanwatch, "repayments")
            if r["facility"] == slug
        }

    assert D(placed["wl"]["2026-07-11"]) > 0
    assert placed["wl"] == placed["same"]
    assert quotes["wl"].replace("wl", "same") == quotes["same"]
