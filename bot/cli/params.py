"""Click parameter types for the finance words: amounts, rates, dates, times, durations."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.errors import InputError
from bot.money import parse_amount, parse_daily_rate


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


class RateType(click.ParamType):
    """A daily rate: 0.04% or 0.0004."""

    name = "rate"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_daily_rate(str(value))
        except InputError as exc:
            self.fail(str(exc), param, ctx)


class DateType(click.ParamType):
    """A calendar date, YYYY-MM-DD."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-10", param, ctx
            )


class TimeType(click.ParamType):
    """An ISO-8601 time; without an offset it is read in the facility's time zone later."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(
                f"{value!r} is not a time; write it as ISO-8601, e.g. 2026-12-01T09:30 "
                "or 2026-12-01T09:30+08:00",
                param,
                ctx,
            )


def in_zone(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Attach `zone` to a time typed without an offset."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


AMOUNT = AmountType()
AMOUNT_OR_ZERO = AmountType(allow_zero=True)
RATE = RateType()
DATE = DateType()
TIME = TimeType()
