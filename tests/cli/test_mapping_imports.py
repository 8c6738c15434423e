"""`loanwatch mapping add/list/remove` and `loanwatch import FILE --mapping NAME` as Alice types
them (issue 14, "Imports of any statement"): real bank exports (tests/fixtures/statements/banks,
copied from ../shared/fixtures), and small files written here, in GB18030 CSV and .xlsx.
"""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.db import make_engine
from bot.models import AuditRecord
from bot.sessions import session_factory
from tests.cli.test_ledger_commands import Loanwatch, export_json, loanwatch_on, ok

BANKS = Path(__file__).parents[1] / "fixtures" / "statements" / "banks"
BILLS = '--kind bills --columns "due_date=还款日,amount=应还金额,reference=账单号"'


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock) -> Loanwatch:
    """`loanwatch` on a migrated database holding Alice's 借呗 line."""
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add jiebei-main --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    return run


def actions(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        found = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    engine.dispose()
    return found


def test_a_mapping_is_saved_listed_and_removed_with_an_audit_trail(
    loanwatch: Loanwatch, database_url: str
) -> None:
    said = ok(loanwatch(f"mapping add cmb-bills {BILLS} --date-format %Y/%m/%d --encoding GBK"))
    assert "mapping cmb-bills saved: bills from due_date=还款日,amount=应还金额" in said.out
    listed = ok(loanwatch("mapping list")).out
    assert "cmb-bills" in listed
    assert "%Y/%m/%d" in listed
    assert "gb18030" in listed
    again = loanwatch(f"mapping add cmb-bills {BILLS}")
    assert again.status == 2
    assert "exists already" in again.err
    assert "mapping cmb-bills removed" in ok(loanwatch("mapping remove cmb-bills")).out
    assert "no mappings" in ok(loanwatch("mapping list")).out
    assert loanwatch("mapping remove cmb-bills").status == 2
    audited = actions(database_url)
    assert audited.count("statement_mapping.add") == 1
    assert audited.count("statement_mapping.remove") == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            '--kind bills --columns "due_date=还款日,amount=应还金额,payed=已还"',
            "unknown field payed for bills; bills fields are due_date, amount, paid",
        ),
        ('--kind repayments --columns "amount=交易金额"', "--columns has no paid_on"),
        ('--kind limits --columns "limit=额度"', "--columns has no observed_at"),
        ('--kind bills --columns "due_date 还款日"', "is not NAME=COLUMN"),
        (f"{BILLS} --date-format %Y/%Q/%d", 'date format "%Y/%Q/%d" is not a strftime format'),
        (f"{BILLS} --date-format %Y-%m", "does not give a whole date"),
        (f"{BILLS} --date-format yyyy-mm-dd", "has no % directive"),
        (f"{BILLS} --encoding latin-1", 'unknown encoding "latin-1"; encodings are gb18030, utf-8'),
        (f"{BILLS} --skip-rows -1", "--skip-rows -1 is not in the range"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_with_why(
    loanwatch: Loanwatch, database_url: str, options: str, message: str
) -> None:
    refused = loanwatch(f"mapping add bad {options}")
    assert refused.status == 2
    assert message in refused.err
    assert "no mappings" in ok(loanwatch("mapping list")).out
    assert "statement_mapping.add" not in actions(database_url)


def gb18030_bills(tmp_path: Path, rows: list[str]) -> Path:
    """A bank's bill export as Excel saves it on a Chinese Windows: GB18030, a title line."""
    text = "招商银行 账单导出\r\n还款日,应还金额,账单号,备注\r\n" + "".join(
        f"{r}\r\n" for r in rows
    )
    path = tmp_path / "bills.csv"
    path.write_bytes(text.encode("gb18030"))
    return path


def test_a_gb18030_csv_through_a_mapping_imports_once(loanwatch: Loanwatch, tmp_path: Path) -> None:
    """Amounts with ¥, thousands and full-width digits, exact to the fen; the second import of
    the same file records nothing new."""
    ok(loanwatch(f"mapping add cmb-bills {BILLS} --date-format %Y/%m/%d --encoding gb18030"))
    path = gb18030_bills(
        tmp_path,
        ['2026/12/10,"¥1,234.56",B1,第一期', "2027/01/10,１２００．０１,B2,", "2027/02/10,899.7,,"],
    )

    first = ok(loanwatch(f"import {path} --facility jiebei-main --mapping cmb-bills")).out
    second = ok(loanwatch(f"import {path} --facility jiebei-main --mapping cmb-bills")).out

    assert "format: mapping cmb-bills" in first
    assert "bills: 3 added, 0 already present" in first
    assert "bills: 0 added, 3 already present" in second
    bills = {b["due_date"]: b["amount"] for b in export_json(loanwatch, "bills")}
    assert bills == {"2026-12-10": "1234.56", "2027-01-10": "1200.01", "2027-02-10": "899.70"}


def test_every_bad_row_is_reported_and_nothing_is_written(
    loanwatch: Loanwatch, tmp_path: Path, database_url: str
) -> None:
    ok(loanwatch(f"mapping add cmb-bills {BILLS} --date-format %Y/%m/%d --encoding gb18030"))
    path = gb18030_bills(
        tmp_path, ["2026/12/10,1234.56,B1,", "2026-13-10,100,B2,", "2027/01/10,abc,B3,"]
    )

    refused = loanwatch(f"import {path} --facility jiebei-main --mapping cmb-bills")

    assert refused.status == 2
    assert "2 row(s) cannot be read, so nothing was imported" in refused.err
    assert 'line 4: 还款日 "2026-13-10" does not match the mapping\'s date format' in refused.err
    assert 'line 5: 应还金额 "abc" is not an amount' in refused.err
    assert export_json(loanwatch, "bills") == []
    assert "import" not in actions(database_url)


def test_a_gb18030_file_read_as_utf8_is_refused_by_line(loanwatch: Loanwatch, tmp_path: Path):
    ok(loanwatch(f"mapping add cmb-bills {BILLS} --date-format %Y/%m/%d"))
    path = gb18030_bills(tmp_path, ["2026/12/10,1234.56,B1,"])
    refused = loanwatch(f"import {path} --facility jiebei-main --mapping cmb-bills")
    assert refused.status == 2
    assert "line 1: the file is not UTF-8 text: it reads as GB18030" in refused.err


def test_an_xlsx_with_date_cells_and_text_dates_imports_once(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """Limit readings from a workbook: a real date cell and a text date in one column, numbers
    as numbers; the second import records nothing new."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["额度查询导出"])
    sheet.append(["查询时间", "授信额度", "可用额度", "状态"])
    # A date cell has no zone: it is the facility's wall time.
    sheet.append([datetime(2026, 11, 30, 10, 4), 300000, 216689.32, "正常"])  # noqa: DTZ001
    sheet.append(["2026/12/01 09:30", "300,000.00", "¥216,689.32", ""])
    path = tmp_path / "limits.xlsx"
    book.save(path)
    ok(
        loanwatch(
            'mapping add bank-limits --kind limits --columns "observed_at=查询时间,limit=授信额度,'
            'available=可用额度,status=状态" --date-format "%Y/%m/%d %H:%M" --skip-rows 1'
        )
    )

    first = ok(loanwatch(f"import {path} --facility jiebei-main --mapping bank-limits")).out
    second = ok(loanwatch(f"import {path} --facility jiebei-main --mapping bank-limits")).out

    assert "limit readings: 2 added, 0 already present" in first
    assert "limit readings: 0 added, 2 already present" in second
    readings = export_json(loanwatch, "limits")
    assert sorted((r["observed_at"][:16], r["available"]) for r in readings) == [
        ("2026-11-30T02:04", "216689.32"),  # 10:04 in Shanghai
        ("2026-12-01T01:30", "216689.32"),
    ]


def draw_before(loanwatch: Loanwatch, day: date) -> None:
    ok(loanwatch(f"draw add jiebei-main 50,000 --months 12 --on {day.isoformat()}"))


def repayments(loanwatch: Loanwatch) -> list[tuple[str, Decimal]]:
    return sorted(
        (r["paid_on"], Decimal(r["amount"])) for r in export_json(loanwatch, "repayments")
    )


def test_the_abc_debit_export_gives_its_loan_repayment_once(loanwatch: Loanwatch) -> None:
    """The Agricultural Bank export: YYYYMMDD dates, signed amounts; only 正常还款 is a
    repayment, the other rows are counted as skipped."""
    draw_before(loanwatch, date(2023, 12, 1))
    ok(
        loanwatch(
            'mapping add abc --kind repayments --columns "paid_on=交易日期,amount=-交易金额,'
            'reference=日 志 号,note=交易摘要" --date-format %Y%m%d --where "交易摘要=正常还款"'
        )
    )
    assert "交易摘要=正常还款" in ok(loanwatch("mapping list")).out
    path = BANKS / "abc-debit.csv"

    first = ok(loanwatch(f"import {path} --facility jiebei-main --mapping abc")).out
    second = ok(loanwatch(f"import {path} --facility jiebei-main --mapping abc")).out

    assert "repayments: 1 added, 0 already present" in first
    assert "skipped: 4 (not matching 交易摘要=正常还款 4)" in first
    assert "repayments: 0 added, 1 already present" in second
    assert repayments(loanwatch) == [("2024-01-03", Decimal("12345.89"))]


def test_the_icbc_export_with_its_preamble_and_padded_cells(loanwatch: Loanwatch) -> None:
    """ICBC: six lines of account information before the header, cells padded with spaces and
    tabs, outgoing money in its own column; no reference column, so the row is its own key."""
    draw_before(loanwatch, date(2023, 3, 1))
    ok(
        loanwatch(
            'mapping add icbc --kind repayments --columns "paid_on=交易日期,'
            'amount=记账金额(支出),note=摘要" --skip-rows 6 --where "摘要~还款"'
        )
    )
    path = BANKS / "icbc-debit.csv"

    first = ok(loanwatch(f"import {path} --facility jiebei-main --mapping icbc")).out
    second = ok(loanwatch(f"import {path} --facility jiebei-main --mapping icbc")).out

    assert "repayments: 1 added, 0 already present" in first
    assert "repayments: 0 added, 1 already present" in second
    assert repayments(loanwatch) == [("2023-04-25", Decimal("1234.56"))]


def test_the_wechat_xlsx_export_gives_its_credit_card_repayment_once(loanwatch: Loanwatch) -> None:
    """A real .xlsx: 17 rows of summary before the header (found by its columns), times as
    text, amounts with ¥, ids ending in a tab."""
    draw_before(loanwatch, date(2017, 9, 1))
    ok(
        loanwatch(
            'mapping add wechat --kind repayments --columns "paid_on=交易时间,amount=金额(元),'
            'reference=交易单号,note=交易对方" --date-format "%Y-%m-%d %H:%M:%S" '
            '--where "交易类型=信用卡还款"'
        )
    )
    path = BANKS / "wechat-records.xlsx"

    first = ok(loanwatch(f"import {path} --facility jiebei-main --mapping wechat")).out
    second = ok(loanwatch(f"import {path} --facility jiebei-main --mapping wechat")).out

    assert "repayments: 1 added, 0 already present" in first
    assert "repayments: 0 added, 1 already present" in second
    [row] = export_json(loanwatch, "repayments")
    assert (row["paid_on"], row["amount"]) == ("2017-10-20", "548.58")
    assert row["reference"] == "4200000069201710299246843141"


def test_an_unknown_mapping_or_a_header_not_found_says_so(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = BANKS / "cmb-debit.csv"
    unknown = loanwatch(f"import {path} --facility jiebei-main --mapping nope")
    assert unknown.status == 2
    assert "no mapping named nope" in unknown.err
    ok(loanwatch(f"mapping add cmb-bills {BILLS}"))
    wrong = loanwatch(f"import {path} --facility jiebei-main --mapping cmb-bills")
    assert wrong.status == 2
    assert "line 1: no header row names 还款日, 应还金额, 账单号" in wrong.err


def test_rows_the_ledger_refuses_are_all_listed_and_nothing_is_written(
    loanwatch: Loanwatch, tmp_path: Path, database_url: str
) -> None:
    """Two repayments dated before the first draw (nothing was owed then) and one good row: both
    refusals are named by their lines, and not even the good row is recorded."""
    draw_before(loanwatch, date(2024, 1, 1))
    path = tmp_path / "repayments.csv"
    path.write_text(
        "日期,金额\n2023-12-01,100.00\n2024-02-01,200.00\n2023-12-15,300.00\n", encoding="utf-8"
    )
    ok(loanwatch('mapping add plain --kind repayments --columns "paid_on=日期,amount=金额"'))

    refused = loanwatch(f"import {path} --facility jiebei-main --mapping plain")

    assert refused.status == 2
    assert "2 row(s) refused by the ledger, so nothing was imported" in refused.err
    assert "line 2: 2023-12-01 is before jiebei-main's first draw" in refused.err
    assert "line 4: 2023-12-15 is before jiebei-main's first draw" in refused.err
    assert repayments(loanwatch) == []
    assert "import" not in actions(database_url)
