"""`loanwatch import FILE --mapping NAME` on files built to hurt (issue 14's attack 14b): a
workbook that declares more than it holds, or holds more than a statement ever does, is read
as far as it really goes or refused naming the limit; a CSV's byte-order mark is no part of its
header in any encoding; a UTF-16 file is refused saying what it is.
"""

import zipfile
from pathlib import Path

import pytest

from tests.cli.test_ledger_commands import Loanwatch, export_json, loanwatch_on, ok
from tests.cli.test_mapping_import_faults import IMPORT
from tests.cli.test_mapping_imports import BILLS
from tests.support.clock import Clock


@pytest.fixture
def loanwatch(
    database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock: Clock
) -> Loanwatch:
    """`loanwatch` with Alice's 借呗 line, a bills mapping `bb` (UTF-8) and `gb` (GB18030)."""
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add jiebei-main --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    ok(run(f"mapping add bb {BILLS} --date-format %Y/%m/%d"))
    ok(
        run(
            'mapping add gb --kind bills --columns "due_date=还款日,amount=应还金额" '
            "--encoding gb18030"
        )
    )
    return run


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
    'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
    f'{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.'
    f'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_RELATIONSHIPS}"><sheets><sheet '
    'name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
    'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
    f'{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def hand_made_xlsx(path: Path, dimension: str, rows: dict[int, str], padding: int = 0) -> Path:
    """A workbook written by hand, as an attacker would: its sheet declares `dimension` and
    holds `rows` (row number -> its cells' XML); `padding` spaces of XML whitespace inflate it."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
        f'schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/>'
        + " " * padding
        + "<sheetData>"
        + "".join(f'<row r="{number}">{cells}</row>' for number, cells in rows.items())
        + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


HEADER = _cell("A1", "还款日") + _cell("B1", "应还金额") + _cell("C1", "账单号")


def refused(loanwatch: Loanwatch, path: Path, mapping: str = "bb") -> str:
    outcome = loanwatch(IMPORT.format(path, mapping))
    assert outcome.status == 2, outcome.out
    assert export_json(loanwatch, "bills") == []
    return outcome.err


def test_a_two_kb_workbook_declaring_a_whole_sheet_reads_only_its_real_rows(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """A1:XFD1048576 declared, a header, one bill and an empty last row held: openpyxl padded
    every row up to the last to every declared column (12 s and 385 MB for 2,000 rows; here
    the memory ran out). The rows are read as far as they really go, the empty ones are
    nothing."""
    row = _cell("A2", "2026/12/13") + _cell("B2", "100.00") + _cell("C2", "B1")
    path = hand_made_xlsx(tmp_path / "b.xlsx", "A1:XFD1048576", {1: HEADER, 2: row, 1048576: ""})
    assert path.stat().st_size < 2048

    imported = ok(loanwatch(IMPORT.format(path, "bb"))).out

    assert "bills: 1 added" in imported
    assert [(b["due_date"], b["amount"]) for b in export_json(loanwatch, "bills")] == [
        ("2026-12-13", "100.00")
    ]


def test_a_workbook_with_a_cell_in_the_last_column_of_the_last_row_is_refused(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """The attacker's file (attack/mkbomb.py): one cell at XFD1048576."""
    last = {1: HEADER, 1048576: _cell("XFD1048576", "x")}
    path = hand_made_xlsx(tmp_path / "bomb.xlsx", "A1:XFD1048576", last)

    err = refused(loanwatch, path)

    assert "this workbook has a filled cell past column 200 (row 1,048,576)" in err
    assert "loanwatch reads at most 100,000 rows of 200 columns" in err


def test_a_filled_row_past_the_row_limit_is_refused(loanwatch: Loanwatch, tmp_path: Path) -> None:
    far = _cell("A100001", "2026/12/13") + _cell("B100001", "100.00")
    path = hand_made_xlsx(tmp_path / "far.xlsx", "A1:C100001", {1: HEADER, 100001: far})

    err = refused(loanwatch, path)

    assert "this workbook has a filled row past row 100,000 (row 100,001)" in err
    assert "export the statement as CSV" in err


def test_a_workbook_unpacking_past_50_mb_is_refused_before_it_is_read(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    row = _cell("A2", "2026/12/13") + _cell("B2", "100.00")
    path = hand_made_xlsx(tmp_path / "z.xlsx", "A1:C2", {1: HEADER, 2: row}, padding=51 << 20)
    assert path.stat().st_size < 1 << 20

    err = refused(loanwatch, path)

    assert "this workbook has sheets that unpack to 51 MB" in err
    assert "loanwatch reads at most 50 MB of sheets" in err


def test_a_gb18030_csv_starting_with_a_byte_order_mark_reads_its_header(
    loanwatch: Loanwatch,
    tmp_path: Path,
) -> None:
    """GB18030 writes U+FEFF as 84 31 95 33: it stuck to 还款日, so no header was found."""
    path = tmp_path / "gb-bom.csv"
    path.write_bytes("\ufeff还款日,应还金额\n2026-12-21,100.00\n".encode("gb18030"))
    assert path.read_bytes().startswith(b"\x841\x953")

    imported = ok(loanwatch(IMPORT.format(path, "gb"))).out

    assert "bills: 1 added" in imported
    assert [b["due_date"] for b in export_json(loanwatch, "bills")] == ["2026-12-21"]


@pytest.mark.parametrize("mapping", ["bb", "gb"])
def test_a_utf16_file_is_refused_saying_it_is_excel_unicode_text(
    loanwatch: Loanwatch,
    tmp_path: Path,
    mapping: str,
) -> None:
    """Excel's "Unicode Text" is UTF-16 (with its byte-order mark) and tab-separated: it was
    "the bytes b'\\xff' are not GB18030 text; the file may be damaged"."""
    path = tmp_path / "unicode.txt"
    path.write_bytes("还款日\t应还金额\t账单号\r\n2026/12/13\t100.00\tB1\r\n".encode("utf-16"))

    err = refused(loanwatch, path, mapping)

    assert 'the file is UTF-16 text (what Excel saves as "Unicode Text")' in err
    assert 'save it from Excel again as "CSV UTF-8" or "CSV"' in err
    assert "damaged" not in err


def test_a_gb18030_bills_csv_with_a_byte_order_mark_imports_without_a_mapping(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    """The same mark, without --mapping: the first row was "﻿还款日, 应还金额", no known format."""
    path = tmp_path / "bills.csv"
    path.write_bytes("\ufeff还款日,应还金额\n2026-12-21,100.00\n".encode("gb18030"))

    imported = ok(loanwatch(f"import {path} --facility jiebei-main")).out

    assert "bills: 1 added" in imported
    assert [b["due_date"] for b in export_json(loanwatch, "bills")] == ["2026-12-21"]
