"""Reading the words people type after `/loan`: terms, dates, channels, alert ids.

Each parser raises InputError with a message that says how to write it instead.
"""

import re
from datetime import date

from bot.errors import InputError
from bot.ledger.facilities import CHANNEL_ID

TERM = re.compile(r"(\d{1,3})\s*(m|mo|mos|month|months|个月|期)?", re.IGNORECASE)
YEARS = re.compile(r"(\d{1,2})\s*(y|yr|yrs|year|years|年)", re.IGNORECASE)
CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")


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


def looks_like_channel(text: str) -> bool:
    """True for what `channel` reads, or a #name it will refuse with advice."""
    return text.startswith(("<#", "#")) or bool(CHANNEL_ID.match(text))


def channel(text: str) -> str:
    """A channel's id, as typed (C0123ABCD) or as a link Slack made (<#C0123ABCD|name>).

    A #name is refused: with the command's escaping off it arrives as plain text, and alert
    messages in a channel known only by name cannot be updated or found again.
    """
    text = text.strip()
    if match := CHANNEL_LINK.fullmatch(text):
        return match.group(1)
    if CHANNEL_ID.match(text):
        return text
    raise InputError(
        f"{text!r} is not a Slack channel id (like C0123ABCD); copy it from the channel's "
        "details in Slack"
    )
