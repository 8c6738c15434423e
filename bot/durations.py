"""Durations people type: `30m`, `4h`, `2d`, or combined largest unit first (`1h30m`, `2d 4h`).

Snoozes and silences read them; each says what was wrong when it cannot.
"""

import re
from datetime import timedelta

from bot.errors import InputError
from bot.typed import fold_width

# Longer than a year is a typo, not a plan.
MAX_DURATION = timedelta(days=366)

# ASCII digits (full-width ones are folded first): \d would take every script's digits.
DURATION = re.compile(r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """`30m`, `4h`, `2d`, or combined largest unit first (`1h30m`, `2d 4h`)."""
    match = DURATION.fullmatch(fold_width(text).strip())
    if match is None or not any(match.groups()):
        raise InputError(
            f"{text!r} is not a duration; write a number and a unit: "
            "30m (minutes), 4h (hours), 2d (days), or combined like 1h30m"
        )
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    longest = MAX_DURATION.days
    if days > longest or hours > longest * 24 or minutes > longest * 24 * 60:
        raise InputError(f"{text!r} is too long; a duration can be at most {longest} days")
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise InputError(f"{text!r} is no time at all; give a duration longer than zero")
    if duration > MAX_DURATION:
        raise InputError(f"{text!r} is too long; a duration can be at most {longest} days")
    return duration
