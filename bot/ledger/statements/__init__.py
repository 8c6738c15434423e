"""Statements finance imports: bills, limit readings and Alipay exports, read into typed rows.

`loanwatch import FILE --facility SLUG [--format auto|bills|limits|alipay]` takes a file a person
typed up or downloaded. This package is its pure half: bytes in, `ParsedStatement` out,
nothing written. One bad row refuses the whole file: `StatementError` names the line
(1-based, counting every physical line of the file, preamble included) and what is wrong, e.g.
`line 27: 金额 "abc" is not an amount; write yuan like 50000, …`.

The package: `tables` reads bills and limits CSV files, `alipay` reads Alipay exports, `rows`
holds what they are read into (and how one cell becomes a value), `text` how bytes become lines
and cells. Each format's module describes the files it takes.
"""

from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.ledger.statements.alipay import find_alipay_header, parse_alipay
from bot.ledger.statements.rows import ParsedStatement, StatementError
from bot.ledger.statements.tables import (
    BILL_COLUMNS,
    LIMIT_COLUMNS,
    normalize_column,
    parse_bills,
    parse_limits,
)
from bot.ledger.statements.text import (
    BOM,
    csv_rows,
    decode_table,
    physical_lines,
    refuse_utf16,
)
from bot.typed import shorten

FORMATS = ("auto", "bills", "limits", "alipay")


def parse_statement(data: bytes, fmt: str = "auto", *, tz: ZoneInfo) -> ParsedStatement:
    """Read a statement file; `tz` is the facility's time zone for times without an offset."""
    if fmt not in FORMATS:
        raise StatementError(
            _('unknown format "{format}"; formats are {formats}').format(
                format=fmt, formats=_(", ").join(FORMATS)
            )
        )
    if not data.removeprefix(BOM).strip():
        raise StatementError(_("the file is empty"))
    refuse_utf16(data)
    if fmt == "auto":
        fmt = _sniff(data)
    if fmt == "alipay":
        return parse_alipay(data, tz)
    rows = csv_rows(decode_table(data))
    if fmt == "bills":
        return ParsedStatement("bills", bills=list(parse_bills(rows, tz)))
    return ParsedStatement("limits", limits=list(parse_limits(rows, tz)))


def _sniff(data: bytes) -> str:
    """Tell alipay, bills and limits apart by their header rows."""
    for codec in ("gb18030", "utf-8-sig"):
        # Lenient here: a damaged export is still an export, and its parser names the bad line.
        if find_alipay_header(physical_lines(data.decode(codec, errors="replace"))) is not None:
            return "alipay"
    for line, cells in csv_rows(decode_table(data)):
        if not any(cells):
            continue
        names = {normalize_column(cell) for cell in cells}
        if "due_date" in {BILL_COLUMNS.get(name) for name in names}:
            return "bills"
        if "limit" in {LIMIT_COLUMNS.get(name) for name in names}:
            return "limits"
        first_row = shorten(", ".join(cells), 60)
        raise StatementError(
            _(
                "cannot tell the format from the first row ({first_row}): an Alipay "
                "export has a header with 交易时间, 交易分类 and 金额, a bills CSV starts with a "
                "header naming due_date and amount, a limits CSV one naming observed_at and "
                "limit. Formats are alipay, bills and limits: fix the header or pass --format"
            ).format(first_row=first_row),
            line=line,
        )
    raise StatementError(_("the file is empty"))
