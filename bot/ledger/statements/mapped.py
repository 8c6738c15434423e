"""Any bank's export read through a saved mapping (`loanwatch import FILE --mapping NAME`).

A mapping (`loanwatch mapping add`) names what the rows are (`bills`, `repayments` or `limits`),
which column of the export holds each field, the date format, the encoding of a CSV and how many
rows come before the header. The file is a CSV in the mapping's encoding or an `.xlsx` workbook
(its first sheet, read with openpyxl in read-only mode; a date may be a real date cell or text).
The header is the first row, after the skipped ones, that names every mapped column; other
columns are ignored. Every row is read before anything is recorded, and every bad row is reported
with its row number (the physical line of a CSV, the sheet row of a workbook) and why, so one
pass fixes the file. Amounts go through `bot.money` (`1,234.56`, `¥1,234.56`, full-width digits);
a repayment's amount may carry a minus sign, since a bank writes money leaving the account so.

A repayment's idempotency key is its `reference` column when the mapping names one and the cell
is filled, else one made from the mapping's name and the row's cells (the n-th identical row of
a file gets its own), so importing the same export twice records nothing new.
"""

import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.dates import check_date, check_time
from bot.errors import InputError
from bot.ledger.statements.rows import (
    AlipayCreditRow,
    BillRow,
    LimitRow,
    ParsedStatement,
    StatementError,
    read_amount,
    read_date,
    read_datetime,
    read_paid,
    read_status,
)
from bot.ledger.statements.text import BOM, csv_rows, decode
from bot.typed import fold_width

# Per kind, every field a mapping may name, and whether it must.
FIELDS: dict[str, dict[str, bool]] = {
    "bills": {
        "due_date": True,
        "amount": True,
        "paid": False,
        "observed_at": False,
        "reference": False,
    },
    "repayments": {"paid_on": True, "amount": True, "reference": False, "note": False},
    "limits": {"observed_at": True, "limit": True, "available": False, "status": False},
}
ENCODINGS = {"gb18030": "GB18030", "utf-8": "UTF-8"}
_XLSX = b"PK\x03\x04"
_OLD_XLS = b"\xd0\xcf\x11\xe0"
Cell = str | date | datetime


@dataclass(frozen=True)
class MappingSpec:
    """A saved mapping as the parser needs it."""

    name: str
    kind: str
    columns: Mapping[str, str]  # field -> the export's column header
    date_format: str | None = None
    encoding: str = "utf-8"
    skip_rows: int = 0
    where: Mapping[str, str] | None = None  # column header -> text its cell must contain


def parse_mapped(data: bytes, spec: MappingSpec, *, tz: ZoneInfo) -> ParsedStatement:
    """Read `data` through `spec`; raises StatementError listing every bad row."""
    if not data.removeprefix(BOM).strip():
        raise StatementError("the file is empty")
    rows = _table(data, spec)
    header_line, index = _find_header(rows, spec)
    parsed = ParsedStatement(f"mapping {spec.name}")
    errors: list[StatementError] = []
    keys: Counter[str] = Counter()
    references: dict[str, int] = {}
    for line, cells in rows:
        if line <= header_line or not any(_text(cell) for cell in cells):
            continue
        row = {header: cells[i] if i < len(cells) else "" for header, i in index.items()}
        if spec.where and not all(
            fold_width(needle) in fold_width(_text(row[column]))
            for column, needle in spec.where.items()
        ):
            parsed.skipped["not matching " + _where_text(spec.where)] += 1
            continue
        try:
            _read_row(parsed, spec, line, row, cells, tz, keys, references)
        except StatementError as error:
            errors.append(error)
    if errors:
        listed = "\n".join(f"  {error}" for error in errors)
        raise StatementError(
            f"{len(errors)} row(s) cannot be read, so nothing was imported:\n{listed}"
        )
    return parsed


def _where_text(where: Mapping[str, str]) -> str:
    return ", ".join(f"{column}={text}" for column, text in where.items())


def _table(data: bytes, spec: MappingSpec) -> list[tuple[int, list[Cell]]]:
    """(row number, cells) for every row of the file, CSV or workbook."""
    if data.startswith(_OLD_XLS):
        raise StatementError("this is an old Excel .xls file; save it as .xlsx or CSV")
    if data.startswith(_XLSX):
        return _workbook_rows(data)
    name = ENCODINGS.get(spec.encoding, spec.encoding)
    if spec.encoding == "utf-8" and data.startswith(BOM):
        data = data[len(BOM) :]
    text = decode(data, spec.encoding, name)
    return [(line, list(cells)) for line, cells in csv_rows(text)]


