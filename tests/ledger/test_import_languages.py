"""An import's summary and a statement's faults in the reader's language (English as before)."""

from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import PSEUDO, ZH, use
from bot.ledger.importer import ImportSummary
from bot.ledger.statements import parse_statement
from bot.ledger.statements.rows import StatementError
from tests.support.pseudo import unmarked

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Data, not English: the mapping's name, the format codes and column names a file must have.
DATA = {"icbc", "alipay", "bills", "limits", "due_date", "amount", "observed_at"}
DATA |= {"limit", "format", "available", "status", "paid", "reference"}


def summary() -> ImportSummary:
    return ImportSummary(
        "mapping icbc",
        added=Counter({"repayments": 1, "bills": 2}),
        already_present=Counter({"bills": 1}),
        updated=Counter({"bills": 1}),
        corrected=Counter({"limit readings": 1}),
        skipped=Counter({"not matching 摘要=主动还款": 5, "信用借还 not for jiebei": 2}),
    )


def test_the_english_summary_is_as_before() -> None:
    assert summary().lines() == [
        "format: mapping icbc",
        "bills: 2 added, 1 updated, 1 already present",
        "limit readings: 0 added, 1 corrected, 0 already present",
        "repayments: 1 added, 0 already present",
        "skipped: 7 (not matching 摘要=主动还款 5, 信用借还 not for jiebei 2)",
    ]


def test_the_summary_in_chinese() -> None:
    with use(ZH):
        lines = summary().lines()
    assert lines == [
        "格式：映射 icbc",
        "账单：新增 2 条，更新 1 条，已有 1 条",
        "额度读数：新增 0 条，更正 1 条，已有 0 条",
        "还款：新增 1 条，已有 0 条",
        "已跳过：7 条（不符合筛选条件 摘要=主动还款 5 条，非 jiebei 的信用借还 2 条）",
    ]


def test_the_summary_goes_through_the_catalogs() -> None:
    with use(PSEUDO):
        lines = summary().lines()
    assert unmarked(lines, allowed=DATA | {"jiebei"}) == []


FAULTS = [
    b"",
    b"foo,bar\n1,2\n",
    b"\xff\xfef\x00o\x00o\x00",
    b"due_date,amount,colour\n2026-12-10,900,red\n",
    b"amount\n900\n",
    b"due_date,amount,paid\n2026-12-10,900,maybe\n",
]


def test_a_fault_in_chinese_names_its_line() -> None:
    with use(ZH), pytest.raises(StatementError) as unknown:
        parse_statement(b"foo,bar\n1,2\n", tz=SHANGHAI)
    assert str(unknown.value).startswith("第 1 行：无法从首行（foo, bar）判断文件格式")
    with use(ZH), pytest.raises(StatementError) as empty:
        parse_statement(b"  \n", tz=SHANGHAI)
    assert str(empty.value) == "文件为空"
    with use(ZH), pytest.raises(StatementError) as paid:
        parse_statement(b"due_date,amount,paid\n2026-12-10,900,maybe\n", "bills", tz=SHANGHAI)
    assert (
        str(paid.value)
        == "第 2 行：paid“maybe”不是“是/否”；请填写 是/否、yes/no、true/false 或 1/0"
    )


def test_an_english_fault_is_as_before() -> None:
    with pytest.raises(StatementError) as unknown:
        parse_statement(b"foo,bar\n1,2\n", tz=SHANGHAI)
    assert str(unknown.value).startswith("line 1: cannot tell the format from the first row")


@pytest.mark.parametrize("data", FAULTS)
def test_the_common_faults_go_through_the_catalogs(data: bytes) -> None:
    fmt = "bills" if data.startswith((b"due_date", b"amount")) else "auto"
    with use(PSEUDO), pytest.raises(StatementError) as fault:
        parse_statement(data, fmt, tz=SHANGHAI)
    assert unmarked([str(fault.value)], allowed=DATA | {"foo", "bar", "colour", "maybe"}) == []


def test_the_slack_report_of_an_import_is_chinese_throughout() -> None:
    """What /loan import's file answers with (bot.slack.import_words.report)."""
    from bot.slack.import_words import report

    with use(ZH):
        chinese = report("工行流水.xlsx", "icbc-term", summary())
    with use(PSEUDO):
        pseudo = report("工行流水.xlsx", "icbc-term", summary())
    assert "• 还款：新增 1 条，已有 0 条" in chinese
    assert "• 格式：映射 icbc" in chinese
    assert unmarked([pseudo], allowed=DATA | {"jiebei", "icbc-term", "xlsx"}) == []
