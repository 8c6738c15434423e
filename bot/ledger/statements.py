"""Statements finance imports: bills, limit readings and Alipay exports, read into typed rows.

`loanwatch import FILE --facility SLUG [--format auto|bills|limits|alipay]` takes a file a person
typed up or downloaded. This module is its pure half: bytes in, `ParsedStatement` out,
nothing written. One bad row refuses the whole file: `StatementError` names the line
(1-based, counting every physical line of the file, preamble included) and what is wrong, e.g.
`line 27: 金额 "abc" is not an amount; write yuan like 50000, …`.

## Bills and limits CSV

Both are comma-separated, in UTF-8 (with or without BOM) or GBK/GB18030 (what Excel on a Chinese
Windows saves). The first non-blank line is the header; column names are matched ignoring case,
spaces and a `(元)` suffix, in any order, and an unknown column is refused (a misspelt `payed`
must not make every bill unpaid). Blank lines are skipped. Amounts are read like everywhere else
in loanwatch: `50000`, `50,000.00`, `¥1,200`, `5万`. Dates are ISO (`2025-01-10`) or
`2025/1/10`. Times are ISO-8601 (`2025-01-10T09:30:00+08:00`, `2025-01-10 09:30`) or
`2025/1/10 9:30`; a time without an offset is in the facility's time zone, and a date without a
time is refused. Dates and times are read by `bot.dates`, like everywhere else, and one outside
2000-01-01 … 2100-12-31 refuses the file at its line.

`bills` — one bill as the platform shows it per row:

| column | also accepted | required | value |
|---|---|---|---|
| `due_date` | 到期日, 还款日, 应还日期 | yes | the date the bill is due |
| `amount` | 金额, 应还金额 | yes | the bill amount, above zero |
| `paid` | 已还, 是否已还 | no | yes/no, true/false, 1/0, 是/否, 已还/未还; empty means not paid |
| `observed_at` | 观测时间 | no | when the bill was seen; empty means not given |
| `reference` | 参考号, 账单号 | no | the platform's bill number, if it shows one |

`limits` — one reading of the credit line per row:

| column | also accepted | required | value |
|---|---|---|---|
| `observed_at` | 观测时间 | yes | when the limit was seen |
| `limit` | 额度, 总额度, 授信额度 | yes | the credit limit; 0 is a valid reading |
| `available` | 可用额度 | no | what is left to draw; 0 is a valid reading; empty means not given |
| `status` | 状态 | no | active, frozen or closed (正常, 冻结, 关闭); empty means active |

Examples:

    due_date,amount,paid,observed_at,reference
    2025-02-10,899.75,no,2025-01-31 09:00,JB202502
    2025-03-10,"1,200.00",yes,,

    观测时间,额度,可用额度,状态
    2025-03-10 09:00,50000,0,冻结

## Alipay export

The transaction statement (交易明细) the Alipay app exports as CSV, 2023+ layout: GB18030/GBK text
(UTF-8 if someone re-saved it), a preamble of export information (姓名, 起始时间, `共N笔记录` …), a
header row with 交易时间, 交易分类, 交易对方, 对方账号, 商品说明, 收/支, 金额, 收/付款方式,
交易状态, 交易订单号, 商家订单号, 备注, then one row per transaction with cells padded by spaces
and order numbers followed by a tab. The header is found by its content, not its line number.
Every row is checked (cell count, 交易时间, 金额), but only 信用借还 rows are kept: one leaving
for the lender (收/支 支出, or 商品说明 mentions 还款) is a `repayment`, one arriving from it
(收入, or 借款/放款) is a `draw_confirmation`. Any other row is counted by its 交易分类 in
`skipped`. A 信用借还 row that did not succeed, cannot be classified, or has no 交易订单号 is an
error, as is the same 交易订单号 twice. Succeeded means 交易状态 is one of 交易成功, 还款成功,
放款成功, 借款成功, 已还款, 已放款, 支付成功; when 收/支 and 商品说明 point different ways the row
is an error too. A dashed line or `共N笔记录` after the rows (older exports) ends the records. The
preamble's `共N笔记录` is returned as `announced_records` and not enforced.
"""