def _workbook_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    # Imported here: openpyxl is only loaded when a workbook is imported.
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise StatementError(
            f"this is not an .xlsx workbook openpyxl can read ({error}); save it again from "
            "the spreadsheet program, or export CSV"
        ) from error
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_cell(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _cell(value: Any) -> Cell:
    """A workbook cell as the parser reads it: dates stay dates, the rest becomes text."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 1234.5, not 1234.4999…
        return f"{Decimal(repr(value)):f}"
    return str(value).strip()


def _text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.isoformat()


def _find_header(
    rows: list[tuple[int, list[Cell]]], spec: MappingSpec
) -> tuple[int, dict[str, int]]:
    """The header row after `skip_rows`: the first naming every column the mapping needs."""
    wanted = list(dict.fromkeys([*spec.columns.values(), *(spec.where or {})]))
    first: tuple[int, list[str]] | None = None
    for line, cells in rows[spec.skip_rows :]:
        names = [fold_width(_text(cell)).strip() for cell in cells]
        if not any(names):
            continue
        if first is None:
            first = (line, names)
        if all(fold_width(column) in names for column in wanted):
            return line, {column: names.index(fold_width(column)) for column in wanted}
    if first is None:
        raise StatementError(f"no rows after the {spec.skip_rows} skipped ones")
    line, names = first
    missing = ", ".join(column for column in wanted if fold_width(column) not in names)
    raise StatementError(
        f"no header row names {missing} (mapping {spec.name}); the first row read as the "
        f"header has {', '.join(name for name in names if name)[:200]}. Check the mapping's "
        "columns and --skip-rows",
        line=line,
    )


def _read_row(
    parsed: ParsedStatement,
    spec: MappingSpec,
    line: int,
    row: dict[str, Cell],
    cells: list[Cell],
    tz: ZoneInfo,
    keys: Counter[str],
    references: dict[str, int],
) -> None:
    """Read one data row into `parsed`, or raise StatementError naming its line."""
    value = _Reader(spec, line, row, tz)
    if spec.kind == "bills":
        parsed.bills.append(
            BillRow(
                line=line,
                due_date=value.day("due_date"),
                amount=value.amount("amount"),
                paid=read_paid(value.text("paid"), value.label("paid"), line),
                observed_at=value.moment("observed_at") if value.text("observed_at") else None,
                reference=value.text("reference") or None,
            )
        )
    elif spec.kind == "limits":
        available = value.text("available")
        parsed.limits.append(
            LimitRow(
                line=line,
                observed_at=value.moment("observed_at"),
                limit=value.amount("limit", zero=True),
                available=value.amount("available", zero=True) if available else None,
                status=read_status(value.text("status"), value.label("status"), line),
            )
        )
    else:
        paid_on = value.day("paid_on")
        amount = value.amount("amount", signed=True)
        reference = value.text("reference")
        if reference:
            if reference in references:
                raise StatementError(
                    f'{value.label("reference")} "{reference}" already appears on row '
                    f"{references[reference]}; the same repayment must not be imported twice",
                    line=line,
                )
            references[reference] = line
            key = reference
        else:
            digest = hashlib.sha256("\x1f".join(map(_text, cells)).encode()).hexdigest()[:24]
            keys[digest] += 1
            key = f"{spec.name}:{digest}:{keys[digest]}"[:128]
        parsed.credit_rows.append(
            AlipayCreditRow(
                line=line,
                occurred_at=datetime.combine(paid_on, time(), tzinfo=tz),
                amount=amount,
                kind="repayment",
                order_no=key,
                description=value.text("note") or f"imported with mapping {spec.name}",
            )
        )


@dataclass(frozen=True)
class _Reader:
    """The mapped fields of one row, read as values; errors name the export's own column."""

    spec: MappingSpec
    line: int
    row: dict[str, Cell]
    tz: ZoneInfo

    def label(self, field: str) -> str:
        return self.spec.columns.get(field, field)

    def cell(self, field: str) -> Cell:
        column = self.spec.columns.get(field)
        return "" if column is None else self.row[column]

    def text(self, field: str) -> str:
        return _text(self.cell(field)).strip()

    def amount(self, field: str, *, zero: bool = False, signed: bool = False) -> Decimal:
        text = self.text(field)
        folded = fold_width(text).strip()
        if signed and folded[:1] in "-−" and folded:
            text = folded[1:]
        return read_amount(text, self.label(field), self.line, zero=zero)

    def day(self, field: str) -> date:
        cell, label = self.cell(field), self.label(field)
        try:
            if isinstance(cell, datetime | date):
                return check_date(cell, label)
            if self.spec.date_format:
                return check_date(self._strptime(cell, label).date(), label)
        except InputError as error:
            raise StatementError(str(error), line=self.line) from error
        return read_date(cell, label, self.line)

    def moment(self, field: str) -> datetime:
        cell, label = self.cell(field), self.label(field)
        try:
            if isinstance(cell, datetime | date):
                moment = cell if isinstance(cell, datetime) else datetime.combine(cell, time())
            elif self.spec.date_format:
                moment = self._strptime(cell, label)
            else:
                return read_datetime(cell, label, self.line, self.tz)
            check_time(moment, label)
        except InputError as error:
            raise StatementError(str(error), line=self.line) from error
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment

    def _strptime(self, text: str, label: str) -> datetime:
        typed = fold_width(text).strip()
        fmt = self.spec.date_format or ""
        try:
            # The mapping's times are the facility's wall time, like any time without an offset.
            return datetime.strptime(typed, fmt).replace(tzinfo=self.tz)
        except ValueError:
            shown = typed or "(empty)"
            raise InputError(
                f'{label} "{shown}" does not match the mapping\'s date format {fmt} '
                f"(e.g. {datetime(2026, 12, 10, 9, 30, tzinfo=self.tz).strftime(fmt)})"
            ) from None
