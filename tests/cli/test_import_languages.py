"""`loanwatch mapping …` and `loanwatch import … --mapping` refused in LOANWATCH_LANGUAGE, on a
real bank export (tests/fixtures/statements/banks, copied from ../shared/fixtures); and a short
command's warning that a year's holidays are unknown, said on stderr in that language.

Alice types at the terminal with LOANWATCH_LANGUAGE=zh-CN.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.calendar import forget_warned_years
from bot.i18n import ZH
from tests.cli.test_ledger_commands import Loanwatch, loanwatch_on, ok
from tests.cli.test_mapping_imports import BANKS
from tests.support.calendar_years import LAST_KNOWN, UNKNOWN

ABC = BANKS / "abc-debit.csv"
COLUMNS = '--columns "paid_on=交易日期,amount=-交易金额,note=交易摘要"'
# A line whose due dates on a holiday move to the next business day: each asks the calendar.
FOLLOWING = "facility add jb --platform jiebei --limit 100,000 --holiday-rule following"


@pytest.fixture
def loanwatch(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    terminal_clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Loanwatch:
    """`loanwatch` in Chinese, on a database holding Alice's 借呗 line with a draw to repay."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add jiebei-main --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    ok(run("draw add jiebei-main 50,000 --months 12 --on 2024-01-01"))
    return run


def test_a_bad_mapping_and_a_file_it_cannot_read_are_refused_in_chinese(
    loanwatch: Loanwatch,
) -> None:
    """Each refusal on the `loanwatch: error:` line in Chinese, with the names and values."""
    encoding = loanwatch(f"mapping add abc --kind repayments {COLUMNS} --encoding latin-1")
    assert encoding.status == 2
    assert encoding.err.strip() == ("loanwatch：错误：未知编码“latin-1”；可用编码：gb18030，utf-8")
    named = loanwatch(f"mapping add ABC_1 --kind repayments {COLUMNS}")
    assert named.err.strip().startswith("loanwatch：错误：映射'ABC_1'不是有效代号")
    missing = loanwatch('mapping add abc --kind repayments --columns "note=交易摘要"')
    assert "--columns 缺少 paid_on 或 amount；repayments 须包含 paid_on，amount" in missing.err

    # The ABC export writes its dates as 20240101, not as the mapping says.
    ok(loanwatch(f"mapping add abc --kind repayments {COLUMNS} --date-format %Y/%m/%d"))
    wrong = loanwatch(f"import {ABC} --facility jiebei-main --mapping abc")
    assert wrong.status == 2
    assert "有 5 行无法读取，本次未导入任何数据" in wrong.err
    assert "第 4 行：交易日期“20240103”与映射的日期格式 %Y/%m/%d 不符（例如 2026/12/10）" in (
        wrong.err
    )
    assert "does not match" not in wrong.err

    unknown = loanwatch(f"import {ABC} --facility jiebei-main --mapping nope")
    assert unknown.err.strip() == "loanwatch：错误：没有名为 nope 的映射（现有映射：abc）"
    twice = loanwatch(f"mapping add abc --kind repayments {COLUMNS}")
    assert "映射 abc 已存在；如需修改，请先删除它" in twice.err


@contextmanager
def without_logging() -> Iterator[None]:
    """As a short command runs in its own process: no log handler anywhere (pytest has one)."""
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = kept


def test_a_short_command_says_the_unknown_holidays_on_stderr_in_chinese(
    loanwatch: Loanwatch,
) -> None:
    """A 12-month draw on a line whose due dates follow holidays is due in a year without
    holiday data: stderr says so once, in Chinese, in the words `/loan status` uses; not the
    log's English."""
    ok(loanwatch(FOLLOWING))
    forget_warned_years()
    with without_logging():
        drawn = ok(loanwatch(f"draw add jb 10,000 --months 12 --on {LAST_KNOWN}-12-01"))
    assert drawn.err.count(f"警告：loanwatch 尚未录入{UNKNOWN}年的法定节假日") == 1
    assert "LOANWATCH_HOLIDAYS_FILE" in drawn.err
    assert "no official holiday data" not in drawn.err


def test_where_logging_is_configured_the_warning_stays_a_log_line(
    loanwatch: Loanwatch, caplog: pytest.LogCaptureFixture
) -> None:
    ok(loanwatch(FOLLOWING))
    forget_warned_years()
    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        drawn = ok(loanwatch(f"draw add jb 10,000 --months 12 --on {LAST_KNOWN}-12-01"))
    assert "尚未录入" not in drawn.err
    [logged] = [r.getMessage() for r in caplog.records if r.name == "bot.calendar"]
    assert logged.startswith(f"no official holiday data for {UNKNOWN}")
