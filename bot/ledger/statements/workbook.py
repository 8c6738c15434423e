"""An `.xlsx` statement's first sheet as rows of cells, for the mapped import (`mapped.py`).

A cell keeps what it is, so the field it is mapped to can read it as that: a date cell stays a
date; a number stays a number (its shortest decimal text, and its value, so a number in a date
column is read as the Excel serial date it is: 46398 is 2027-01-11); a TRUE/FALSE cell stays a
flag (a `paid` column may hold one, an amount may not); a formula the file saved without its
value (a workbook written by a program, never opened in Excel) is kept as its formula, so
reading it says so instead of taking it as an empty cell.

A workbook is a zip archive that says how big its sheet is: neither is trusted. Its XML parts
may unpack to at most `MAX_XML_BYTES`, the sheet is read as far as its rows really go (not the
size it declares: a 2 KB file declaring A1:XFD1048576 was padded into millions of empty cells),
and a sheet with a filled cell past `MAX_ROWS` rows or `MAX_COLUMNS` columns is refused.
"""

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from bot.i18n import _
from bot.ledger.statements.rows import StatementError
from bot.ledger.statements.text import MAX_ROWS

# Excel's serial days for 0001-01-01 … 9999-12-31; a number outside is no date at all.
_FIRST_SERIAL, _LAST_SERIAL = 1, 2958465
# No statement comes near these; a file past them is refused before it can fill the memory.
MAX_COLUMNS = 200
MAX_XML_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Number:
    """A number cell: its text as an amount or a reference reads it, and its serial date."""

    text: str
    value: int | float
    epoch: datetime

    def as_datetime(self) -> datetime | None:
        """The moment an Excel serial number stands for, or None when it is no date."""
        # Imported here: openpyxl is only loaded when a workbook is imported.
        from openpyxl.utils.datetime import from_excel

        if not _FIRST_SERIAL <= self.value <= _LAST_SERIAL:
            return None
        moment = from_excel(self.value, epoch=self.epoch)
        return moment if isinstance(moment, datetime) else None


@dataclass(frozen=True)
class Formula:
    """A formula saved without the value it computes (openpyxl cannot compute it)."""

    text: str


Cell = str | date | datetime | bool | Number | Formula


def workbook_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    """(sheet row number, cells) for every row of the first sheet, up to its last filled one."""
    from openpyxl import load_workbook

    try:
        _check_unpacked_size(data)
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # Read again for formulas only when a sheet has any: reading is the import's cost.
        formulas = (
            load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if _has_formulas(data)
            else None
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise StatementError(
            _(
                "this is not an .xlsx workbook openpyxl can read ({error}); save it again from "
                "the spreadsheet program, or export CSV"
            ).format(error=error)
        ) from error
    try:
        epoch = values.epoch
        # The same sheet read twice: its saved values, and its formulas where it has any.
        sheets = [book.worksheets[0] for book in (values, formulas) if book is not None]
        for sheet in sheets:
            sheet.reset_dimensions()  # type: ignore[union-attr]
        pairs = zip_longest(*(sheet.iter_rows(values_only=True) for sheet in sheets), fillvalue=())
        rows: list[tuple[int, list[Cell]]] = []
        for number, (row, *also) in enumerate(pairs, start=1):
            formula_row = also[0] if also else ()
            row, formula_row = _within_columns(row, number), _within_columns(formula_row, number)
            if not row and not formula_row:
                if number <= MAX_ROWS:
                    rows.append((number, []))
                continue  # rows that are not there past the limit are not kept either
            if number > MAX_ROWS:
                raise _too_big(
                    _("a filled row past row {limit} (row {row})").format(
                        limit=f"{MAX_ROWS:,}", row=f"{number:,}"
                    )
                )
            rows.append((number, [_cell(v, f, epoch) for v, f in zip_longest(row, formula_row)]))
        return rows
    finally:
        values.close()
        if formulas is not None:
            formulas.close()


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook whose XML unpacks past the limit, before any of it is read (a zip
    entry is never read past the size it declares, so the declared sizes bound the reading)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = sum(i.file_size for i in archive.infolist() if i.filename.endswith(".xml"))
    if size > MAX_XML_BYTES:
        raise _too_big(
            _("sheets that unpack to {size} MB").format(size=f"{size / 2**20:,.0f}"),
            _("{size} MB of sheets").format(size=MAX_XML_BYTES // 2**20),
        )


def _within_columns(row: tuple[Any, ...], number: int) -> tuple[Any, ...]:
    """The row up to its last filled cell; refused when that is past the column limit."""
    if len(row) > MAX_COLUMNS:
        past = row[MAX_COLUMNS:]
        if past.count(None) != len(past):
            raise _too_big(
                _("a filled cell past column {limit} (row {row})").format(
                    limit=MAX_COLUMNS, row=f"{number:,}"
                )
            )
        row = row[:MAX_COLUMNS]
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def _too_big(what: str, limit: str | None = None) -> StatementError:
    """`what` the workbook has past `limit` (by default the rows and columns read)."""
    if limit is None:
        limit = _("{rows} rows of {columns} columns").format(
            rows=f"{MAX_ROWS:,}", columns=MAX_COLUMNS
        )
    return StatementError(
        _(
            "this workbook has {what}; loanwatch reads at most {limit}. Delete what is not the "
            "statement and save it again, or export the statement as CSV"
        ).format(what=what, limit=limit)
    )


# A formula element, <f>, <f t="shared" …/> or with a namespace prefix (<x:f>).
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CHUNK = 1 << 20


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (read in chunks, never whole)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as sheet:
                tail = b""
                while chunk := sheet.read(_CHUNK):
                    if _FORMULA.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _cell(value: Any, formula: Any, epoch: datetime) -> Cell:
    if value is None:
        return "" if formula is None else Formula(str(formula))
    if isinstance(value, datetime | date | bool):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 1234.5, not 1234.4999…
        return Number(f"{Decimal(repr(value)):f}", value, epoch)
    if isinstance(value, int):
        return Number(str(value), value, epoch)
    return str(value).strip()


def cell_text(cell: Cell) -> str:
    """A cell as text (for the header, `--where`, a blank row): a flag as yes/no, a formula
    without its value as nothing."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, Number):
        return cell.text
    if isinstance(cell, Formula):
        return ""
    return cell.isoformat()
