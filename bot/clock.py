"""Time, always timezone-aware. The domain takes `now` as an argument; this is its source."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC, aware."""
    return datetime.now(UTC)


def require_aware(value: datetime, what: str = "time") -> datetime:
    """Refuse naive datetimes: a time without a zone is a bug waiting to happen.

    The checks and the alerts both call it: every boundary they draw is a moment in some zone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no time zone; it must be timezone-aware")
    return value