import contextlib
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from bot.dates import parse_date, parse_time
from bot.errors import InputError
from bot.money import MoneyInputError, parse_amount
from bot.typed import fold_width

FORMATS = ("auto", "bills", "limits", "alipay")

LimitStatus = Literal["active", "frozen", "closed"]
CreditKind = Literal["repayment", "draw_confirmation"]


class StatementError(InputError):
    """A statement file that cannot be imported; the message names the line and the fault."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class BillRow:
    """A bill as the platform shows it, from one row of a bills CSV."""

    line: int
    due_date: date
    amount: Decimal
    paid: bool
    observed_at: datetime | None
    reference: str | None


@dataclass(frozen=True)
class LimitRow:
    """One limit reading, from one row of a limits CSV."""

    line: int
    observed_at: datetime
    limit: Decimal
    available: Decimal | None
    status: LimitStatus


@dataclass(frozen=True)
class AlipayCreditRow:
    """A successful 信用借还 movement in an Alipay export: a repayment or a draw arriving."""

    line: int
    occurred_at: datetime
    amount: Decimal
    kind: CreditKind
    order_no: str  # 交易订单号: Alipay's own id for the movement, the import's idempotency key.
    description: str  # 商品说明, e.g. 借呗还款; tells 借呗 from 花呗 when an account has both.
    counterparty: str = ""  # 交易对方, e.g. 借呗 or 网商银行.


@dataclass(frozen=True)
class ParsedStatement:
    """Everything read from one file; only the lists of its own format are filled."""

    format: str
    bills: list[BillRow] = field(default_factory=list)
    limits: list[LimitRow] = field(default_factory=list)
    credit_rows: list[AlipayCreditRow] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    # The 共N笔记录 of an Alipay preamble. Not enforced: Alipay's own summary can disagree with
    # the rows (the upstream example fixture announces 66 and holds 10), so it is for display.
    announced_records: int | None = None


def parse_statement(data: bytes, fmt: str = "auto", *, tz: ZoneInfo) -> ParsedStatement:
    """Read a statement file; `tz` is the facility's time zone for times without an offset."""
    if fmt not in FORMATS:
        raise StatementError(f'unknown format "{fmt}"; formats are {", ".join(FORMATS)}')
    if not data.removeprefix(_BOM).strip():
        raise StatementError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StatementError(
            'the file is UTF-16 text (Excel\'s "Unicode Text"); save it as "CSV UTF-8" instead'
        )
    if fmt == "auto":
        fmt = _sniff(data)
    if fmt == "alipay":
        return _parse_alipay(data, tz)
    rows = _csv_rows(_decode_table(data))
    if fmt == "bills":
        return ParsedStatement("bills", bills=list(_parse_bills(rows, tz)))
    return ParsedStatement("limits", limits=list(_parse_limits(rows, tz)))


# --- decoding -------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"


