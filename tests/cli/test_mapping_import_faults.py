"""`loanwatch import FILE --mapping NAME` on the files an attacker brought (issue 14's attack,
findings 3, 4, 6, 7, 28, 29 and 30): what was read silently wrong is refused with why, or read
as what it is.
"""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import update

from bot.db import make_engine
from bot.models import Repayment
from tests.cli.test_ledger_commands import Loanwatch, export_json, loanwatch_on, ok
from tests.cli.test_mapping_imports import BILLS, repayments
from tests.support.clock import Clock

IMPORT = "import {} --facility jiebei-main --mapping {}"


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock) -> Loanwatch:
    """`loanwatch` with Alice's 借呗 line, a bills mapping `bb` and a repayments mapping `rp`
    (no reference column), and a draw so repayments have something to pay."""
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add jiebei-main --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    ok(run(f"mapping add bb {BILLS} --date-format %Y/%m/%d"))
    # The export writes money leaving the account as negative, as a debit account's does.
    ok(run('mapping add rp --kind repayments --columns "paid_on=日期,amount=-金额,note=摘要"'))
    ok(run("draw add jiebei-main 50,000 --months 12 --on 2024-01-01"))
    return run


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def current_bills(loanwatch: Loanwatch) -> dict[tuple[str, str | None], str]:
    return {
        (b["due_date"], b["reference"] or None): b["amount"]
        for b in export_json(loanwatch, "bills")
        if not b["superseded_at"]
    }


