"""`loanwatch facility set FAC … --replan`: the draws already logged are planned again under the
facility's new terms, their repayments placed again, in one transaction, audited, the earlier
installments kept as versions.

Alice set her Jiebei line up on Jiebei's profile (actual days, truncated); its first bill,
1,755.25 on 07-15, is what 30-day months rounded down give. `facility calibrate` says so and
suggests the command; she runs it, and the draw whose bill proved the convention agrees.
"""

import re
from datetime import UTC, datetime

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_json,
    loanwatch_on,
    ok,
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def test_calibrates_suggested_command_replans_the_draw_that_proved_it(
    loanwatch: Loanwatch, terminal_clock
) -> None:
    """calibrate's command carries --replan; after it the 07-15 installment is 1,755.25, the
    earlier amount is kept as a version, the change is audited, and `check` as of the bill's
    month finds no bill_amount_mismatch."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100000 --daily-rate 0.05%"))
    ok(loanwatch("draw add jb 10000 --months 6 --on 2026-06-15"))
    ok(loanwatch("repay add jb 1755.25 --on 2026-07-15"))
    ok(loanwatch("bill add jb 2026-07-15 1755.25 --paid"))
    report = ok(loanwatch("facility calibrate jb")).out
    [command] = re.findall(r"loanwatch (facility set jb [^\n]*)", report)
    assert "--day-count 30" in command
    assert "--rounding down" in command
    assert command.endswith("--replan")

    out = ok(loanwatch(command)).out

    assert "re-planned 1 draw" in out
    installments = export_json(loanwatch, "installments")
    first = [i for i in installments if i["due_date"] == "2026-07-15"]
    assert [i["amount"] for i in first if i["status"] != "superseded"] == ["1755.25"]
    assert "draw.replan" in [r["action"] for r in export_json(loanwatch, "audit")]
    with_versions = export_json(loanwatch, "installments --include-superseded")
    assert len([i for i in with_versions if i["due_date"] == "2026-07-15"]) == 2
    found = loanwatch("check --at 2026-12-01T10:30+08:00").out
    assert "bill_amount_mismatch" not in found


def test_a_replay_before_a_replan_counts_only_the_installments_in_force_then(
    loanwatch: Loanwatch, terminal_clock
) -> None:
    """A check as of 06-13 run after a 06-20 `--replan` says what this bill got of the 06-11
    repayment from the installments in force on 06-13 (what the check run on 06-13 said), not
    the old and the new version of the 06-08 installment added together."""
    terminal_clock.now = datetime(2026, 6, 12, 2, 0, tzinfo=UTC)
    ok(loanwatch("facility add wl --platform weilidai --limit 200000 --daily-rate 0.05%"))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08 --method equal-installment"))
    ok(loanwatch("draw add wl 1000 --months 6 --on 2026-05-10"))
    ok(loanwatch("repay add wl 4000 --on 2026-06-11"))
    ok(loanwatch("bill add wl 2026-06-08 3514.49"))
    terminal_clock.now = datetime(2026, 6, 13, 1, 30, tzinfo=UTC)
    then = loanwatch("check --at 2026-06-13T09:30+08:00").out
    [said] = re.findall(r"a repayment of ¥4,000\.00 on 2026-06-11, ¥[\d,.]+ of it toward", then)

    terminal_clock.now = datetime(2026, 6, 20, 2, 0, tzinfo=UTC)
    ok(loanwatch("facility set wl --day-count 30 --replan"))
    replayed = loanwatch("check --at 2026-06-13T01:00Z").out

    assert said in replayed


def test_a_replan_over_a_draws_own_method_says_the_method_changed(loanwatch: Loanwatch) -> None:
    """A Weilidai draw logged `--method equal-installment` (the line repays equal principal):
    `--replan` plans it by the line's method and says so, draw by draw."""
    ok(loanwatch("facility add wl --platform weilidai --limit 200000 --daily-rate 0.05%"))
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-05-08 --method equal-installment"))

    out = ok(loanwatch("facility set wl --day-count 30 --replan")).out

    assert "draw #1: equal-installment → equal-principal" in out
