"""Reading the words people type after `/loan`: terms, dates, channels, alert ids.

Each parser raises InputError with a message that says how to write it instead.
"""

import re
from datetime import date

from bot.errors import InputError

TERM = re.compile(r"(\d{1,3})\s*(m|mo|mos|month|months|个月|期)?", re.IGNORECASE)
YEARS = re.compile(r"(\d{1,2})\s*(y|yr|yrs|year|years|年)", re.IGNORECASE)
CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
CHANNEL_NAME = re.compile(r"#?([a-z0-9][a-z0-9_-]{0,79})")


def term_months(text: str) -> int:
    """`12m`, `12`, `6 months`, `1y` → months (1 to 360)."""
    text = text.strip()
    if match := YEARS.fullmatch(text):
        months = int(match.group(1)) * 12
    elif match := TERM.fullmatch(text):
        months = int(match.group(1))
    else:
        raise InputError(f"{text!r} is not a term; write months like 12m or 6, or years like 1y")
    if not 1 <= months <= 360:
        raise InputError(f"a term must be 1 to 360 months, not {months}")
    return months


def iso_date(text: str, what: str = "date") -> date:
    """YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{text!r} is not a {what}; write it as YYYY-MM-DD, e.g. 2026-12-10"
        ) from None


def alert_id(text: str) -> int:
    """An alert id as shown on its message: `12` or `#12`."""
    cleaned = text.strip().removeprefix("#")
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise InputError(f"{text!r} is not an alert id; it is the number on the alert, e.g. 12")
    return int(cleaned)


def channel(text: str) -> str:
    """A channel as typed: a link Slack made (<#C123|name>), an id, or #name."""
    text = text.strip()
    if match := CHANNEL_LINK.fullmatch(text):
        return match.group(1)
    if CHANNEL_ID.fullmatch(text):
        return text
    if match := CHANNEL_NAME.fullmatch(text):
        return match.group(1)
    raise InputError(f"{text!r} is not a channel; pick one with # (e.g. #loan-alerts)")