def _decode(data: bytes, codec: str, name: str) -> str:
    """Decode strictly, naming the line of the first bad bytes."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise _undecodable(data, error, name) from error


def _undecodable(data: bytes, error: UnicodeDecodeError, name: str) -> StatementError:
    # Counting b"\n" is exact for UTF-8 and GB18030: neither uses 0x0A inside a character.
    line = data.count(b"\n", 0, error.start) + 1
    bad = data[error.start : error.end]
    return StatementError(
        f"the bytes {bad!r} are not {name} text; the file may be damaged, export it again",
        line=line,
    )


def _decode_table(data: bytes) -> str:
    """Decode a bills or limits CSV: UTF-8 (BOM or not), else GB18030 as Excel saves it in China."""
    if data.startswith(_BOM):
        return _decode(data[len(_BOM) :], "utf-8", "UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Valid non-ASCII UTF-8 before the fault means a damaged UTF-8 file: reading it as
        # GB18030 could "succeed" and import garbled text.
        if any(byte >= 0x80 for byte in data[: error.start]):
            raise _undecodable(data, error, "UTF-8") from error
    return _decode(data, "gb18030", "UTF-8 or GB18030")


def _physical_lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def _cells(physical_line: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([physical_line]), [])]


def _csv_rows(text: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number where the row starts, trimmed cells) for every row, blank ones too."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    try:
        for cells in reader:
            yield start, [cell.strip() for cell in cells]
            start = first_line + reader.line_num
    except csv.Error as error:
        raise StatementError(f"this is not valid CSV ({error})", line=start) from error


# --- auto -----------------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    """Tell alipay, bills and limits apart by their header rows."""
    for codec in ("gb18030", "utf-8-sig"):
        # Lenient here: a damaged export is still an export, and its parser names the bad line.
        if _find_alipay_header(_physical_lines(data.decode(codec, errors="replace"))) is not None:
            return "alipay"
    for line, cells in _csv_rows(_decode_table(data)):
        if not any(cells):
            continue
        names = {_normalize_column(cell) for cell in cells}
        if "due_date" in {_BILL_COLUMNS.get(name) for name in names}:
            return "bills"
        if "limit" in {_LIMIT_COLUMNS.get(name) for name in names}:
            return "limits"
        raise StatementError(
            f"cannot tell the format from the first row ({_shorten(', '.join(cells))}): an Alipay "
            "export has a header with 交易时间, 交易分类 and 金额, a bills CSV starts with a "
            "header naming due_date and amount, a limits CSV one naming observed_at and limit. "
            "Formats are alipay, bills and limits: fix the header or pass --format",
            line=line,
        )
    raise StatementError("the file is empty")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- bills and limits -----------------------------------------------------------------------


def _normalize_column(name: str) -> str:
    text = name.strip().casefold()
    text = re.sub(r"[(（]元[)）]$", "", text).strip()
    return re.sub(r"[\s\-]+", "_", text)


def _aliases(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Map every accepted spelling (normalized) to its canonical column name."""
    return {
        _normalize_column(spelling): canonical
        for canonical, spellings in table.items()
        for spelling in (canonical, *spellings)
    }


_BILL_COLUMNS = _aliases(
    {
        "due_date": ("到期日", "还款日", "应还日期"),
        "amount": ("金额", "应还金额"),
        "paid": ("已还", "是否已还"),
        "observed_at": ("观测时间",),
        "reference": ("参考号", "账单号"),
    }
)
_LIMIT_COLUMNS = _aliases(
    {
        "observed_at": ("观测时间",),
        "limit": ("额度", "总额度", "授信额度"),
        "available": ("可用额度",),
        "status": ("状态",),
    }
)


@dataclass(frozen=True)
class _Header:
    """Where each canonical column sits, and the name the file gave it (for messages)."""

    index: dict[str, int]
    label: dict[str, str]

    def value(self, cells: list[str], column: str) -> str:
        position = self.index.get(column)
        if position is None or position >= len(cells):
            return ""
        return cells[position]


