"""Dates and times as people type them, and the span of dates loanwatch believes.

One rule for every way a date comes in (the CLI, `/loan`, imported files, and the ledger
functions themselves, so a caller that skips the parsers is refused too): a date from
2000-01-01 to 2100-12-31. Nothing loanwatch keeps is older than the platforms it watches or
further out than a 360-month draw taken this century, and a date like 0001-01-01 is a typo
whose arithmetic (a bill's match window, a due date moved past a holiday) would run off the
end of the calendar.

A moment's date is the one it has where it is read: in the facility's time zone for the ledger
(which knows the facility and passes its zone to :func:`check_time`), in LOANWATCH_TIMEZONE for
`loanwatch check --at`. So `2000-01-01T00:30+14:00`, which is 1999-12-31 in Shanghai, is refused
by a Shanghai facility whether typed in the CLI or read from an imported file. (A time typed
with a date outside the span, whatever its offset, is refused as typed too.)

Typed forms, full-width digits included: dates `2026-12-10` or `2026/12/10` (`2026/1/5` too);
times `2026-12-01 09:30`, `2026-12-01T09:30:00+08:00` or `2026/12/1 9:30`. A time without an
offset comes back naive, for the caller to read in the facility's zone.

A naive time is read in a zone by :func:`wall_time`, the one rule for it: a wall time the zone
skips (02:15 on the night clocks go forward in New York) is refused, saying which hour is
skipped; one the zone has twice (01:30 on the night clocks go back) is the first of the two,
and a note says so for the caller to show.
"""

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.errors import InputError
from bot.i18n import N_, _
from bot.typed import fold_width, quote

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# Marked for the catalogs, translated where a message shows them.
DATE_EXAMPLE = N_("YYYY-MM-DD, e.g. 2026-12-10")
TIME_EXAMPLE = N_("2026-12-01 09:30 or 2026-12-01T09:30+08:00")

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})-([0-9]{1,2})|/([0-9]{1,2})/([0-9]{1,2}))")
# A date written without separators (20261201, as some exports and habits write it). Not a form
# loanwatch takes: where a date may stand, it is refused with the form to use, never read as an
# amount or kept as a note.
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_TIME = re.compile(
    r"""
    (?P<date>[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}))
    (?:T|\s+)
    (?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,6}))?)?
    \s*(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})?
    """,
    re.IGNORECASE | re.VERBOSE,
)


def check_date(day: date, what: str = N_("date")) -> date:
    """`day` itself, or an InputError when it lies outside EARLIEST … LATEST."""
    if isinstance(day, datetime):
        return check_time(day, what).date()
    if not EARLIEST <= day <= LATEST:
        raise _outside(what, day.isoformat())
    return day


def check_time(moment: datetime, what: str = N_("time"), *, zone: tzinfo | None = None) -> datetime:
    """`moment` itself, or an InputError when its date lies outside EARLIEST … LATEST.

    The date is the one `moment` has in `zone` (the facility's, when the caller knows it); a
    naive moment, which the caller will read in that zone, has the date it was written with.
    """
    seen = moment
    if zone is not None and moment.tzinfo is not None:
        try:
            seen = moment.astimezone(zone)
        except OverflowError:  # year 1 or 9999 pushed off the calendar by the zone's offset
            raise _outside(what, moment.isoformat()) from None
    if not EARLIEST <= seen.date() <= LATEST:
        elsewhere = seen.date() != moment.date()
        where = f" ({seen:%Y-%m-%d %H:%M} in {zone})" if elsewhere else ""
        raise _outside(what, moment.isoformat() + where)
    return moment


def parse_date(text: str, what: str = N_("date")) -> date:
    """A date typed as YYYY-MM-DD or YYYY/M/D, within EARLIEST … LATEST. `what` names the field
    in a message (an English text marked with N_, translated here)."""
    typed = fold_width(text).strip()
    words = {"what": _(what), "typed": quote(text), "example": _(DATE_EXAMPLE)}
    if not typed:
        raise InputError(_("{what} is empty; write it as {example}").format(**words))
    match = _DATE.fullmatch(typed)
    day = _date_of(match) if match else None
    if day is None:
        compact = _compact_date(typed)
        if compact is not None:
            raise InputError(
                _(
                    '{what} "{typed}" is not a date without its dashes; write dates as '
                    "YYYY-MM-DD ({date})"
                ).format(date=compact.isoformat(), **words)
            )
        raise InputError(_('{what} "{typed}" is not a date; write it as {example}').format(**words))
    return check_date(day, what)


