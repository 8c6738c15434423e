"""The ledger's refusals at the terminal in LOANWATCH_LANGUAGE: one `loanwatch：错误：` line in
Chinese carrying what was typed, and under the pseudo-locale no English past the catalogs
(tests/ledger/test_ledger_errors_languages.py says each module's directly).

Alice types every command on a fake clock (Tuesday 2026-12-01 10:00 in Shanghai).
"""

import pytest

from bot.i18n import PSEUDO, ZH
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)
from tests.cli.test_repayment_truth import WEILIDAI
from tests.ledger.test_ledger_errors_languages import DATA
from tests.support.clock import Clock
from tests.support.pseudo import unmarked


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


# The CLI's refusals from the ledger: the command, the Chinese words, the data in them.
AT_THE_TERMINAL = [
    ("facility set jb --basis 365", ("用的是日利率", "年利率"), ("jb", "--annual-rate")),
    ("repay remove jb 7 --reason typo", ("没有还款",), ("jb", "#7")),
    ("repay accept jb 1 --reason ok", ("没有无法解释的金额",), ("jb", "#1")),
    ("export accruals", ("计提按月导出",), ("--month", "2026-12")),
    ("export accruals --month 2026-13", ("不是月份",), ("'2026-13'",)),
    ("facility set jb --threshold nope=5", ("没有阈值",), ("'nope'",)),
    (
        "facility set jb --threshold utilization",
        ("不符合", "的写法"),
        ("'utilization'", "NAME=VALUE"),
    ),
    ("facility set jb --penalty-rate 9", ("罚息", "倍"), ("9", "1.5")),
    ("facility set jb --owner U0DANA --readings 'daily 10:00 10:30'", ("不止一个时刻",), ()),
]


def _a_line_with_a_repayment(loanwatch: Loanwatch) -> None:
    """jb, Weilidai's terms, with a draw and its first installment repaid to the fen (as
    tests/cli/test_repayment_truth.py: nothing unexplained)."""
    ok(loanwatch(WEILIDAI.replace(" wl ", " jb ")))
    ok(loanwatch("draw add jb 20000 --months 6 --on 2026-05-08"))
    ok(loanwatch("repay add jb 3510.50 --on 2026-06-08"))


def test_at_the_terminal_in_chinese(
    loanwatch: Loanwatch, terminal_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LOANWATCH_LANGUAGE=zh-CN each refusal is one Chinese `loanwatch：错误：` line that
    carries what Alice typed, and exits 2."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    _a_line_with_a_repayment(loanwatch)
    for command, chinese, data in AT_THE_TERMINAL:
        refused = loanwatch(command)
        assert refused.status == 2, (command, refused.err)
        assert refused.err.startswith("loanwatch：错误："), refused.err
        assert refused.err.count("\n") == 1, refused.err
        for words in (*chinese, *data):
            assert words in refused.err, (command, refused.err)


def test_at_the_terminal_under_the_pseudo_locale(
    loanwatch: Loanwatch, terminal_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every refusal above is marked: no English reaches the terminal past the catalogs."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", PSEUDO)
    _a_line_with_a_repayment(loanwatch)
    printed: list[str] = []
    for command, _chinese, _data in AT_THE_TERMINAL:
        refused = loanwatch(command)
        assert refused.status == 2, (command, refused.err)
        printed += refused.err.splitlines()
    assert unmarked(printed, allowed=DATA | {"U0DANA"}) == []
