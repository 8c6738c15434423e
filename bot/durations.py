"""Durations people type: `30m`, `4h`, `2d`, or combined largest unit first (`1h30m`, `2d 4h`);
in Chinese too (`30分钟`, `4小时`, `1天`, `1天4小时`), with ASCII or full-width digits.

Snoozes and silences read them; each says what was wrong when it cannot. A number and its
unit may stand apart (`4 小时`); in a command's words `duration_words` says how many one
duration takes.
"""

import re
from datetime import timedelta

from bot.errors import InputError
from bot.i18n import N_, _
from bot.typed import fold_width, quote

# Longer than a year is a typo, not a plan.
MAX_DURATION = timedelta(days=366)

# ASCII digits (full-width ones are folded first): \d would take every script's digits.
DURATION = re.compile(r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?", re.IGNORECASE)
# Chinese units as a Chinese reader types them, longest first, → the ASCII ones above.
_CHINESE_UNITS = re.compile(r"个小时|个钟头|小时|钟头|分钟|个月|[时分天日]")
_UNIT_OF = {"个小时": "h", "个钟头": "h", "小时": "h", "钟头": "h", "时": "h"}
_UNIT_OF |= {"分钟": "m", "分": "m", "天": "d", "日": "d"}
# More digits than any duration up to MAX_DURATION has (527,040 minutes): too long, unread
# (int() refuses numbers of thousands of digits).
MOST_DIGITS = 7
# The most words one duration is typed in: `1 天 4 小时 30 分钟`.
MOST_WORDS = 6
# What a duration is for, when the caller does not say.
DURATION_WORD = N_("duration")


def latin_units(folded: str) -> str:
    """`folded` (already width-folded) with Chinese units as d/h/m: `1天4小时` → `1d4h`. A unit
    with no ASCII twin (个月) is left as it is, and so refused."""
    return _CHINESE_UNITS.sub(lambda unit: _UNIT_OF.get(unit.group(0), unit.group(0)), folded)


def parse_duration(text: str, what: str = DURATION_WORD) -> timedelta:
    """`30m`, `4h`, `2d`, or combined largest unit first (`1h30m`, `2d 4h`), also with Chinese
    units (`4小时`); `what` (marked with N_ by the caller) names it in the refusal of a
    negative one ("a snooze must be positive")."""
    folded = latin_units(fold_width(text).strip())
    if folded.startswith("-") and DURATION.fullmatch(folded[1:].strip()):
        raise InputError(
            _("{typed!r} is negative; a {what} must be positive, e.g. 30m or 4h").format(
                typed=text, what=_(what)
            )
        )
    match = DURATION.fullmatch(folded)
    if match is None or not any(match.groups()):
        raise InputError(
            _(
                "{typed!r} is not a duration; write a number and a unit: "
                "30m (minutes), 4h (hours), 2d (days), or combined like 1h30m"
            ).format(typed=text)
        )
    longest = MAX_DURATION.days
    too_long = _("{typed!r} is too long; a duration can be at most {days} days")
    if any(part and len(part.lstrip("0")) > MOST_DIGITS for part in match.groups()):
        raise InputError(too_long.format(typed=quote(text), days=longest))
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    if days > longest or hours > longest * 24 or minutes > longest * 24 * 60:
        raise InputError(too_long.format(typed=text, days=longest))
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise InputError(
            _("{typed!r} is no time at all; give a duration longer than zero").format(typed=text)
        )
    if duration > MAX_DURATION:
        raise InputError(too_long.format(typed=text, days=longest))
    return duration


def duration_words(words: list[str]) -> int:
    """How many of `words`, from the first, one duration is typed in where more words follow
    it (a silence's reason): the most that still read as one duration (`4 小时 …`, `2d 4h …`:
    2), else 1, whose refusal then says what was wrong."""
    taken = 1
    for count in range(2, min(len(words), MOST_WORDS) + 1):
        match = DURATION.fullmatch(latin_units(fold_width(" ".join(words[:count])).strip()))
        if match is not None and any(match.groups()):
            taken = count
    return taken


def typed(delta: timedelta) -> str:
    """A duration as people type it, largest unit first: `0m`, `15m`, `1h15m`, `1d4h`, `300d`."""
    days, rest = divmod(int(delta.total_seconds() // 60), 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return "".join(parts) or "0m"


def spoken(delta: timedelta) -> str:
    """A duration as a sentence says it, to the minute: `45 min`, `2 h`, `1 h 15 min`,
    `1 day 3 h`, `3 days`; below an hour, minutes; from a day, days and hours."""
    days, rest = divmod(int(delta.total_seconds() // 60), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        said = f"{days} day{'' if days == 1 else 's'}"
        return f"{said} {hours} h" if hours else said
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
