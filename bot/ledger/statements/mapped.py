"""Any bank's export read through a saved mapping (`loanwatch import FILE --mapping NAME`).

A mapping (`loanwatch mapping add`) names what the rows are (`bills`, `repayments` or `limits`),
which column of the export holds each field, the date format, the encoding of a CSV and how many
rows come before the header. The file is a CSV in the mapping's encoding or an `.xlsx` workbook
(its first sheet, `workbook.py`: a date may be a real date cell, an Excel serial number or text).
The header is the first row, after the skipped ones, that names every mapped column; other
columns are ignored. A CSV row with more filled cells than the header (an unquoted `1,234.50`
split in two) or too few to reach a mapped column is refused. Every row is read before anything
is recorded, and every bad row is reported with its row number (the physical line of a CSV, the
sheet row of a workbook) and why, so one pass fixes the file. A header that names a mapped
column twice (or a `--where` column) is refused: which of the two holds the field is a guess.
`--where` keeps only the rows it names (`where.py`: `COL=VALUE` is the cell exactly,
`COL~TEXT` contains). Amounts go through `bot.money` (`1,234.56`, `¥1,234.56`, full-width
digits, a leading `+`). A negative amount (a minus sign or accounting brackets) is refused in
bills and repayments: its sign is not dropped, since money coming back (a reversal, a refund)
is no repayment. A bank that writes money leaving the account as negative is mapped with
`amount=-COLUMN` (`OUTGOING`): then a negative amount is the repayment and a positive one is
refused.

A repayment's idempotency key is its `reference` column when the mapping names one and the cell
is filled, else what the repayment is: its date, its amount and its note (the mapped fields,
read and normalized), and which of the file's payments alike it is (the n-th gets its own). Not
the mapping's name nor the unmapped cells: the same payment, in the same export read through a
mapping saved again under another name, or as CSV and as .xlsx, is known again. A repayment
imported before this rule is still known by its old key (the mapping's name and the row's cells).
"""

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.dates import check_date, check_time
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.statements.header import find_header
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
from bot.ledger.statements.text import (
    BOM,
    csv_rows,
    other_encoding,
    refuse_utf16,
    undecodable,
)
from bot.ledger.statements.where import RowFilter, shown
from bot.ledger.statements.workbook import Cell, Formula, Number, workbook_rows
from bot.ledger.statements.workbook import cell_text as _text
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
# Before a repayments mapping's amount column: the column writes money leaving as negative.
OUTGOING = "-"
_XLSX = b"PK\x03\x04"
_OLD_XLS = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class MappingSpec:
    """A saved mapping as the parser needs it."""

    name: str
    kind: str
    columns: Mapping[str, str]  # field -> the export's column header
    date_format: str | None = None
    encoding: str = "utf-8"
    skip_rows: int = 0
    where: tuple[RowFilter, ...] = ()  # which rows to import (where.py)
    outgoing: bool = False  # the amount column writes a repayment as negative (`amount=-COL`)


# A saved mapping's format, as the audit record keeps it ("mapping icbc"); the summary says it
# in the reader's words (bot.ledger.importer.format_words).
MAPPING_FORMAT = "mapping "


def parse_mapped(data: bytes, spec: MappingSpec, *, tz: ZoneInfo) -> ParsedStatement:
    """Read `data` through `spec`; raises StatementError listing every bad row."""
    if not data.removeprefix(BOM).strip():
        raise StatementError(_("the file is empty"))
    rows, is_csv = _table(data, spec)
    wanted = list(dict.fromkeys([*spec.columns.values(), *(f.column for f in spec.where)]))
    try:
        header_line, index = find_header(rows, wanted, spec.skip_rows, spec.name)
    except StatementError as error:
        if is_csv and spec.encoding == "gb18030" and _utf8_text(data):
            raise StatementError(
                _("{error}. The file is not GB18030: {hint}").format(
                    error=error, hint=other_encoding(spec.encoding, spec.name)
                )
            ) from error
        raise
    width = _width(next(cells for line, cells in rows if line == header_line))
    parsed = ParsedStatement(MAPPING_FORMAT + spec.name)
    errors: list[StatementError] = []
    seen = _Seen()
    for line, cells in rows:
        if line <= header_line or not _width(cells):
            continue
        try:
            if is_csv and _width(cells) > width:
                raise _too_many_cells(cells, width, line)
            row = {header: cells[i] if i < len(cells) else "" for header, i in index.items()}
            if not all(f.keeps(_text(row[f.column])) for f in spec.where):
                parsed.skipped["not matching " + shown(spec.where)] += 1
                continue
            if is_csv and len(cells) <= max(index.values()):
                raise _too_few_cells(cells, index, line)
            _read_row(parsed, spec, line, row, cells, tz, seen)
        except StatementError as error:
            errors.append(error)
    if errors:
        listed = "\n".join(f"  {error}" for error in errors)
        raise StatementError(
            _("{count} row(s) cannot be read, so nothing was imported:\n{listed}").format(
                count=len(errors), listed=listed
            )
        )
    return parsed


