"""Reading the words people type after `/loan`: amounts, dates, terms, channels, ids.

Slack sends the command as one text, split here at spaces; a unit typed apart from its number
("3 万", "12 months") still belongs to it. Amounts, dates and ids are read by the same functions
as everywhere else (`bot.money`, `bot.dates`, `bot.typed`), so the CLI, the form, an imported file
and a command agree on what a typed value means. Each parser raises InputError with a message
that says how to write it instead.
"""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.dates import parse_date, take_date
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.facilities import CHANNEL_ID
from bot.money import MoneyInputError, parse_amount, parse_daily_rate, take_amount
from bot.typed import (
    NOT_A_SILENCE_ID,
    NOT_AN_ALERT_ID_ON_ITS_MESSAGE,
    fold_width,
    quote,
    record_id,
)

TERM = re.compile(r"([0-9]{1,3})\s*(m|mo|mos|month|months|个月|期)?", re.IGNORECASE)
YEARS = re.compile(r"([0-9]{1,2})\s*(y|yr|yrs|year|years|年)", re.IGNORECASE)
TERM_UNIT = re.compile(r"m|mo|mos|month|months|个月|期|y|yr|yrs|year|years|年", re.IGNORECASE)
CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")


def term_months(text: str) -> int:
    """`12m`, `12`, `6 months`, `1y`, `12期`, `12个月`, `１２期` → months (1 to 360)."""
    typed = fold_width(text).strip()
    if match := YEARS.fullmatch(typed):
        months = int(match.group(1)) * 12
    elif match := TERM.fullmatch(typed):
        months = int(match.group(1))
    else:
        raise InputError(
            _('"{typed}" is not a term; write months like 12m or 6, or years like 1y').format(
                typed=quote(text)
            )
        )
    if not 1 <= months <= 360:
        raise InputError(_("a term must be 1 to 360 months, not {months}").format(months=months))
    return months


def take_term(words: Sequence[str], start: int) -> tuple[int, int]:
    """The term at `words[start]`, with a unit typed apart ("12 months"); and the next index."""
    if start >= len(words):
        raise InputError(_("the term is missing; write months like 12m or 6, or years like 1y"))
    end = start + 1
    if end < len(words) and TERM_UNIT.fullmatch(fold_width(words[end]).strip()):
        end += 1
    return term_months(" ".join(words[start:end])), end


def amount_then_date(
    words: Sequence[str], *, what: str = N_("amount"), date_what: str = N_("date")
) -> tuple[Decimal, date | None, list[str]]:
    """`AMOUNT [DATE] [note…]`: the amount (with its unit), the date if one is typed, the rest.

    A word after the amount that looks like a date but is not one is refused rather than taken
    as the first word of the note: `7 -2026-12-01` is a mistyped date, not ¥7.00 today.
    """
    amount, after = take_amount(words, 0, what=what)
    day, after = take_date(words, after, date_what)
    return amount, day, list(words[after:])


def due_date(text: str) -> date:
    """A bill's due date: YYYY-MM-DD (or YYYY/M/D)."""
    return parse_date(text, N_("due date"))


def payoff_date(text: str) -> date:
    """The day a payoff quote is for: YYYY-MM-DD (or YYYY/M/D)."""
    return parse_date(text, N_("payoff date"))


def alert_id(text: str) -> int:
    """An alert id as shown on its message: `12` or `#12`."""
    return record_id(text, NOT_AN_ALERT_ID_ON_ITS_MESSAGE)


def silence_id(text: str) -> int:
    """A silence id as `silence list` shows it."""
    return record_id(text, NOT_A_SILENCE_ID, "silence list")


def rate_or_channel(word: str) -> tuple[Decimal | None, str | None]:
    """One of the words after a new facility's limit: its daily rate, or its channel.

    A word that reads as a daily rate is one; a channel link or id is the channel. A second
    amount ("CNY100" once the limit is given) is refused, though it has a channel id's shape.
    """
    try:
        return parse_daily_rate(word), None
    except MoneyInputError as not_a_rate:
        rate_problem = not_a_rate
    if looks_like_channel(word):
        try:
            parse_amount(word, allow_zero=True)
        except MoneyInputError:
            return None, channel(word)
        raise InputError(
            _(
                '"{typed}" reads as an amount, and the limit is already given; after the limit '
                "come the daily rate (e.g. 0.04%) and the channel id (e.g. C0123ABCD)"
            ).format(typed=quote(word))
        )
    raise rate_problem


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
        _(
            "{typed} is not a Slack channel id (like C0123ABCD); copy it from the channel's "
            "details in Slack"
        ).format(typed=repr(text))
    )
