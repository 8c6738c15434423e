"""Column types that keep money exact and time aware on every database.

Money and rates are stored as integers of their smallest unit (fen for money, 10^-8 for a
rate). That is exact on SQLite, which has no decimal type and would otherwise round-trip through
binary floats, and it makes set-based SQL (sums, comparisons) exact on PostgreSQL too.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class FixedPoint(TypeDecorator[Decimal]):
    """A Decimal with a fixed number of places, stored as a scaled BIGINT."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self.scale = 10**places
        self.quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal | int):
            raise TypeError(f"fixed-point columns take Decimal, not {type(value).__name__}")
        scaled = Decimal(value) * self.scale
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self.scale).quantize(self.quantum)

    @property
    def python_type(self) -> type:
        return Decimal


def Money() -> FixedPoint:  # noqa: N802 - reads like a type in column declarations
    """Yuan (or any currency) to the fen, stored as integer fen."""
    return FixedPoint(2)


def Rate() -> FixedPoint:  # noqa: N802
    """An interest rate as a fraction (0.0004 = 0.04 %/day, 0.035 = 3.5 %/year), in 10^-8."""
    return FixedPoint(8)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC; naive values are refused instead of guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: attach a time zone")
        value = value.astimezone(UTC)
        # SQLite keeps no zone; store the UTC wall time and put the zone back on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