def _utf8_text(data: bytes) -> bool:
    """Non-ASCII text that is valid UTF-8: GB18030 would read it, as the wrong characters."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def _width(cells: list[Cell]) -> int:
    """How many cells a row has, up to its last filled one (trailing commas are nothing)."""
    filled = [i for i, cell in enumerate(cells) if _text(cell) or isinstance(cell, Formula)]
    return filled[-1] + 1 if filled else 0


def _too_many_cells(cells: list[Cell], width: int, line: int) -> StatementError:
    return StatementError(
        _(
            "the row has {cells} cells for the header's {width} columns; an amount with "
            'a thousands separator must be quoted ("1,234.50"), or the comma splits it in two. '
            "Export the file again with quoted amounts, or without thousands separators"
        ).format(cells=_width(cells), width=width),
        line=line,
    )


def _too_few_cells(cells: list[Cell], index: Mapping[str, int], line: int) -> StatementError:
    missing = _(", ").join(column for column, i in index.items() if i >= len(cells))
    return StatementError(
        _(
            "the row has {cells} cells and stops before {missing}; every row needs a cell "
            "for each column of the header (an empty one is fine)"
        ).format(cells=len(cells), missing=missing),
        line=line,
    )


def _table(data: bytes, spec: MappingSpec) -> tuple[list[tuple[int, list[Cell]]], bool]:
    """(row number, cells) for every row of the file, CSV or workbook; and whether it is a CSV."""
    if data.startswith(_OLD_XLS):
        raise StatementError(_("this is an old Excel .xls file; save it as .xlsx or CSV"))
    if data.startswith(_XLSX):
        return workbook_rows(data), False
    refuse_utf16(data)
    name = ENCODINGS.get(spec.encoding, spec.encoding)
    try:
        # A byte-order mark in any encoding (GB18030's is 84 31 95 33) is no part of the header.
        text = data.decode(spec.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise _undecodable(data, error, spec, name) from error
    return [(line, list(cells)) for line, cells in csv_rows(text)], True


def _undecodable(
    data: bytes, error: UnicodeDecodeError, spec: MappingSpec, name: str
) -> StatementError:
    """Bytes the mapping's encoding cannot read: a file in the other encoding says so."""
    other = "gb18030" if spec.encoding == "utf-8" else "utf-8"
    try:
        data.decode(other)
    except UnicodeDecodeError:
        return undecodable(data, error, name)
    line = data.count(b"\n", 0, error.start) + 1
    return StatementError(
        _("the file is not {encoding} text: {hint}").format(
            encoding=name, hint=other_encoding(spec.encoding, spec.name)
        ),
        line=line,
    )


@dataclass
class _Seen:
    """What the rows read so far were: references, and repayments known by what they are."""

    references: dict[str, int] = field(default_factory=dict)
    payments: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)