def _read_header(
    rows: Iterator[tuple[int, list[str]]],
    columns: dict[str, str],
    required: tuple[str, ...],
    kind: str,
) -> _Header:
    """Take the first non-blank row as the header and check it names what `kind` needs."""
    canonical_names = ", ".join(dict.fromkeys(columns.values()))
    for line, cells in rows:
        if not any(cells):
            continue
        index: dict[str, int] = {}
        label: dict[str, str] = {}
        unknown: list[str] = []
        for position, cell in enumerate(cells):
            if not cell:
                continue
            canonical = columns.get(_normalize_column(cell))
            if canonical is None:
                unknown.append(cell)
            elif canonical in index:
                raise StatementError(
                    f'the header names {canonical} twice ("{label[canonical]}" and "{cell}")',
                    line=line,
                )
            else:
                index[canonical] = position
                label[canonical] = cell
        if not index and any(cell[:1].isdigit() for cell in cells):
            raise StatementError(
                f"no header row: the first row of a {kind} CSV names its columns "
                f"({canonical_names})",
                line=line,
            )
        if unknown:
            listed = ", ".join(f'"{name}"' for name in unknown)
            raise StatementError(
                f"unknown column {listed}; {kind} columns are {canonical_names}", line=line
            )
        missing = [name for name in required if name not in index]
        if missing:
            raise StatementError(
                f"the header has no {' or '.join(missing)} column; a {kind} CSV needs "
                f"{', '.join(required)}",
                line=line,
            )
        return _Header(index=index, label=label)
    raise StatementError("the file is empty")


def _data_rows(
    rows: Iterable[tuple[int, list[str]]], header: _Header
) -> Iterator[tuple[int, list[str]]]:
    """Skip blank rows; refuse values in columns the header does not name."""
    named = set(header.index.values())
    for line, cells in rows:
        if not any(cells):
            continue
        for position, cell in enumerate(cells):
            if cell and position not in named:
                raise StatementError(
                    f'"{cell}" in column {position + 1}, which the header does not name; '
                    "remove it or add a column name",
                    line=line,
                )
        yield line, cells


def _parse_bills(rows: Iterator[tuple[int, list[str]]], tz: ZoneInfo) -> Iterator[BillRow]:
    header = _read_header(rows, _BILL_COLUMNS, ("due_date", "amount"), "bills")
    for line, cells in _data_rows(rows, header):
        reference = header.value(cells, "reference")
        observed = header.value(cells, "observed_at")
        yield BillRow(
            line=line,
            due_date=_date(header.value(cells, "due_date"), header.label["due_date"], line),
            amount=_amount(header.value(cells, "amount"), header.label["amount"], line),
            paid=_paid(header.value(cells, "paid"), header.label.get("paid", "paid"), line),
            observed_at=(
                _datetime(observed, header.label["observed_at"], line, tz) if observed else None
            ),
            reference=reference or None,
        )


def _parse_limits(rows: Iterator[tuple[int, list[str]]], tz: ZoneInfo) -> Iterator[LimitRow]:
    header = _read_header(rows, _LIMIT_COLUMNS, ("observed_at", "limit"), "limits")
    for line, cells in _data_rows(rows, header):
        available = header.value(cells, "available")
        yield LimitRow(
            line=line,
            observed_at=_datetime(
                header.value(cells, "observed_at"), header.label["observed_at"], line, tz
            ),
            # A frozen line shows 0: a legitimate reading the limit_frozen check must see.
            limit=_amount(header.value(cells, "limit"), header.label["limit"], line, zero=True),
            available=(
                _amount(available, header.label["available"], line, zero=True)
                if available
                else None
            ),
            status=_status(
                header.value(cells, "status"), header.label.get("status", "status"), line
            ),
        )


# --- values ---------------------------------------------------------------------------------

_TRUE = {"yes", "y", "true", "t", "1", "是", "已还", "已还款"}
_FALSE = {"no", "n", "false", "f", "0", "否", "未还", "未还款"}
_STATUSES: dict[str, LimitStatus] = {
    "active": "active",
    "正常": "active",
    "frozen": "frozen",
    "冻结": "frozen",
    "已冻结": "frozen",
    "closed": "closed",
    "关闭": "closed",
    "已关闭": "closed",
}


def _amount(text: str, label: str, line: int, *, zero: bool = False) -> Decimal:
    try:
        return parse_amount(text, allow_zero=zero, what=label)
    except MoneyInputError as error:
        raise StatementError(str(error), line=line) from error


def _date(text: str, label: str, line: int) -> date:
    try:
        return parse_date(text, label)
    except InputError as error:
        raise StatementError(str(error), line=line) from error


