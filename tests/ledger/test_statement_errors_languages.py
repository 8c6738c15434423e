"""A statement's, a mapping's and a `--where`'s refusals in the reader's language: each file's
own faults, in Chinese with their data (column names, values, rows, the mapping's name), and
through the catalogs throughout (the pseudo-locale leaves no English unmarked). The English is
pinned by the CLI's tests (tests/cli/test_mapping_import*.py)."""

import io
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot.errors import InputError
from bot.i18n import PSEUDO, ZH, use
from bot.ledger import mappings
from bot.ledger.statements import parse_statement
from bot.ledger.statements.mapped import MappingSpec, parse_mapped
from bot.ledger.statements.rows import refuse_conflicting_bills
from bot.ledger.statements.where import parse_where
from tests.support.pseudo import unmarked

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The Agricultural Bank of China's export (tests/fixtures/statements/README.md).
ABC = (
    Path(__file__).parents[1] / "fixtures" / "statements" / "banks" / "abc-debit.csv"
).read_bytes()
BILLS = MappingSpec("bb", "bills", {"due_date": "还款日", "amount": "应还金额"})
# Data, not English: field names, kinds, option names and codes a person types back.
DATA = {"due_date", "amount", "paid_on", "note", "reference", "paid", "observed_at", "payed"}
DATA |= {"bills", "repayments", "limits", "loans", "columns", "where", "skip", "rows", "red"}
DATA |= {"encoding", "gb18030", "utf", "mapping", "add", "remove", "abc", "bb", "yyyy"}
DATA |= {"TRUE", "FALSE", "Y", "m", "d", "H", "M", "S", "Q", "latin"}


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)  # type: ignore[union-attr]
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def refused(do: Callable[[], object], language: str = ZH) -> str:
    with use(language), pytest.raises(InputError) as error:
        do()
    return str(error.value)


# One fault of each file, what a Chinese reader gets (a few words and the data), and the words
# Python's own text adds that are no English of ours.
FAULTS: dict[str, tuple[Callable[[], object], list[str], set[str]]] = {
    "where.py": (lambda: parse_where("摘要"), ["--where “摘要”不是", "请写成"], set()),
    "header.py": (
        lambda: parse_mapped(
            "还款日,应还金额,还款日\n2026-12-10,900,x\n".encode(), BILLS, tz=SHANGHAI
        ),
        [
            "第 1 行：",
            "表头中的 还款日 出现了不止一次（还款日 位于 A和C 列）",
            "请重命名或删除多余的列",
        ],
        set(),
    ),
    "tables.py": (
        lambda: parse_statement(b"due_date,amount\n2026-12-10,900,red\n", "bills", tz=SHANGHAI),
        ["第 2 行：第 3 列的“red”没有对应的表头"],
        set(),
    ),
    "mapped.py date format (the ABC export)": (
        lambda: parse_mapped(
            ABC,
            MappingSpec(
                "abc",
                "repayments",
                {"paid_on": "交易日期", "amount": "交易金额"},
                date_format="%Y/%m/%d",
                outgoing=True,
            ),
            tz=SHANGHAI,
        ),
        [
            "有 5 行无法读取",
            "第 2 行：交易日期“20240101”与映射的日期格式 %Y/%m/%d 不符（例如 2026/12/10）",
        ],
        set(),
    ),
    "mapped.py encoding": (
        lambda: parse_mapped(
            "日期,金额\n2024-02-01,100.00\n".encode(),
            MappingSpec(
                "gbr", "repayments", {"paid_on": "日期", "amount": "金额"}, encoding="gb18030"
            ),
            tz=SHANGHAI,
        ),
        [
            "没有包含 日期，金额 的表头行（映射 gbr）",
            "该文件不是 GB18030 编码：它可以按 UTF-8 读取",
        ],
        {"gbr"},
    ),
    "mapped.py TRUE/FALSE": (
        lambda: parse_mapped(
            workbook(["还款日", "应还金额"], ["2026-12-10", True]), BILLS, tz=SHANGHAI
        ),
        ["第 2 行：应还金额 是 TRUE/FALSE 单元格（TRUE），不是金额"],
        set(),
    ),
    "mapped.py number": (
        lambda: parse_mapped(workbook(["还款日", "应还金额"], [99999999, 900]), BILLS, tz=SHANGHAI),
        ["第 2 行：还款日“99999999”是数字，不是日期"],
        set(),
    ),
    "rows.py": (
        lambda: refuse_conflicting_bills(
            parse_statement(
                b"due_date,amount,reference\n2026-12-10,900,B1\n2026-12-10,950,\n",
                "bills",
                tz=SHANGHAI,
            ).bills
        ),
        [
            "未导入任何数据",
            "第 2 行和第 3 行给出的到期日为 2026年12月10日（周四） 的账单（B1）金额不同",
        ],
        set(),
    ),
    "workbook.py": (
        lambda: parse_mapped(workbook(["还款日", *[None] * 199, "x"]), BILLS, tz=SHANGHAI),
        ["该工作簿含有第 200 列之后的非空单元格（第 1 行）", "最多读取 100,000 行 × 200 列"],
        set(),
    ),
    "text.py": (
        lambda: parse_statement(b"due_date,amount\n\x80\xff,900\n", "bills", tz=SHANGHAI),
        ["第 2 行：", "不是有效的 UTF-8 或 GB18030 文本"],
        {"b", "x80"},
    ),
    "mappings.py columns": (
        lambda: mappings.check_columns("repayments", {"note": "摘要"}),
        ["--columns 缺少 paid_on 或 amount；repayments 须包含 paid_on，amount"],
        set(),
    ),
    "mappings.py two fields": (
        lambda: mappings.check_columns("bills", {"due_date": "还款日", "amount": "还款日"}),
        ["--columns 把列 还款日 同时给了 due_date和amount"],
        set(),
    ),
    "mappings.py date format": (
        lambda: mappings.check_date_format("yyyy"),
        ["日期格式“yyyy”不含 % 格式代码", "%Y/%m/%d，%Y%m%d 或 %Y-%m-%d %H:%M:%S"],
        set(),
    ),
    "mappings.py encoding": (
        lambda: mappings.check_encoding("latin-1"),
        ["未知编码“latin-1”；可用编码：gb18030，utf-8"],
        set(),
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_each_files_fault_is_chinese_with_its_data(name: str) -> None:
    do, chinese, _words = FAULTS[name]
    said = refused(do)
    for words in chinese:
        assert words in said
    # No English sentence left: the only Latin letters are the data's.
    for english in (" the ", " is ", " or ", " and "):
        assert english not in said


@pytest.mark.parametrize("name", FAULTS)
def test_each_files_fault_goes_through_the_catalogs(name: str) -> None:
    do, _chinese, words = FAULTS[name]
    assert unmarked([refused(do, PSEUDO)], allowed=DATA | words) == []


def test_the_english_is_as_before() -> None:
    """The message ids are the English the CLI's tests pin, joined with English separators."""
    assert refused(FAULTS["mappings.py columns"][0], "en") == (
        "--columns has no paid_on or amount; repayments need paid_on, amount"
    )
    assert refused(FAULTS["header.py"][0], "en") == (
        "line 1: the header names 还款日 twice (还款日 is column A and C); the mapping reads "
        "that column, so which one to read is a guess. Rename or delete the extra column and "
        "import the file again"
    )
    assert refused(FAULTS["rows.py"][0], "en").endswith(
        "lines 2 and 3 give the bill due 2026-12-10 (B1) two amounts, ¥900.00 and ¥950.00"
    )
