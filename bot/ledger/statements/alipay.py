"""Alipay exports: the 信用借还 rows of an export, read into repayments and draws confirmed.

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
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.ledger.statements.rows import (
    AlipayCreditRow,
    CreditKind,
    ParsedStatement,
    StatementError,
    read_amount,
    read_datetime,
)
from bot.ledger.statements.text import BOM, cells_of, csv_rows, decode, physical_lines, undecodable
from bot.typed import fold_width

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


def find_alipay_header(lines: list[str]) -> int | None:
    """Index of the first line whose cells include 交易时间, 交易分类 and 金额."""
    for index, physical in enumerate(lines):
        if "交易分类" in physical and set(cells_of(physical)) >= _ALIPAY_MARKS:
            return index
    return None


def _decode_alipay(data: bytes) -> tuple[list[str], int]:
    """Decode an export as GB18030 (or UTF-8 if it was re-saved so) and find its header."""
    if data.startswith(BOM):
        candidates = [decode(data[len(BOM) :], "utf-8", "UTF-8")]
    else:
        try:
            candidates = [data.decode("gb18030")]
        except UnicodeDecodeError as error:
            try:
                candidates = [data.decode("utf-8")]
            except UnicodeDecodeError:
                raise undecodable(data, error, "GB18030") from error
        else:
            # Some UTF-8 files also decode as GB18030 (into nonsense): try UTF-8 as well.
            with contextlib.suppress(UnicodeDecodeError):
                candidates.append(data.decode("utf-8"))
    for text in candidates:
        lines = physical_lines(text)
        header = find_alipay_header(lines)
        if header is not None:
            return lines, header
    raise StatementError(
        _(
            "no Alipay header row (a row with 交易时间, 交易分类 and 金额) in the file; export the "
            "transaction list again from the Alipay app, or pick --format bills or limits"
        )
    )


def parse_alipay(data: bytes, tz: ZoneInfo) -> ParsedStatement:
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
    rows = csv_rows("".join(lines[header_index:]), first_line=header_line)
    _line, names = next(rows)
    index = {name: position for position, name in enumerate(names) if name}
    missing = [name for name in _ALIPAY_REQUIRED if name not in index]
    if missing:
        raise StatementError(
            _(
                "the Alipay header has no {columns} column; export the transaction list "
                "again from the Alipay app"
            ).format(columns=_(", ").join(missing)),
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
                    _(
                        "a transaction after the end of the records (line {trailer}); the file "
                        "looks spliced, export it again"
                    ).format(trailer=trailer_line),
                    line=line,
                )
            continue
        if first.startswith("---") or _ANNOUNCED.fullmatch(first):
            trailer_line = line
            continue
        if len(cells) < needed or any(cells[needed:]):
            raise StatementError(
                _(
                    "{cells} cells where the header has {needed} columns; the row looks cut "
                    "short or damaged, export the file again"
                ).format(cells=len(cells), needed=needed),
                line=line,
            )
        row = {name: cells[position] for name, position in index.items()}
        occurred_at = read_datetime(row["交易时间"], "交易时间", line, tz)
        category = row["交易分类"]
        if category != CREDIT_CATEGORY:
            read_amount(row["金额"], "金额", line, zero=True)  # a damaged amount is still damage
            skipped[category or "(无交易分类)"] += 1
            continue
        credit = _credit_row(row, line, occurred_at)
        if credit.order_no in seen_orders:
            raise StatementError(
                _(
                    '交易订单号 "{order}" already appears on line {seen}; the same movement '
                    "must not be imported twice"
                ).format(order=credit.order_no, seen=seen_orders[credit.order_no]),
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
            _(
                '信用借还 row with 交易状态 "{status}": only successful movements can be '
                "imported; delete the row or export again once Alipay shows it succeeded"
            ).format(status=status or _("(empty)")),
            line=line,
        )
    amount = read_amount(row["金额"], "金额", line)
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
            _(
                '信用借还 row is 收/支 "{direction}" but 商品说明 "{description}" says otherwise; '
                "check the row in the Alipay app"
            ).format(direction=direction, description=description),
            line=line,
        )
    kind = by_direction or by_description
    if kind is None:
        raise StatementError(
            _(
                'cannot tell whether 信用借还 row "{description}" (收/支 "{direction}") is a '
                "repayment or a draw: neither 收/支 nor 商品说明 (还款, 借款, 放款) says"
            ).format(description=description, direction=direction),
            line=line,
        )
    order_no = row["交易订单号"]
    if not order_no:
        raise StatementError(_("信用借还 row without a 交易订单号"), line=line)
    return AlipayCreditRow(
        line=line,
        occurred_at=occurred_at,
        amount=amount,
        kind=kind,
        order_no=order_no,
        description=description,
        counterparty=row.get("交易对方", ""),
    )
