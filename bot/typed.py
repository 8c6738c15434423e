"""Text a person typed: the one way loanwatch reads whole numbers and free text in it.

Amounts and rates are read in :mod:`bot.money`, dates and times in :mod:`bot.dates`; all of them
start from :func:`fold_width`. A Chinese input method types full-width forms (``５０，０００``,
``％``, ``￥``, an ideographic space), and those are folded to their ASCII twins. Nothing else is:
superscripts (``²``), circled digits and other scripts' digits are not numbers here, although
``str.isdigit()`` says yes to some of them and ``int()`` reads others. Numbers are then matched
against ASCII ``[0-9]`` only, never ``\\d`` (which matches every script's digits).
"""

import re
import unicodedata

from bot.errors import InputError
from bot.i18n import N_, _

# Ids are INTEGER columns, which PostgreSQL keeps in 32 bits: a larger one is refused here
# instead of failing inside the database.
MAX_ID = 2**31 - 1
# Notes and reasons: Slack's form fields stop at 3,000; 2,000 is more than any note needs and
# still fits a Slack message with the alert's own text around it.
MAX_TEXT_CHARS = 2000
ELLIPSIS = "…"

# What an id that is not one is refused with, one whole sentence per kind of record (Chinese
# counts a repayment as 笔 and an alert as 条): {typed} is what was typed, {command} the command
# that lists the ids, typed back as it is.
NOT_AN_ALERT_ID = N_(
    '"{typed}" is not an alert id; say which alert by its number from `{command}`, e.g. 12'
)
NOT_AN_ALERT_ID_ON_ITS_MESSAGE = N_(
    '"{typed}" is not an alert id; say which alert by its number on its message, e.g. 12'
)
NOT_A_SILENCE_ID = N_(
    '"{typed}" is not a silence id; say which silence by its number from `{command}`, e.g. 12'
)
NOT_A_REPAYMENT_ID = N_(
    '"{typed}" is not a repayment id; say which repayment by its number from `{command}`, e.g. 12'
)
NOT_AN_OUTBOX_ID = N_(
    '"{typed}" is not an outbox message id; say which outbox message by its number from '
    "`{command}`, e.g. 12"
)

_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e\uffe0-\uffe6]")
_WHOLE = re.compile(r"[0-9]+")
# A minus sign (ASCII, the Unicode minus or a full-width one folded) before digits.
_NEGATIVE = re.compile(r"[-\u2212]\s*[0-9]+")
# Longer than this, a whole number is pasted junk whatever its value: no int() of it.
_MAX_DIGITS = 18


def fold_width(text: str) -> str:
    """Full-width forms to their ASCII (or half-width) twins; every other character as it is."""
    return _FULL_WIDTH.sub(_fold_one, text)


def whole_number(text: str, what: str, *, low: int = 0, high: int = MAX_ID) -> int:
    """A whole number from `low` to `high`, typed in ASCII or full-width digits."""
    typed = fold_width(text).strip()
    if _NEGATIVE.fullmatch(typed):
        raise InputError(
            _('{what} "{typed}" is negative; write a whole number from {low} to {high}').format(
                what=_(what), typed=quote(text), low=low, high=high
            )
        )
    if not _WHOLE.fullmatch(typed):
        raise InputError(
            _('{what} "{typed}" is not a whole number; write digits, e.g. {low}').format(
                what=_(what), typed=quote(text), low=low
            )
        )
    if len(typed) > _MAX_DIGITS or not low <= int(typed) <= high:
        shown = int(typed) if len(typed) <= _MAX_DIGITS else f'"{quote(text)}"'
        raise InputError(
            _("{shown} is not in the range {low} to {high} for {what}").format(
                shown=shown, low=low, high=high, what=_(what)
            )
        )
    return int(typed)


def record_id(text: str, refusal: str, command: str = "") -> int:
    """An id as shown to people: `12` or `#12`. `refusal` is the sentence (one of the NOT_…_ID
    above) that refuses one that is not, `command` the command it names to list the ids."""
    typed = fold_width(text).strip().removeprefix("#")
    if not _WHOLE.fullmatch(typed) or len(typed) > _MAX_DIGITS or not 1 <= int(typed) <= MAX_ID:
        raise InputError(_(refusal).format(typed=quote(text), command=command))
    return int(typed)


def free_text(text: str | None, what: str, *, limit: int = MAX_TEXT_CHARS) -> str | None:
    """A note or reason as it will be stored: trimmed, None when empty, refused when too long."""
    if text is None:
        return None
    trimmed = text.strip()
    if len(trimmed) > limit:
        raise InputError(
            _(
                "{what} is {length} characters long; keep it to {limit} (put the rest in a "
                "ticket or a document and link it)"
            ).format(what=_(what), length=f"{len(trimmed):,}", limit=f"{limit:,}")
        )
    return trimmed or None


# Control, format (bidi overrides such as U+202E, zero-width), private-use and surrogate
# characters, and line or paragraph separators: text with them shows other than it is.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def hidden_character(text: str) -> str | None:
    """The first character of `text` that does not show as itself, as "U+202E", or None."""
    for char in text:
        if unicodedata.category(char) in HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def reference_text(text: str | None, what: str, *, limit: int) -> str | None:
    """A platform's reference (a bill or order number) as :func:`free_text` keeps it, refused
    when it holds a character that does not show as itself (a bidi override, a control)."""
    kept = free_text(text, what, limit=limit)
    hidden = hidden_character(kept) if kept else None
    if hidden is not None:
        raise InputError(
            _(
                "{what} holds {hidden}, a control, format or separator character that does not "
                "show as itself; send the reference as the platform prints it"
            ).format(what=_(what), hidden=hidden)
        )
    return kept


def quote(text: str, limit: int = 40) -> str:
    """What the person typed, on one line and shortened if long, for a message about it."""
    return shorten(" ".join(str(text).split()), limit)


def shorten(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else its start and "…", `limit` in all."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _fold_one(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\u3000":
        return " "
    if char <= "\uff5e":
        return chr(ord(char) - 0xFEE0)
    # ￠￡￢￣￤￥￦: the full-width signs of ¢ £ ¬ ¯ ¦ ¥ ₩.
    return "¢£¬¯¦¥₩"[ord(char) - 0xFFE0]
