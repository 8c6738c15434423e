"""Business days in mainland China: public holidays and the make-up working days around them.

The official calendar comes from `chinese_calendar`, which only knows the years the State Council
has published (it raises NotImplementedError for the others; in late 2026 that includes 2027,
where a 12-month draw already lands). For a year it does not know, this module never guesses the
holidays: it counts Saturdays and Sundays as the only days off, logs one WARNING per year and
process saying so (however many calendars the process builds), and remembers the year in
:attr:`BusinessCalendar.unknown_years_seen`. Which unknown years people are told about (an
admin alert, `/loan status`, App Home) is `bot.holidays`' rule. An admin fills the gap with a
calendar file (:func:`load_calendar_file`) as soon as the official notice is out; dates in
that file also override the package's data for known years.
"""

import errno
import logging
import re
import threading
import tomllib
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path

import chinese_calendar

from bot.errors import InputError
from bot.i18n import N_, _

log = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# ASCII digits only: str.isdigit() also takes "²⁰²⁷", which int() then refuses.
_YEAR = re.compile(r"[0-9]{4}")
# The longest span business time is counted over: a little more than the longest window (a year).
BUSINESS_TIME_SPAN = timedelta(days=400)
# No real closure lasts this long; a calendar that claims one is broken, not a long holiday.
_MAX_CLOSURE_DAYS = 60


class CalendarFileError(InputError):
    """The admin's calendar file cannot be used: the message names the file, year and value."""


