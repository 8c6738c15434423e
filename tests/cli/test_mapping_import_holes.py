"""`loanwatch import FILE --mapping NAME` against the holes of issue 14's third attack: a
`--where` that kept rows merely containing its text, a sign dropped, a header naming a mapped
column twice (test_mapping_import_batch.py: a CSV as long as the size limit allowed, and
readings recorded one by one)."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.cli.test_ledger_commands import Loanwatch, export_json, ok
from tests.cli.test_mapping_import_faults import IMPORT, loanwatch, repayments, write

__all__ = ["loanwatch"]

ATTACK = "日期,金额,摘要\n2024-02-01,100,不还款\n2024-02-02,100,还款冲正\n2024-02-03,100,还款失败\n"


def test_where_is_the_cell_exactly_and_tilde_is_contains(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = write(tmp_path, "w.csv", ATTACK + "2024-02-04,100,还款\n")
    ok(loanwatch('mapping add exact --kind repayments --columns "paid_on=日期,amount=金额" '
                 '--where "摘要=还款"'))  # fmt: skip
    ok(loanwatch('mapping add near --kind repayments --columns "paid_on=日期,amount=金额" '
                 '--where "摘要~还款"'))  # fmt: skip

    out = ok(loanwatch(IMPORT.format(path, "exact"))).out

    assert "repayments: 1 added" in out
    assert "skipped: 3 (not matching 摘要=还款 3)" in out
    assert repayments(loanwatch) == [("2024-02-04", 100)]
    assert "摘要~还款" in ok(loanwatch("mapping list")).out
    near = ok(loanwatch(IMPORT.format(path, "near"))).out
    assert "repayments: 3 added, 1 already present" in near


@pytest.mark.parametrize("amount", ["-100", "(100)", '"(1,000.00)"'])
def test_a_negative_repayment_is_refused_with_its_row(
    loanwatch: Loanwatch, tmp_path: Path, amount: str
) -> None:
    path = write(
        tmp_path, "n.csv", f"日期,金额,摘要\n2024-02-01,50,还款\n2024-02-02,{amount},还款\n"
    )
    ok(loanwatch('mapping add plain --kind repayments --columns "paid_on=日期,amount=金额"'))

    refused = loanwatch(IMPORT.format(path, "plain"))

    assert refused.status == 2
    shown = amount.strip('"')
    assert f'line 3: 金额 "{shown}" is negative' in refused.err
    assert "amount=-金额" in refused.err
    assert repayments(loanwatch) == []


def test_money_coming_in_is_refused_where_a_repayment_is_negative(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """`rp` maps amount=-金额: a positive amount there is a refund or a reversal."""
    path = write(tmp_path, "p.csv", "日期,金额,摘要\n2024-02-01,-50,还款\n2024-02-02,100,还款\n")

    refused = loanwatch(IMPORT.format(path, "rp"))

    assert refused.status == 2
    assert 'line 3: 金额 "100" is money coming in' in refused.err
    assert repayments(loanwatch) == []


def test_a_full_width_minus_is_the_same_minus(loanwatch: Loanwatch, tmp_path: Path) -> None:
    """`amount=－金额` as a Chinese keyboard types it reads the bank's negative repayments; two
    minuses are refused, saying how to write it."""
    ok(loanwatch('mapping add fw --kind repayments --columns "paid_on=日期,amount=－金额"'))
    path = write(tmp_path, "fw.csv", "日期,金额\n2024-02-01,-50\n")

    imported = ok(loanwatch(IMPORT.format(path, "fw"))).out
    twice = loanwatch('mapping add mm --kind repayments --columns "paid_on=日期,amount=--金额"')

    assert "repayments: 1 added" in imported
    assert twice.status == 2
    assert "write one - before the column's name" in twice.err


def test_a_header_naming_a_mapped_column_twice_is_refused(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "d.csv", "还款日,应还金额,还款日,账单号\n2026/12/10,4498.77,2027/01/10,B1\n"
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["还款日", "应还金额", "账单号", "应还金额"])
    sheet.append(["2026/12/10", 4498.77, "B1", 1])
    xlsx = tmp_path / "d.xlsx"
    book.save(xlsx)

    csv_refused = loanwatch(IMPORT.format(path, "bb"))
    xlsx_refused = loanwatch(IMPORT.format(xlsx, "bb"))

    assert csv_refused.status == xlsx_refused.status == 2
    assert "line 1: the header names 还款日 twice (还款日 is column A and C)" in csv_refused.err
    assert "line 1: the header names 应还金额 twice (应还金额 is column B and D)" in (
        xlsx_refused.err
    )
    assert export_json(loanwatch, "bills") == []


def test_a_duplicated_column_the_mapping_does_not_read_is_fine(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = write(tmp_path, "u.csv", "还款日,应还金额,备注,备注,账单号\n2026/12/10,4498.77,a,b,B1\n")

    out = ok(loanwatch(IMPORT.format(path, "bb"))).out

    assert "bills: 1 added" in out
