"""Bills and limits CSV files, typed up or exported by a person, read into rows.

Both are comma-separated, in UTF-8 or GBK/GB18030 (what Excel on a Chinese Windows saves), with
or without a byte-order mark. The first non-blank line is the header; column names are matched
ignoring case, spaces and a `(元)` suffix, in any order, and an unknown column is refused (a
misspelt `payed` must not make every bill unpaid). Blank lines are skipped. Amounts are read
like everywhere else in loanwatch: `50000`, `50,000.00`, `¥1,200`, `5万` (and a leading `+` is no
sign). A file giving one bill two amounts is refused by the import
(`rows.refuse_conflicting_bills`). Dates are ISO (`2025-01-10`) or `2025/1/10`. Times are
ISO-8601 (`2025-01-10T09:30:00+08:00`, `2025-01-10 09:30`) or `2025/1/10 9:30`; a time without
an offset is in the facility's time zone, and a date without a time is refused. Dates and times
are read by `bot.dates`, like everywhere else, and one outside 2000-01-01 … 2100-12-31 refuses
the file at its line.

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
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.ledger.statements.rows import (
    BillRow,
    LimitRow,
    StatementError,
    read_amount,
    read_date,
    read_datetime,
    read_paid,
    read_status,
)


def normalize_column(name: str) -> str:
    text = name.strip().casefold()
    text = re.sub(r"[(（]元[)）]$", "", text).strip()
    return re.sub(r"[\s\-]+", "_", text)


def _aliases(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Map every accepted spelling (normalized) to its canonical column name."""
    return {
        normalize_column(spelling): canonical
        for canonical, spellings in table.items()
        for spelling in (canonical, *spellings)
    }


BILL_COLUMNS = _aliases(
    {
        "due_date": ("到期日", "还款日", "应还日期"),
        "amount": ("金额", "应还金额"),
        "paid": ("已还", "是否已还"),
        "observed_at": ("观测时间",),
        "reference": ("参考号", "账单号"),
    }
)
LIMIT_COLUMNS = _aliases(
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
    canonical_names = _(", ").join(dict.fromkeys(columns.values()))
    for line, cells in rows:
        if not any(cells):
            continue
        index: dict[str, int] = {}
        label: dict[str, str] = {}
        unknown: list[str] = []
        for position, cell in enumerate(cells):
            if not cell:
                continue
            canonical = columns.get(normalize_column(cell))
            if canonical is None:
                unknown.append(cell)
            elif canonical in index:
                raise StatementError(
                    _('the header names {column} twice ("{first}" and "{second}")').format(
                        column=canonical, first=label[canonical], second=cell
                    ),
                    line=line,
                )
            else:
                index[canonical] = position
                label[canonical] = cell
        if not index and any(cell[:1].isdigit() for cell in cells):
            raise StatementError(
                _(
                    "no header row: the first row of a {kind} CSV names its columns ({columns})"
                ).format(kind=kind, columns=canonical_names),
                line=line,
            )
        if unknown:
            listed = _(", ").join(f'"{name}"' for name in unknown)
            raise StatementError(
                _("unknown column {listed}; {kind} columns are {columns}").format(
                    listed=listed, kind=kind, columns=canonical_names
                ),
                line=line,
            )
        missing = [name for name in required if name not in index]
        if missing:
            raise StatementError(
                _("the header has no {missing} column; a {kind} CSV needs {required}").format(
                    missing=_(" or ").join(missing), kind=kind, required=_(", ").join(required)
                ),
                line=line,
            )
        return _Header(index=index, label=label)
    raise StatementError(_("the file is empty"))


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
                    _(
                        '"{cell}" in column {column}, which the header does not name; '
                        "remove it or add a column name"
                    ).format(cell=cell, column=position + 1),
                    line=line,
                )
        yield line, cells


def parse_bills(rows: Iterator[tuple[int, list[str]]], tz: ZoneInfo) -> Iterator[BillRow]:
    header = _read_header(rows, BILL_COLUMNS, ("due_date", "amount"), "bills")
    for line, cells in _data_rows(rows, header):
        reference = header.value(cells, "reference")
        observed = header.value(cells, "observed_at")
        yield BillRow(
            line=line,
            due_date=read_date(header.value(cells, "due_date"), header.label["due_date"], line),
            amount=read_amount(header.value(cells, "amount"), header.label["amount"], line),
            paid=read_paid(header.value(cells, "paid"), header.label.get("paid", "paid"), line),
            observed_at=(
                read_datetime(observed, header.label["observed_at"], line, tz) if observed else None
            ),
            reference=reference or None,
        )


def parse_limits(rows: Iterator[tuple[int, list[str]]], tz: ZoneInfo) -> Iterator[LimitRow]:
    header = _read_header(rows, LIMIT_COLUMNS, ("observed_at", "limit"), "limits")
    for line, cells in _data_rows(rows, header):
        available = header.value(cells, "available")
        yield LimitRow(
            line=line,
            observed_at=read_datetime(
                header.value(cells, "observed_at"), header.label["observed_at"], line, tz
            ),
            # A frozen line shows 0: a legitimate reading the limit_frozen check must see.
            limit=read_amount(header.value(cells, "limit"), header.label["limit"], line, zero=True),
            available=(
                read_amount(available, header.label["available"], line, zero=True)
                if available
                else None
            ),
            status=read_status(
                header.value(cells, "status"), header.label.get("status", "status"), line
            ),
        )