class BusinessCalendar:
    """Which days are working days for the platforms and the company.

    `holidays` and `workdays` are the admin's extra dates (from a calendar file). They win over
    the official data. A year the package does not know but the admin covers (any year their
    dates fall in, plus `years`) is weekends plus those dates, and raises no warning.

    Each unknown year warns once per process, however many instances it builds.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        *,
        years: Iterable[int] = (),
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"a day cannot be both a holiday and a workday: {listed}")
        self.admin_years = frozenset(years) | {d.year for d in self.holidays | self.workdays}
        self._unknown_years_seen: set[int] = set()
        self._lock = threading.Lock()

    def is_business_day(self, day: date) -> bool:
        """True on a working day: a weekday that is no holiday, or an official make-up workday."""
        return self._is_business_day(day, warn=True)

    def next_business_day(self, day: date) -> date:
        """`day` itself if it is a business day, else the first one after it.

        This is the holiday-shifted due date: a bill due on 2025-10-01 (National Day) is
        collected on 2025-10-09, the first working day after the Golden Week.
        """
        return self._next_business_day(day, warn=True)

    def business_time_between(self, start: datetime, end: datetime, zone: tzinfo) -> timedelta:
        """How much of [start, end) falls on business days, in `zone`: "business hours".

        A business day counts whole, midnight to midnight where the facility is; a weekend or a
        holiday counts nothing. Friday 09:00 to Monday 09:00 is 24 business hours, not 72. A
        span longer than :data:`BUSINESS_TIME_SPAN` is counted over its last part only (the
        callers ask whether a window of at most a year has passed).
        """
        if end <= start:
            return timedelta(0)
        start = max(start, end - BUSINESS_TIME_SPAN)
        counted = timedelta(0)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        while day <= last:
            if self.is_business_day(day):
                opens = datetime.combine(day, time(0), tzinfo=zone)
                closes = datetime.combine(day + ONE_DAY, time(0), tzinfo=zone)
                counted += max(min(end, closes) - max(start, opens), timedelta(0))
            day += ONE_DAY
        return counted

    def known(self, year: int) -> bool:
        """True when the year's holidays are known: officially, or from the admin's file."""
        return year in self.admin_years or _official(year)

    @property
    def unknown_years_seen(self) -> set[int]:
        """Years a date was asked about without holiday data (weekends only was used)."""
        with self._lock:
            return set(self._unknown_years_seen)

    @cached_property
    def max_shift_days(self) -> int:
        """The most days :meth:`next_business_day` can move a date, over every known year.

        Checks pad their SQL date windows by this much so a holiday-shifted due date is never
        outside what they fetch. A longest closure starts at, or just before (a weekend), some
        holiday, so only holidays are walked; computed without the unknown-year warning.
        """
        longest = 2  # a weekend, in a year nobody knows anything else about
        for holiday in set(chinese_calendar.holidays) | self.holidays:
            first = holiday
            while not self._is_business_day(first - ONE_DAY, warn=False):
                first -= ONE_DAY
            longest = max(longest, (self._next_business_day(first, warn=False) - first).days)
        return longest

    def _next_business_day(self, day: date, *, warn: bool) -> date:
        shifted = day
        while not self._is_business_day(shifted, warn=warn):
            if shifted == date.max:  # a date written before the ledger kept to 2000-2100
                return shifted
            shifted += ONE_DAY
            if (shifted - day).days > _MAX_CLOSURE_DAYS:
                raise ValueError(
                    f"no business day within {_MAX_CLOSURE_DAYS} days after {day.isoformat()}; "
                    "check the calendar file's holidays"
                )
        return shifted

    def _is_business_day(self, day: date, *, warn: bool) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        official = _official_workday(day)
        if official is not None:
            return official
        if warn and day.year not in self.admin_years:
            self._saw_unknown_year(day.year)
        return day.weekday() < 5

    def _saw_unknown_year(self, year: int) -> None:
        with self._lock:
            if year in self._unknown_years_seen:
                return
            self._unknown_years_seen.add(year)
        with _WARNED_LOCK:
            if year in _WARNED_YEARS:
                return  # another calendar of this process said it already
            _WARNED_YEARS.add(year)
        log.warning(
            "no official holiday data for %d: weekends only until an admin adds that year's "
            "holidays and make-up workdays to the calendar file",
            year,
            extra={"unknown_year": year},  # a short command says it to the person (bot/cli)
        )


# The unknown years warned about in this process. One run builds several calendars (each
# command's `settings.calendar()`, a default here and there): the warning is said once per
# process and year, while each calendar still remembers the years it saw.
_WARNED_YEARS: set[int] = set()
_WARNED_LOCK = threading.Lock()


def forget_warned_years() -> None:
    """Let every unknown year warn again, as in a new process (for tests)."""
    with _WARNED_LOCK:
        _WARNED_YEARS.clear()


def _official(year: int) -> bool:
    return year in _OFFICIAL_YEARS


# The years the package has data for. Its `is_workday` rescans its tables on every call, which
# the checks would feel; the rule is simple enough to apply to its published tables directly
# (tests/test_calendar.py compares the two over every known day).
_OFFICIAL_YEARS = range(
    min(day.year for day in chinese_calendar.holidays),
    max(day.year for day in chinese_calendar.holidays) + 1,
)


def _official_workday(day: date) -> bool | None:
    """The official answer for a day, or None for a year the package has no data for."""
    if day.year not in _OFFICIAL_YEARS:
        return None
    return day in chinese_calendar.workdays or (
        day.weekday() < 5 and day not in chinese_calendar.holidays
    )


def load_calendar_file(path: Path | str) -> BusinessCalendar:
    """The calendar an admin's file describes, read again only when the file has changed.

    Every check cycle and prompt run asks for the calendar several times; the file is parsed
    once per version (its modification time and size) and the same calendar is handed back,
    so an edit is picked up at the next use without a restart. Errors are never remembered.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return _parsed_calendar_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed_calendar_file(path: Path, _mtime_ns: int, _size: int) -> BusinessCalendar:
    """Read an admin's calendar file: one table per year with `holidays` and `workdays` lists.

    ```toml
    [2027]
    holidays = ["2027-01-01", "2027-02-06", "2027-02-07"]
    workdays = ["2027-02-14"]
    ```

    Dates are ISO strings (or TOML dates) inside their own year. A year's table may be empty:
    it still says "this year's calendar is known: weekends and nothing else".
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    document = _toml_of(path, raw)

    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for key, table in document.items():
        where = _("calendar file {path}, [{year}]").format(path=path, year=key)
        if not _YEAR.fullmatch(key):
            raise CalendarFileError(
                _("{where}: tables are years, like [2027]; {key} is not a year").format(
                    where=where, key=repr(key)
                )
            )
        if not isinstance(table, dict):
            raise CalendarFileError(
                _("{where}: a year is a table with holidays = [...] and workdays = [...]").format(
                    where=where
                )
            )
        year = int(key)
        unknown = set(table) - {"holidays", "workdays"}
        if unknown:
            raise CalendarFileError(
                _("{where}: unknown key {key}; use holidays and workdays").format(
                    where=where, key=repr(sorted(unknown)[0])
                )
            )
        years.add(year)
        holidays |= _dates(table.get("holidays", []), year, where, "holidays")
        workdays |= _dates(table.get("workdays", []), year, where, "workdays")
    both = holidays & workdays
    if both:
        raise CalendarFileError(
            _("calendar file {path}: {day} is listed both as a holiday and as a workday").format(
                path=path, day=min(both).isoformat()
            )
        )
    return BusinessCalendar(holidays, workdays, years=years)


def _toml_of(path: Path, raw: bytes) -> dict:
    """The file's TOML, read as UTF-8 (a byte-order mark first is skipped, as editors on Windows
    write one). Not UTF-8, or not TOML, is refused in our words: tomllib's are English, and
    only the place it names (line and column) is kept."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarFileError(
            _("calendar file {path} is not UTF-8 text (at byte {offset}); save it as UTF-8").format(
                path=path, offset=f"{exc.start + 1:,}"
            )
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        place = _TOML_PLACE.search(str(exc))
        if place is None:
            error = _("calendar file {path} is not valid TOML; check its brackets and quotes")
        else:
            error = _(
                "calendar file {path} is not valid TOML at line {line}, column {column}; check "
                "its brackets and quotes there"
            )
        words = place.groupdict() if place else {}
        raise CalendarFileError(error.format(path=path, **words)) from exc


