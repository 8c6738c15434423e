"""Click parameter types for the finance words: amounts, rates, dates, times, ids, counts.

Each reads the text with the same function the slash commands and the importers use (`bot.money`,
`bot.dates`, `bot.typed`), so a value means the same whether typed here or in Slack; click's own
`int` would take other scripts' digits and any size.

A refusal names what was being read in the reader's language: each type is given its word where
it is declared (`AmountType(N_("limit amount"))`, marked N_ and translated in the message), never
the option's name, which is English (click puts the option as typed before the message).
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.dates import parse_date, parse_time, wall_time
from bot.errors import InputError
from bot.i18n import N_
from bot.ledger.terms import parse_penalty
from bot.money import parse_amount, parse_annual_rate, parse_daily_rate
from bot.typed import (
    NOT_A_REPAYMENT_ID,
    NOT_A_SILENCE_ID,
    NOT_AN_ALERT_ID,
    NOT_AN_OUTBOX_ID,
    record_id,
    whole_number,
)


class AmountType(click.ParamType):
    """An amount as people type it: 50,000.00, ¥1,200, 5万, 50k."""

    name = "amount"

    def __init__(self, what: str = N_("amount"), *, allow_zero: bool = False) -> None:
        self.what, self.allow_zero = what, allow_zero

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(str(value), allow_zero=self.allow_zero, what=self.what)
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

    def __init__(self, what: str = N_("date")) -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value), self.what)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class TimeType(click.ParamType):
    """A time of day on a date; without an offset it is read in the facility's time zone later."""

    name = "time"

    def __init__(self, what: str = N_("time")) -> None:
        self.what = what

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value), self.what)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class WholeNumberType(click.ParamType):
    """A whole number from `low` to `high` (a term in months, a day of the month); `what` is
    what it counts, marked N_."""

    name = "integer"

    def __init__(self, low: int, high: int, what: str) -> None:
        self.low, self.high, self.what = low, high, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return whole_number(str(value), self.what, low=self.low, high=self.high)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class RecordIdType(click.ParamType):
    """The id of an alert, a silence or an outbox message, as loanwatch lists it (`12`, `#12`):
    `refusal` says one that is not (bot.typed's NOT_…_ID), naming `command`, which lists them."""

    name = "id"

    def __init__(self, refusal: str, command: str) -> None:
        self.refusal, self.command = refusal, command

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return record_id(str(value), self.refusal, self.command)
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


AMOUNT = AmountType()
AMOUNT_OR_ZERO = AmountType(allow_zero=True)
RATE = ParsedDecimal("rate", parse_daily_rate)  # a daily rate: 0.04% or 0.0004
ANNUAL_RATE = ParsedDecimal("rate", parse_annual_rate)  # an annual rate: 3.5% or 0.035
PENALTY = ParsedDecimal("multiple", parse_penalty)  # a multiple of the rate: 1.5, 1.5x, 150%
DATE = DateType()
DUE_DATE = DateType(N_("due date"))
TIME = TimeType()
AS_OF = TimeType(N_("as-of time"))  # `check --at`, `digest --at`: the time they run as of
LIMIT_AMOUNT = AmountType(N_("limit amount"))
LIMIT_READING = AmountType(N_("limit amount"), allow_zero=True)
MONTHS = WholeNumberType(1, 360, N_("months"))
DAY_OF_MONTH = WholeNumberType(1, 31, N_("repayment day"))
ALERT_ID = RecordIdType(NOT_AN_ALERT_ID, "loanwatch alert list")
SILENCE_ID = RecordIdType(NOT_A_SILENCE_ID, "loanwatch silence list")
REPAYMENT_ID = RecordIdType(NOT_A_REPAYMENT_ID, "loanwatch export repayments")
OUTBOX_ID = RecordIdType(NOT_AN_OUTBOX_ID, "loanwatch outbox list")
