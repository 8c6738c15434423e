"""An `.xlsx` statement's first sheet as rows of cells, for the mapped import (`mapped.py`).

A cell keeps what it is, so the field it is mapped to can read it as that: a date cell stays a
date; a number stays a number (its shortest decimal text, and its value, so a number in a date
column is read as the Excel serial date it is: 46398 is 2027-01-11); a TRUE/FALSE cell stays a
flag (a `paid` column may hold one, an amount may not); a formula the file saved without its
value (a workbook written by a program, never opened in Excel) is kept as its formula, so
reading it says so instead of taking it as an empty cell.
"""

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from bot.ledger.statements.rows import StatementError

# Excel's serial days for 0001-01-01 … 9999-12-31; a number outside is no date at all.
_FIRST_SERIAL, _LAST_SERIAL = 1, 2958465


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
    """(sheet row number, cells) for every row of the first sheet."""
    from openpyxl import load_workbook

    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # Read again for formulas only when a sheet has any: reading is the import's cost.
        formulas = (
            load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if _has_formulas(data)
            else None
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise StatementError(
            f"this is not an .xlsx workbook openpyxl can read ({error}); save it again from "
            "the spreadsheet program, or export CSV"
        ) from error
    try:
        epoch = values.epoch
        # The same sheet read twice: its saved values, and its formulas where it has any.
        pairs = zip_longest(
            values.worksheets[0].iter_rows(values_only=True),
            formulas.worksheets[0].iter_rows(values_only=True) if formulas else (),
            fillvalue=(),
        )
        return [
            (number, [_cell(value, formula, epoch) for value, formula in zip_longest(row, also)])
            for number, (row, also) in enumerate(pairs, start=1)
        ]
    finally:
        values.close()
        if formulas is not None:
            formulas.close()


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