def _read_row(
    parsed: ParsedStatement,
    spec: MappingSpec,
    line: int,
    row: dict[str, Cell],
    cells: list[Cell],
    tz: ZoneInfo,
    seen: _Seen,
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
        parsed.credit_rows.append(_repayment(spec, value, cells, tz, seen))


def _repayment(
    spec: MappingSpec, value: "_Reader", cells: list[Cell], tz: ZoneInfo, seen: _Seen
) -> AlipayCreditRow:
    """A repayment row, known again by its reference, or else by what it is (see the module)."""
    paid_on = value.day("paid_on")
    amount = value.amount("amount", outgoing=spec.outgoing)
    note = " ".join(fold_width(value.text("note")).split())
    reference = value.text("reference")
    aliases: tuple[str, ...] = ()
    if reference:
        if reference in seen.references:
            raise StatementError(
                _(
                    '{label} "{reference}" already appears on row {seen}; the same repayment '
                    "must not be imported twice"
                ).format(
                    label=value.label("reference"),
                    reference=reference,
                    seen=seen.references[reference],
                ),
                line=value.line,
            )
        seen.references[reference] = value.line
        key = reference
    else:
        what = "\x1f".join([paid_on.isoformat(), f"{amount:f}", note])
        digest = hashlib.sha256(what.encode()).hexdigest()[:24]
        seen.payments[digest] += 1
        key = f"payment:{digest}:{seen.payments[digest]}"
        # Before, the key was the mapping's name and every cell of the row: a repayment
        # imported so is still known by it.
        row_digest = hashlib.sha256("\x1f".join(map(_text, cells)).encode()).hexdigest()[:24]
        seen.rows[row_digest] += 1
        aliases = (f"{spec.name}:{row_digest}:{seen.rows[row_digest]}"[:128],)
    return AlipayCreditRow(
        line=value.line,
        occurred_at=datetime.combine(paid_on, time(), tzinfo=tz),
        amount=amount,
        kind="repayment",
        order_no=key,
        description=value.text("note") or f"imported with mapping {spec.name}",
        aliases=aliases,
    )


def _wrong_sign(label: str, text: str, outgoing: bool) -> str:
    """Why an amount's sign is refused: its direction is not the mapping's."""
    if outgoing:
        return _(
            '{label} "{text}" is money coming in: the mapping reads {label} as money leaving '
            "the account (amount={sign}{label}), where a repayment is negative. A positive "
            "amount is a refund or a reversal, not a repayment; leave it out with --where"
        ).format(label=label, text=text, sign=OUTGOING)
    return _(
        '{label} "{text}" is negative: an amount here is money paid, and a negative one is '
        "money coming back (a reversal, a refund), so it is not read as paid. If this bank "
        "writes money leaving the account as negative, map it as amount={sign}{label}"
    ).format(label=label, text=text, sign=OUTGOING)


# What a field holds, for the message when a cell holds something else.
_EXPECTED = {
    "amount": N_("an amount"),
    "limit": N_("an amount"),
    "available": N_("an amount"),
    "due_date": N_("a date"),
    "paid_on": N_("a date"),
    "observed_at": N_("a time"),
}


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
        cell = "" if column is None else self.row[column]
        if isinstance(cell, Formula):
            raise StatementError(
                _(
                    "{label} is a formula without a saved value ({formula}); open the file in "
                    "Excel and save it, so each formula keeps its value, then import it"
                ).format(label=self.label(field), formula=cell.text),
                line=self.line,
            )
        if isinstance(cell, bool) and field != "paid":
            raise StatementError(
                _(
                    "{label} is a TRUE/FALSE cell ({value}), not {expected}; check the column"
                ).format(
                    label=self.label(field),
                    value=str(cell).upper(),
                    expected=_(_EXPECTED.get(field, N_("text"))),
                ),
                line=self.line,
            )
        return cell

    def text(self, field: str) -> str:
        return _text(self.cell(field)).strip()

    def amount(self, field: str, *, zero: bool = False, outgoing: bool | None = None) -> Decimal:
        """An amount, never negative. A repayment's says `outgoing`: whether money leaving the
        account is written negative (-1,234.50 or (1,234.50)), so only such is read (unsigned)."""
        text = fold_width(self.text(field)).strip()
        negative = text[:1] in ("-", "−") or (text[:1] == "(" and text[-1:] == ")")
        if outgoing and negative:
            text = text[1:].lstrip() if text[:1] in ("-", "−") else text[1:-1].strip()
        elif outgoing is not None and outgoing != negative:
            raise StatementError(_wrong_sign(self.label(field), text, outgoing), line=self.line)
        return read_amount(text, self.label(field), self.line, zero=zero)

    def day(self, field: str) -> date:
        return self.moment(field, day=True).date()

    def moment(self, field: str, *, day: bool = False) -> datetime:
        """A time (or with `day`, a date) from a date cell, an Excel serial number, or text in
        the mapping's format or else read as everywhere; without an offset, the facility's."""
        cell, label = self.cell(field), self.label(field)
        try:
            if isinstance(cell, Number):
                cell = self._serial(cell, label)
            if isinstance(cell, datetime | date):
                moment = cell if isinstance(cell, datetime) else datetime.combine(cell, time())
            elif self.spec.date_format:
                moment = self._strptime(cell, label)
            elif day:
                moment = datetime.combine(read_date(cell, label, self.line), time())
            else:
                return read_datetime(cell, label, self.line, self.tz)
            check_date(moment.date(), label) if day else check_time(moment, label)
        except StatementError as error:
            if error.line is None:
                raise StatementError(str(error), line=self.line) from error
            raise
        except InputError as error:
            raise StatementError(str(error), line=self.line) from error
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment

    def _serial(self, cell: Number, label: str) -> str | datetime:
        """A number in a date column: text in the mapping's format (20240103 for %Y%m%d), else
        the Excel serial date it stands for."""
        if self.spec.date_format:
            try:
                self._strptime(cell.text, label)
            except InputError:
                pass
            else:
                return cell.text
        moment = cell.as_datetime()
        if moment is None:
            raise InputError(
                _('{label} "{text}" is a number, not a date').format(label=label, text=cell.text)
            )
        return moment

    def _strptime(self, text: str, label: str) -> datetime:
        typed = fold_width(text).strip()
        fmt = self.spec.date_format or ""
        try:
            # The mapping's times are the facility's wall time, like any time without an offset.
            return datetime.strptime(typed, fmt).replace(tzinfo=self.tz)
        except ValueError:
            raise InputError(
                _(
                    '{label} "{text}" does not match the mapping\'s date format {format} '
                    "(e.g. {example})"
                ).format(
                    label=label,
                    text=typed or _("(empty)"),
                    format=fmt,
                    example=datetime(2026, 12, 10, 9, 30, tzinfo=self.tz).strftime(fmt),
                )
            ) from None