# Where tomllib says a mistake is, at the end of its (English) message.
_TOML_PLACE = re.compile(r"\(at line (?P<line>[0-9]+), column (?P<column>[0-9]+)\)$")
# Why a file cannot be read, in our words: the system's own (strerror) are English.
_WHY_UNREADABLE = {
    errno.ENOENT: N_("there is no such file"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("a part of its path is not a folder"),
    errno.EACCES: N_("loanwatch is not allowed to read it"),
    errno.EPERM: N_("loanwatch is not allowed to read it"),
}


def _unreadable(path: Path, error: OSError) -> CalendarFileError:
    why = _WHY_UNREADABLE.get(error.errno or 0)
    reason = (
        _(why)
        if why
        else _("the system refused to open it ({code})").format(
            code=errno.errorcode.get(error.errno or 0, type(error).__name__)
        )
    )
    return CalendarFileError(
        _("cannot read calendar file {path}: {reason}").format(path=path, reason=reason)
    )


def _dates(values: object, year: int, where: str, key: str) -> set[date]:
    """The dates of one list (`key`: holidays or workdays) of a year's table."""
    if not isinstance(values, list):
        raise CalendarFileError(
            _('{where} {key}: expected a list of dates like ["{year}-01-01"]').format(
                where=where, key=key, year=year
            )
        )
    days = set()
    for value in values:
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        else:
            day = _iso_date(value)
            if day is None:
                raise CalendarFileError(
                    _(
                        '{where} {key}: {value} is not a date; write it as "YYYY-MM-DD", '
                        'e.g. "{year}-01-01"'
                    ).format(where=where, key=key, value=repr(value), year=year)
                )
        if day.year != year:
            raise CalendarFileError(
                _("{where} {key}: {day} is not in {year}; put it under [{other}]").format(
                    where=where, key=key, day=day.isoformat(), year=year, other=day.year
                )
            )
        days.add(day)
    return days


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
