"""Click parameter types for the finance words: amounts, rates, dates, times, ids, counts.

Each reads the text with the same function the slash commands and the importers use (`bot.money`,
`bot.dates`, `bot.typed`), so a value means the same whether typed here or in Slack; click's own
`int` would take other scripts' digits and any size.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.dates import parse_date, parse_time, wall_time
from bot.errors import InputError
from bot.ledger.terms import parse_penalty
from bot.money import parse_amount, parse_annual_rate, parse_daily_rate
from bot.typed import record_id, whole_number


class AmountType(click.ParamType):
    """An amount as people type it: 50,000.00, ¥1,200, 5万, 50k."""

    name = "amount"

    def __init__(self, *, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        what = (param.human_readable_name if param else "amount").lower().replace("_", " ")
        try:
            return parse_amount(str(value), allow_zero=self.allow_zero, what=what)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class ParsedDecimal(click.ParamType):
    """A rate or a multiple, read by the parser given; its message on refusal."""

    def __init__(self, name: str, parse: Callable[[str], Decimal]) -> None:
        self.name = name
        self._parse = parse

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return self._parse(str(value))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class DateType(click.ParamType):
    """A calendar date, YYYY-MM-DD (or YYYY/M/D), from 2000 to 2100."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value), _what(param, "date"))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class TimeType(click.ParamType):
    """A time of day on a date; without an offset it is read in the facility's time zone later."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value), _what(param, "time"))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class WholeNumberType(click.ParamType):
    """A whole number from `low` to `high` (a term in months, a day of the month)."""

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return whole_number(str(value), _what(param, "number"), low=self.low, high=self.high)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class RecordIdType(click.ParamType):
    """The id of an alert, a silence or an outbox message, as loanwatch lists it (`12`, `#12`)."""

    name = "id"

    def __init__(self, kind: str, shown: str) -> None:
        self.kind, self.shown = kind, shown

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return record_id(str(value), self.kind, self.shown)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


def in_zone(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A time typed without an offset, read in `zone` (`bot.dates.wall_time`): one the zone
    skips is refused; one it has twice is the first, and a note on stderr says so."""
    if value is None:
        return None
    moment, note = wall_time(value, zone)
    if note:
        click.echo(note, err=True)
    return moment


def _what(param: click.Parameter | None, default: str) -> str:
    """The parameter as the message names it: "due date", "paid on"."""
    return (param.human_readable_name if param else default).lower().replace("_", " ")


AMOUNT = AmountType()
AMOUNT_OR_ZERO = AmountType(allow_zero=True)
RATE = ParsedDecimal("rate", parse_daily_rate)  # a daily rate: 0.04% or 0.0004
ANNUAL_RATE = ParsedDecimal("rate", parse_annual_rate)  # an annual rate: 3.5% or 0.035
PENALTY = ParsedDecimal("multiple", parse_penalty)  # a multiple of the rate: 1.5, 1.5x, 150%
DATE = DateType()
TIME = TimeType()
MONTHS = WholeNumberType(1, 360)
DAY_OF_MONTH = WholeNumberType(1, 31)
ALERT_ID = RecordIdType("an alert", "from `loanwatch alert list`")
SILENCE_ID = RecordIdType("a silence", "from `loanwatch silence list`")
REPAYMENT_ID = RecordIdType("a repayment", "from `loanwatch export repayments`")
OUTBOX_ID = RecordIdType("an outbox message", "from `loanwatch outbox list`")