def test_an_unquoted_thousands_separator_refuses_the_row_instead_of_splitting_it(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """`¥1,234.50` unquoted is two cells: the row has more cells than the header, and was read
    as a ¥1.00 bill with reference 234.50. Trailing empty cells are fine."""
    path = write(
        tmp_path,
        "y.csv",
        '还款日,应还金额,账单号\n2026/12/13,¥1,234.50,B4\n2026/12/14,"2,000.00",B5,,\n',
    )

    refused = loanwatch(IMPORT.format(path, "bb"))

    assert refused.status == 2
    assert "1 row(s) cannot be read, so nothing was imported" in refused.err
    assert "line 2: the row has 4 cells for the header's 3 columns" in refused.err
    assert "an amount with a thousands separator must be quoted" in refused.err
    assert export_json(loanwatch, "bills") == []


def test_a_row_too_short_to_reach_a_mapped_column_is_refused(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """A row that stops before 账单号 was a bill without a reference, silently."""
    path = write(tmp_path, "short.csv", "还款日,应还金额,账单号\n2026/12/13,100.00\n")

    refused = loanwatch(IMPORT.format(path, "bb"))

    assert refused.status == 2
    assert "line 2: the row has 2 cells and stops before 账单号" in refused.err
    assert export_json(loanwatch, "bills") == []


def test_an_older_statement_imported_again_after_a_correction_changes_nothing(
    loanwatch: Loanwatch, tmp_path: Path, terminal_clock: Clock
) -> None:
    """v1 (¥100), v2 (¥200: a correction), v1 again, an hour apart each: the bill stays ¥200
    (docs/ledger.md, Bills: an older observation of an amount the bill has had changes nothing).
    The rows carry no observed_at, so the import's time cannot tell old from new."""
    v1 = write(tmp_path, "v1.csv", "还款日,应还金额,账单号\n2026/12/28,100.00,DUP\n")
    v2 = write(tmp_path, "v2.csv", "还款日,应还金额,账单号\n2026/12/28,200.00,DUP\n")

    ok(loanwatch(IMPORT.format(v1, "bb")))
    terminal_clock.advance(hours=1)
    corrected = ok(loanwatch(IMPORT.format(v2, "bb"))).out
    terminal_clock.advance(hours=1)
    again = ok(loanwatch(IMPORT.format(v1, "bb"))).out

    assert "bills: 0 added, 1 corrected, 0 already present" in corrected
    assert "bills: 0 added, 1 already present" in again
    assert current_bills(loanwatch) == {("2026-12-28", "DUP"): "200.00"}
    assert len(export_json(loanwatch, "bills")) == 2  # v1's amount kept as history, once


def test_two_amounts_for_one_bill_in_one_file_refuse_the_file_naming_both_lines(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "two.csv",
        "还款日,应还金额,账单号\n2026/12/29,100.00,TWO\n2026/12/30,50.00,\n2026/12/29,200.00,TWO\n",
    )

    refused = loanwatch(IMPORT.format(path, "bb"))

    assert refused.status == 2
    assert "lines 2 and 4 give the bill due 2026-12-29 (TWO) two amounts" in refused.err
    assert "¥100.00 and ¥200.00" in refused.err
    assert export_json(loanwatch, "bills") == []


def test_a_gb18030_file_read_as_utf8_says_so_and_how_to_fix_the_mapping(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    path = tmp_path / "gb.csv"
    path.write_bytes("还款日,应还金额,账单号\n2026/12/10,4498.77,B1\n".encode("gb18030"))

    refused = loanwatch(IMPORT.format(path, "bb"))

    assert refused.status == 2
    assert "line 1: the file is not UTF-8 text: it reads as GB18030" in refused.err
    assert "--encoding gb18030" in refused.err
    assert "damaged" not in refused.err


def test_a_repayment_without_reference_is_known_again_under_a_mapping_saved_again(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """Re-creating a mapping (the only way to change one) under a new name, with a column
    more, imported the same repayments again."""
    path = write(tmp_path, "r.csv", "日期,金额,摘要,余额\n2024-02-01,-100.00,还款,900.00\n")
    ok(loanwatch(IMPORT.format(path, "rp")))
    ok(loanwatch("mapping remove rp"))
    ok(
        loanwatch(
            'mapping add rp-fixed --kind repayments --columns "paid_on=日期,amount=-金额,'
            'note=摘要" --where "摘要=还款"'
        )
    )

    again = ok(loanwatch(IMPORT.format(path, "rp-fixed"))).out

    assert "repayments: 0 added, 1 already present" in again
    assert repayments(loanwatch) == [("2024-02-01", Decimal("100.00"))]


def test_the_same_repayments_as_csv_and_as_xlsx_are_recorded_once(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """The same two payments (one of them twice, the same day: two payments), exported as CSV
    and as .xlsx, where the date is a date cell and the amount a number."""
    csv_path = write(
        tmp_path,
        "r.csv",
        "日期,金额,摘要\n2024-02-01,-100.00,还款\n2024-02-01,-100.00,还款\n"
        "2024-03-01,-1234.50, 还款\n",
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "金额", "摘要"])
    sheet.append([datetime(2024, 2, 1), -100, "还款"])  # noqa: DTZ001
    sheet.append([datetime(2024, 2, 1), -100, "还款"])  # noqa: DTZ001
    sheet.append([datetime(2024, 3, 1), -1234.5, "还款"])  # noqa: DTZ001
    xlsx_path = tmp_path / "r.xlsx"
    book.save(xlsx_path)

    first = ok(loanwatch(IMPORT.format(csv_path, "rp"))).out
    second = ok(loanwatch(IMPORT.format(xlsx_path, "rp"))).out

    assert "repayments: 3 added, 0 already present" in first
    assert "repayments: 0 added, 3 already present" in second
    assert [day for day, _ in repayments(loanwatch)] == ["2024-02-01", "2024-02-01", "2024-03-01"]


def test_a_repayment_in_accounting_brackets_is_the_same_as_with_a_minus_sign(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """(1,234.50) is how accounting writes -1,234.50: in an export mapped as writing money
    leaving negative (amount=-金额), both are a repayment of ¥1,234.50. A bill in brackets is
    refused as negative, like -1,234.50."""
    path = write(
        tmp_path,
        "p.csv",
        '日期,金额,摘要\n2024-04-03,"(1,234.50)",还款\n2024-04-04,"-1,234.50",另一笔\n',
    )
    bills = write(tmp_path, "b.csv", '还款日,应还金额,账单号\n2026/12/10,"(1,234.50)",B1\n')

    ok(loanwatch(IMPORT.format(path, "rp")))
    refused = loanwatch(IMPORT.format(bills, "bb"))

    assert repayments(loanwatch) == [
        ("2024-04-03", Decimal("1234.50")),
        ("2024-04-04", Decimal("1234.50")),
    ]
    assert refused.status == 2
    assert 'line 2: 应还金额 "(1,234.50)" is negative' in refused.err


def hostile_workbook(tmp_path: Path) -> Path:
    """A bill list from a program, never opened in Excel: a serial-number date, a formula
    without its value, a TRUE amount."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["还款日", "应还金额", "账单号"])
    sheet.append([46398, 100, "X3"])  # 2027-01-11 as Excel counts days
    sheet.append(["2027/01/13", "=B2*2", "X4"])
    sheet.append(["2027/01/15", True, "X6"])
    path = tmp_path / "bills.xlsx"
    book.save(path)
    return path


def test_an_xlsx_formula_without_value_and_a_true_cell_are_refused_with_why(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    refused = loanwatch(IMPORT.format(hostile_workbook(tmp_path), "bb"))

    assert refused.status == 2
    assert "2 row(s) cannot be read, so nothing was imported" in refused.err
    assert "line 3: 应还金额 is a formula without a saved value (=B2*2)" in refused.err
    assert "open the file in Excel and save it" in refused.err
    assert "line 4: 应还金额 is a TRUE/FALSE cell (TRUE), not an amount" in refused.err
    assert export_json(loanwatch, "bills") == []


def test_a_number_in_a_date_column_of_an_xlsx_is_the_excel_serial_date(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["还款日", "应还金额", "账单号"])
    sheet.append([46398, 100, "X3"])
    sheet.append([20270112, 200, "X4"])  # a number that is the mapping's %Y%m%d text
    path = tmp_path / "bills.xlsx"
    book.save(path)
    ok(loanwatch(f"mapping add ymd {BILLS} --date-format %Y%m%d"))

    ok(loanwatch(IMPORT.format(path, "ymd")))

    assert current_bills(loanwatch) == {
        (date(2027, 1, 11).isoformat(), "X3"): "100.00",
        (date(2027, 1, 12).isoformat(), "X4"): "200.00",
    }


def test_a_header_only_file_prints_its_counts(loanwatch: Loanwatch, tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", "还款日,应还金额,账单号\n")

    said = ok(loanwatch(IMPORT.format(path, "bb"))).out

    assert "bills: 0 added, 0 already present" in said


def test_one_column_for_two_fields_is_refused_when_the_mapping_is_saved(
    loanwatch: Loanwatch,
) -> None:
    refused = loanwatch('mapping add same --kind bills --columns "due_date=还款日,amount=还款日"')

    assert refused.status == 2
    assert "--columns gives the column 还款日 to due_date and amount" in refused.err
    assert "same" not in ok(loanwatch("mapping list")).out


def test_a_bills_csv_without_mapping_giving_one_bill_two_amounts_is_refused_too(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """The rule is the import's, whatever reads the file: a row without a reference on a date
    that has another would correct that date's bill; a leading + is no sign."""
    path = write(
        tmp_path, "bills.csv", "due_date,amount,reference\n2026-12-10,+100.00,\n2026-12-10,90,B1\n"
    )

    refused = loanwatch(f"import {path} --facility jiebei-main --format bills")

    assert refused.status == 2
    assert "lines 2 and 3 give the bill due 2026-12-10 (B1) two amounts" in refused.err
    assert export_json(loanwatch, "bills") == []
    path.write_text("due_date,amount,reference\n2026-12-10,+100.00,\n", encoding="utf-8")
    ok(loanwatch(f"import {path} --facility jiebei-main --format bills"))
    assert current_bills(loanwatch) == {("2026-12-10", None): "100.00"}


def test_a_repayment_imported_under_the_old_key_is_still_known(
    loanwatch: Loanwatch, tmp_path: Path, database_url: str
) -> None:
    """Before, a reference-less repayment was keyed by the mapping's name and the row's cells;
    one recorded so is not imported again under the new key."""
    path = write(tmp_path, "r.csv", "日期,金额,摘要\n2024-02-01,-100.00,还款\n")
    ok(loanwatch(IMPORT.format(path, "rp")))
    cells = "\x1f".join(["2024-02-01", "-100.00", "还款"])
    old_key = f"rp:{hashlib.sha256(cells.encode()).hexdigest()[:24]}:1"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Repayment).values(external_ref=old_key))
    engine.dispose()

    again = ok(loanwatch(IMPORT.format(path, "rp"))).out

    assert "repayments: 0 added, 1 already present" in again


def test_an_older_statement_showing_a_paid_bill_unpaid_does_not_unmark_it(
    loanwatch: Loanwatch, tmp_path: Path, terminal_clock: Clock
) -> None:
    """The statement of 12-01 (unpaid), then the one of 12-10 (paid), then 12-01's again: the
    bill stays paid."""
    ok(
        loanwatch(
            'mapping add bp --kind bills --columns "due_date=还款日,amount=应还金额,paid=已还"'
        )
    )
    unpaid = write(tmp_path, "u.csv", "还款日,应还金额,已还\n2026-12-08,100.00,否\n")
    paid = write(tmp_path, "p.csv", "还款日,应还金额,已还\n2026-12-08,100.00,是\n")

    ok(loanwatch(IMPORT.format(unpaid, "bp")))
    terminal_clock.advance(hours=1)
    ok(loanwatch(IMPORT.format(paid, "bp")))
    terminal_clock.advance(hours=1)
    again = ok(loanwatch(IMPORT.format(unpaid, "bp"))).out

    assert "bills: 0 added, 1 already present" in again
    [bill] = export_json(loanwatch, "bills")
    assert bill["paid"] is True


def test_a_utf8_file_read_through_a_gb18030_mapping_says_which_encoding_it_is(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    ok(loanwatch(f"mapping add gb {BILLS} --date-format %Y/%m/%d --encoding gb18030"))
    path = write(tmp_path, "u.csv", "还款日,应还金额,账单号\n2026/12/10,4498.77,B1\n")

    refused = loanwatch(IMPORT.format(path, "gb"))

    assert refused.status == 2
    assert "line 1: the file is not GB18030 text: it reads as UTF-8" in refused.err
    assert "--encoding utf-8" in refused.err
    # Text GB18030 reads too, as the wrong characters: the header is not found, and why.
    ok(
        loanwatch(
            'mapping add gbr --kind repayments --columns "paid_on=日期,amount=金额" '
            "--encoding gb18030"
        )
    )
    path.write_text("日期,金额,摘要\n2024-02-01,100.00,还款\n", encoding="utf-8")
    garbled = loanwatch(IMPORT.format(path, "gbr"))
    assert garbled.status == 2
    assert "no header row names 日期, 金额" in garbled.err
    assert "The file is not GB18030: it reads as UTF-8" in garbled.err