def parse_time(text: str, what: str = N_("time")) -> datetime:
    """A time of day on a date, with or without an offset (naive then), within the span."""
    typed = fold_width(text).strip()
    words = {"what": _(what), "typed": quote(text), "example": _(TIME_EXAMPLE)}
    if not typed:
        raise InputError(_("{what} is empty; write a time like {example}").format(**words))
    match = _TIME.fullmatch(typed)
    moment = _time_of(match) if match else None
    if moment is None:
        # A month 13 or a 30th of February is the first thing wrong, with a time of day or not.
        typed_date = match["date"] if match else typed
        day_match = _DATE.fullmatch(typed_date)
        if day_match and _date_of(day_match) is None:
            raise InputError(
                _('{what} "{typed}": {date} is not a date; write a time like {example}').format(
                    date=typed_date, **words
                )
            )
        if _DATE.fullmatch(typed):
            raise InputError(
                _('{what} "{typed}" has no time of day; write a time like {example}').format(
                    **words
                )
            )
        raise InputError(
            _('{what} "{typed}" is not a time; write it like {example}').format(**words)
        )
    return check_time(moment, what)


def wall_time(moment: datetime, zone: tzinfo) -> tuple[datetime, str | None]:
    """`moment` (typed without an offset) read in `zone`, and a note when it was ambiguous.

    An aware `moment` comes back as it is. A wall time the zone skips is an InputError:
    "2027-03-14 02:15 does not exist in America/New_York (clocks skip 02:00–03:00)". One the
    zone has twice is the first of the two (fold=0), and the note says so.
    """
    if moment.tzinfo is not None:
        return moment, None
    first, second = moment.replace(tzinfo=zone), moment.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after or before is None or after is None:
        return first, None
    typed = f"{moment:%Y-%m-%d %H:%M}"
    start, end = _change(moment, zone, before, after)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise InputError(
            _(
                "{typed} does not exist in {zone} (clocks skip {start}–{end}); give an earlier "
                "or a later time"
            ).format(typed=typed, zone=zone, start=f"{start:%H:%M}", end=f"{end:%H:%M}")
        )
    return first, _(
        "note: {typed} happens twice in {zone} (clocks go back from {start} to {end}): taken "
        "as the first, {first}"
    ).format(
        typed=typed,
        zone=zone,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        first=f"{first:%H:%M %Z}",
    )


def _change(
    moment: datetime, zone: tzinfo, before: timedelta, after: timedelta
) -> tuple[datetime, datetime]:
    """The wall clock just before and just after the zone's change of offset near `moment`."""
    low, high = moment - before, moment - after  # the change lies between these (as UTC)
    low, high = min(low, high), max(low, high)
    low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
    while high - low > timedelta(seconds=1):  # the first instant with the new offset
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
            low = middle
        else:
            high = middle
    change = high.replace(microsecond=0)
    if change.second:
        change += timedelta(seconds=60 - change.second)
    return (change + before).replace(tzinfo=None), (change + after).replace(tzinfo=None)


def looks_like_date(word: str) -> bool:
    """True for a word meant as a date: it starts with a digit or a sign and has a - or / after
    its first character (2026-12-01, -2026-12-01, 2026/12/1, 1/2), whether or not it is one;
    or it is eight digits that make a calendar date (20261201)."""
    typed = fold_width(word).strip()
    return (
        bool(typed)
        and typed[0] in "0123456789+-−"
        and any(c in "0123456789" for c in typed)
        and any(c in "-/−" for c in typed[1:])
    ) or _compact_date(typed) is not None


def take_date(words: Sequence[str], start: int, what: str = N_("date")) -> tuple[date | None, int]:
    """An optional date at `words[start]`: (the date, the index after it), or (None, start).

    A word that looks like a date (:func:`looks_like_date`) but is not one is refused, not
    left for the caller to take as the start of a note.
    """
    if start < len(words) and looks_like_date(words[start]):
        return parse_date(words[start], what), start + 1
    return None, start


def _compact_date(typed: str) -> date | None:
    """The calendar date eight digits make (20261201), if they make one."""
    match = _COMPACT_DATE.fullmatch(typed)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _outside(what: str, shown: str) -> InputError:
    return InputError(
        _(
            "{what} {shown} is outside the dates loanwatch keeps ({earliest} to {latest}); "
            "check the year"
        ).format(
            what=_(what), shown=shown, earliest=EARLIEST.isoformat(), latest=LATEST.isoformat()
        )
    )


def _date_of(match: re.Match[str]) -> date | None:
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _time_of(match: re.Match[str]) -> datetime | None:
    day_match = _DATE.fullmatch(match["date"])
    day = _date_of(day_match) if day_match else None
    if day is None:
        return None
    offset = match["offset"]
    iso = (
        f"{day.isoformat()}T{int(match['hour']):02d}:{match['minute']}:{match['second'] or '00'}"
        f"{'.' + match['fraction'].ljust(6, '0') if match['fraction'] else ''}"
        f"{_iso_offset(offset) if offset else ''}"
    )
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def _iso_offset(offset: str) -> str:
    if offset.upper() == "Z":
        return "+00:00"
    sign, digits = offset[0], offset[1:].replace(":", "")
    return f"{sign}{digits[:2]}:{digits[2:]}"