def _datetime(text: str, label: str, line: int, tz: ZoneInfo) -> datetime:
    """Read a time; without an offset it is the facility's local time."""
    try:
        moment = parse_time(text, label)
    except InputError as error:
        raise StatementError(str(error), line=line) from error
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _paid(text: str, label: str, line: int) -> bool:
    value = text.casefold()
    if value in _TRUE:
        return True
    if not value or value in _FALSE:
        return False
    raise StatementError(
        f'{label} "{text}" is not yes or no; write yes/no, true/false, 1/0 or 是/否', line=line
    )


def _status(text: str, label: str, line: int) -> LimitStatus:
    if not text:
        return "active"
    status = _STATUSES.get(text.casefold())
    if status is None:
        raise StatementError(
            f'{label} "{text}" is not a limit status; write active, frozen or closed '
            "(正常, 冻结, 关闭)",
            line=line,
        )
    return status


# --- Alipay ---------------------------------------------------------------------------------

_ALIPAY_MARKS = frozenset({"交易时间", "交易分类", "金额"})
_ALIPAY_REQUIRED = ("交易时间", "交易分类", "商品说明", "收/支", "金额", "交易状态", "交易订单号")
_ANNOUNCED = re.compile(r"共\s*([0-9]+)\s*笔记录")
CREDIT_CATEGORY = "信用借还"
# Statuses Alipay writes for a credit movement that went through. Anything else (交易关闭,
# 还款失败, 处理中 …) means the money did not move, and importing it would fake a repayment.
_CREDIT_SUCCESS = frozenset(
    {"交易成功", "还款成功", "放款成功", "借款成功", "已还款", "已放款", "支付成功"}
)
_OUT, _IN = "支出", "收入"


def _find_alipay_header(lines: list[str]) -> int | None:
    """Index of the first line whose cells include 交易时间, 交易分类 and 金额."""
    for index, physical in enumerate(lines):
        if "交易分类" in physical and set(_cells(physical)) >= _ALIPAY_MARKS:
            return index
    return None


def _decode_alipay(data: bytes) -> tuple[list[str], int]:
    """Decode an export as GB18030 (or UTF-8 if it was re-saved so) and find its header."""
    if data.startswith(_BOM):
        candidates = [_decode(data[len(_BOM) :], "utf-8", "UTF-8")]
    else:
        try:
            candidates = [data.decode("gb18030")]
        except UnicodeDecodeError as error:
            try:
                candidates = [data.decode("utf-8")]
            except UnicodeDecodeError:
                raise _undecodable(data, error, "GB18030") from error
        else:
            # Some UTF-8 files also decode as GB18030 (into nonsense): try UTF-8 as well.
            with contextlib.suppress(UnicodeDecodeError):
                candidates.append(data.decode("utf-8"))
    for text in candidates:
        lines = _physical_lines(text)
        header = _find_alipay_header(lines)
        if header is not None:
            return lines, header
    raise StatementError(
        "no Alipay header row (a row with 交易时间, 交易分类 and 金额) in the file; export the "
        "transaction list again from the Alipay app, or pick --format bills or limits"
    )


