"""What a statement is read into, and how one cell of it becomes a value.

A value that cannot be read raises :class:`StatementError` naming the line, with the message
`bot.money` or `bot.dates` gives for the same input anywhere else in loanwatch.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from bot.dates import parse_date, parse_time
from bot.errors import InputError
from bot.i18n import _
from bot.i18n.formats import day, money
from bot.ledger.observations import LimitStatus
from bot.money import MoneyInputError, parse_amount
from bot.typed import fold_width

CreditKind = Literal["repayment", "draw_confirmation"]


class StatementError(InputError):
    """A statement file that cannot be imported; the message names the line and the fault."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        if line is not None:
            message = _("line {line}: {message}").format(line=line, message=message)
        super().__init__(message)
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
    # Other keys the same movement was imported under before (a mapped repayment's old key).
    aliases: tuple[str, ...] = ()


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


_TRUE = {"yes", "y", "true", "t", "1", "是", "已还", "已还款"}
_FALSE = {"no", "n", "false", "f", "0", "否", "未还", "未还款"}
_STATUSES: dict[str, LimitStatus] = {
    "active": LimitStatus.ACTIVE,
    "正常": LimitStatus.ACTIVE,
    "frozen": LimitStatus.FROZEN,
    "冻结": LimitStatus.FROZEN,
    "已冻结": LimitStatus.FROZEN,
    "closed": LimitStatus.CLOSED,
    "关闭": LimitStatus.CLOSED,
    "已关闭": LimitStatus.CLOSED,
}


def read_amount(text: str, label: str, line: int, *, zero: bool = False) -> Decimal:
    """An amount as `bot.money` reads it; a statement's leading `+` (money in) is no sign."""
    folded = fold_width(text).strip()
    if folded.startswith("+"):
        text = folded[1:].lstrip()
    try:
        return parse_amount(text, allow_zero=zero, what=label)
    except MoneyInputError as error:
        raise StatementError(str(error), line=line) from error


def read_date(text: str, label: str, line: int) -> date:
    try:
        return parse_date(text, label)
    except InputError as error:
        raise StatementError(str(error), line=line) from error


def read_datetime(text: str, label: str, line: int, tz: ZoneInfo) -> datetime:
    """Read a time; without an offset it is the facility's local time."""
    try:
        moment = parse_time(text, label)
    except InputError as error:
        raise StatementError(str(error), line=line) from error
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def read_paid(text: str, label: str, line: int) -> bool:
    value = text.casefold()
    if value in _TRUE:
        return True
    if not value or value in _FALSE:
        return False
    raise StatementError(
        _('{label} "{text}" is not yes or no; write yes/no, true/false, 1/0 or 是/否').format(
            label=label, text=text
        ),
        line=line,
    )


def read_status(text: str, label: str, line: int) -> LimitStatus:
    if not text:
        return LimitStatus.ACTIVE
    status = _STATUSES.get(text.casefold())
    if status is None:
        raise StatementError(
            _(
                '{label} "{text}" is not a limit status; write active, frozen or closed '
                "(正常, 冻结, 关闭)"
            ).format(label=label, text=text),
            line=line,
        )
    return status


def refuse_conflicting_bills(bills: list[BillRow]) -> None:
    """One file gives one amount per bill: two rows for the same due date and reference (or one
    without a reference, which would correct that date's bill) with two amounts are refused,
    naming both lines, rather than the last one silently winning."""
    by_date: dict[date, list[BillRow]] = {}
    conflicts: list[str] = []
    for row in bills:
        earlier = by_date.setdefault(row.due_date, [])
        for other in earlier:
            same_bill = row.reference == other.reference or None in (row.reference, other.reference)
            if same_bill and other.amount != row.amount:
                conflicts.append("  " + _conflict(other, row))
                break
        earlier.append(row)
    if conflicts:
        listed = "\n".join(conflicts)
        raise StatementError(
            _(
                "a statement shows one amount for each bill; remove the row that is wrong, so "
                "nothing was imported:\n{listed}"
            ).format(listed=listed)
        )


def _conflict(first: BillRow, then: BillRow) -> str:
    """`lines 2 and 3 give the bill due 2026-12-10 two amounts, ¥900.00 and ¥950.00`."""
    reference = then.reference or first.reference
    bill = (
        _("the bill due {date} ({reference})").format(date=day(then.due_date), reference=reference)
        if reference
        else _("the bill due {date}").format(date=day(then.due_date))
    )
    return _("lines {first} and {then} give {bill} two amounts, {amount} and {other}").format(
        first=first.line,
        then=then.line,
        bill=bill,
        amount=money(first.amount),
        other=money(then.amount),
    )