def _parse_alipay(data: bytes, tz: ZoneInfo) -> ParsedStatement:
    """Read an Alipay export.

    1. Decode it and find the header row by its content.
    2. Read the announced record count from the preamble, for display.
    3. Check every row up to the trailer; keep 信用借还 rows, count the rest by 交易分类.
    """
    lines, header_index = _decode_alipay(data)
    announced = None
    for physical in lines[:header_index]:
        if match := _ANNOUNCED.search(physical):
            announced = int(match.group(1))
    header_line = header_index + 1
    rows = _csv_rows("".join(lines[header_index:]), first_line=header_line)
    _line, names = next(rows)
    index = {name: position for position, name in enumerate(names) if name}
    missing = [name for name in _ALIPAY_REQUIRED if name not in index]
    if missing:
        raise StatementError(
            f"the Alipay header has no {', '.join(missing)} column; export the transaction list "
            "again from the Alipay app",
            line=header_line,
        )
    needed = max(index.values()) + 1  # the trailing comma adds an unnamed empty column
    credit_rows: list[AlipayCreditRow] = []
    skipped: Counter[str] = Counter()
    seen_orders: dict[str, int] = {}
    trailer_line: int | None = None
    for line, cells in rows:
        if not any(cells):
            continue
        first = cells[0]
        if trailer_line is not None:
            if _looks_like_timestamp(first):
                raise StatementError(
                    f"a transaction after the end of the records (line {trailer_line}); the file "
                    "looks spliced, export it again",
                    line=line,
                )
            continue
        if first.startswith("---") or _ANNOUNCED.fullmatch(first):
            trailer_line = line
            continue
        if len(cells) < needed or any(cells[needed:]):
            raise StatementError(
                f"{len(cells)} cells where the header has {needed} columns; the row looks cut "
                "short or damaged, export the file again",
                line=line,
            )
        row = {name: cells[position] for name, position in index.items()}
        occurred_at = _datetime(row["交易时间"], "交易时间", line, tz)
        category = row["交易分类"]
        if category != CREDIT_CATEGORY:
            _amount(row["金额"], "金额", line, zero=True)  # a damaged amount is still damage
            skipped[category or "(无交易分类)"] += 1
            continue
        credit = _credit_row(row, line, occurred_at)
        if credit.order_no in seen_orders:
            raise StatementError(
                f'交易订单号 "{credit.order_no}" already appears on line '
                f"{seen_orders[credit.order_no]}; the same movement must not be imported twice",
                line=line,
            )
        seen_orders[credit.order_no] = line
        credit_rows.append(credit)
    return ParsedStatement(
        "alipay", credit_rows=credit_rows, skipped=skipped, announced_records=announced
    )


def _looks_like_timestamp(text: str) -> bool:
    return re.match(r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}", fold_width(text)) is not None


def _credit_row(row: dict[str, str], line: int, occurred_at: datetime) -> AlipayCreditRow:
    """Check a 信用借还 row and classify it as a repayment or a draw confirmation."""
    status = row["交易状态"]
    if status not in _CREDIT_SUCCESS:
        raise StatementError(
            f'信用借还 row with 交易状态 "{status or "(empty)"}": only successful movements can be '
            "imported; delete the row or export again once Alipay shows it succeeded",
            line=line,
        )
    amount = _amount(row["金额"], "金额", line)
    description = row["商品说明"]
    direction = row["收/支"]
    by_direction: CreditKind | None = {_OUT: "repayment", _IN: "draw_confirmation"}.get(direction)
    by_description: CreditKind | None = None
    # 还款 first: "借款还款" (repaying a loan) mentions both.
    if "还款" in description:
        by_description = "repayment"
    elif "借款" in description or "放款" in description:
        by_description = "draw_confirmation"
    if by_direction and by_description and by_direction != by_description:
        raise StatementError(
            f'信用借还 row is 收/支 "{direction}" but 商品说明 "{description}" says otherwise; '
            "check the row in the Alipay app",
            line=line,
        )
    kind = by_direction or by_description
    if kind is None:
        raise StatementError(
            f'cannot tell whether 信用借还 row "{description}" (收/支 "{direction}") is a '
            "repayment or a draw: neither 收/支 nor 商品说明 (还款, 借款, 放款) says",
            line=line,
        )
    order_no = row["交易订单号"]
    if not order_no:
        raise StatementError("信用借还 row without a 交易订单号", line=line)
    return AlipayCreditRow(
        line=line,
        occurred_at=occurred_at,
        amount=amount,
        kind=kind,
        order_no=order_no,
        description=description,
        counterparty=row.get("交易对方", ""),
    )
