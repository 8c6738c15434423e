"""Business days in China: official holidays, make-up workdays, and years nobody knows yet."""

import logging
import os
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from bot.calendar import (
    BusinessCalendar,
    CalendarFileError,
    forget_warned_years,
    load_calendar_file,
)
from tests.support.calendar_years import LAST_KNOWN, UNKNOWN


def first(weekday: int, year: int, month: int = 1) -> date:
    """The first Monday (0) … Sunday (6) of a month."""
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def national_day_on_a_weekday(year: int) -> date:
    """The first weekday of 1-7 October (one of the statutory 1-3 October, off in every
    published year): off if the year is known, a working day under weekends only."""
    return next(
        day
        for day in (date(year, 10, 1) + timedelta(days=n) for n in range(7))
        if day.weekday() < 5
    )


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_golden_week_shifts_a_due_date_to_the_first_working_day_after_it() -> None:
    """2025-10-01 … 10-08 are off: a date in them moves to 2025-10-09."""
    calendar = BusinessCalendar()

    assert not calendar.is_business_day(date(2025, 10, 1))
    assert calendar.next_business_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert calendar.next_business_day(date(2025, 10, 8)) == date(2025, 10, 9)


def test_a_make_up_working_sunday_is_a_business_day() -> None:
    """Sunday 2025-09-28 is worked in exchange for the Golden Week: nothing shifts from it."""
    calendar = BusinessCalendar()

    assert calendar.is_business_day(date(2025, 9, 28))
    assert calendar.next_business_day(date(2025, 9, 28)) == date(2025, 9, 28)


def test_a_plain_weekend_shifts_to_monday() -> None:
    """Saturday 2026-12-12 moves to Monday 2026-12-14; a Wednesday stays put."""
    calendar = BusinessCalendar()

    assert calendar.next_business_day(date(2026, 12, 12)) == date(2026, 12, 14)
    assert calendar.next_business_day(date(2026, 12, 16)) == date(2026, 12, 16)


def test_the_official_rule_matches_the_package_on_every_day_it_knows() -> None:
    """Our fast lookup gives chinese_calendar.is_workday's answer for every day it knows."""
    calendar = BusinessCalendar()
    day = date(2004, 1, 1)
    while day.year <= LAST_KNOWN:
        assert calendar.is_business_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert calendar.unknown_years_seen == set()


def test_the_unknown_year_is_one_the_package_refuses() -> None:
    """The year the tests treat as unknown is one chinese_calendar raises for, the year before
    one it answers for: no test assumes what the installed release knows."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(UNKNOWN, 6, 1))
    chinese_calendar.is_workday(date(LAST_KNOWN, 6, 1))


@pytest.fixture(autouse=True)
def _new_process() -> None:
    """Each test warns as a new process would (the warnings are once per process)."""
    forget_warned_years()


def test_an_unknown_year_uses_weekends_only_and_warns_once(caplog) -> None:
    """A year not published yet: a National Day weekday counts as a plain working day, a
    Saturday moves to Monday, and one WARNING says so."""
    calendar = BusinessCalendar()
    saturday, sunday = first(5, UNKNOWN), first(6, UNKNOWN, 2)

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.is_business_day(national_day_on_a_weekday(UNKNOWN))
        assert calendar.next_business_day(saturday) == saturday + timedelta(days=2)
        assert calendar.next_business_day(sunday) == sunday + timedelta(days=1)

    [warning] = warnings_in(caplog)
    assert warning.startswith(f"no official holiday data for {UNKNOWN}: weekends only until")
    assert calendar.unknown_years_seen == {UNKNOWN}
    assert not calendar.known(UNKNOWN)
    assert calendar.known(LAST_KNOWN)
    assert not BusinessCalendar().is_business_day(national_day_on_a_weekday(LAST_KNOWN))


def test_each_unknown_year_warns_once(caplog) -> None:
    """Two unknown years: two warnings, however often each is asked about."""
    calendar = BusinessCalendar()

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        for _ in range(3):
            calendar.is_business_day(date(UNKNOWN, 5, 1))
            calendar.is_business_day(date(UNKNOWN + 1, 5, 1))

    assert len(warnings_in(caplog)) == 2
    assert calendar.unknown_years_seen == {UNKNOWN, UNKNOWN + 1}


def test_an_unknown_year_warns_once_per_process_however_many_calendars(caplog) -> None:
    """A `check` builds several calendars: the year is said once on stderr, not once each."""
    calendars = [BusinessCalendar() for _ in range(9)]

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        for calendar in calendars:
            calendar.is_business_day(date(UNKNOWN, 5, 1))

    assert len(warnings_in(caplog)) == 1
    assert all(c.unknown_years_seen == {UNKNOWN} for c in calendars)


def test_the_admins_dates_fill_an_unknown_year_without_a_warning(caplog) -> None:
    """With the first Friday of an unknown year listed as a holiday, the year is known and that
    Friday is a day off; a Saturday listed as a make-up workday is worked."""
    friday, saturday = first(4, UNKNOWN), first(5, UNKNOWN, 2)
    calendar = BusinessCalendar(holidays={friday}, workdays={saturday})

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.next_business_day(friday) == friday + timedelta(days=3)
        assert calendar.is_business_day(saturday)

    assert warnings_in(caplog) == []
    assert calendar.known(UNKNOWN)
    assert calendar.unknown_years_seen == set()


def test_the_admins_dates_override_the_official_ones() -> None:
    """A correction in the file wins: 2025-10-08 declared a workday ends the shift there."""
    calendar = BusinessCalendar(workdays={date(2025, 10, 8)})

    assert calendar.next_business_day(date(2025, 10, 1)) == date(2025, 10, 8)


def test_a_day_cannot_be_both_a_holiday_and_a_workday() -> None:
    """Contradictory extra dates are refused when the calendar is built."""
    with pytest.raises(ValueError, match="both a holiday and a workday: 2027-01-01"):
        BusinessCalendar(holidays={date(2027, 1, 1)}, workdays={date(2027, 1, 1)})


def test_the_longest_shift_covers_golden_week() -> None:
    """Checks pad their windows by max_shift_days: at least the 8 days of 2025-10-01 → 10-09."""
    assert BusinessCalendar().max_shift_days >= 8
    closure = {date(2027, 5, 1) + timedelta(days=n) for n in range(20)}
    assert BusinessCalendar(holidays=closure).max_shift_days >= 20


# --- the calendar file -----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_calendar_file_adds_holidays_and_workdays(tmp_path, caplog) -> None:
    """ISO strings or TOML dates; the year becomes known and nothing is logged."""
    path = write(
        tmp_path,
        '[2027]\nholidays = ["2027-01-01", 2027-02-08]\nworkdays = ["2027-02-20"]\n',
    )

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        calendar = load_calendar_file(path)
        assert not calendar.is_business_day(date(2027, 1, 1))
        assert not calendar.is_business_day(date(2027, 2, 8))
        assert calendar.is_business_day(date(2027, 2, 20))

    assert calendar.known(2027)
    assert warnings_in(caplog) == []


def test_an_empty_year_table_says_the_year_has_weekends_only(tmp_path, caplog) -> None:
    """A year's table with no dates: known, weekends only, and no warning."""
    calendar = load_calendar_file(write(tmp_path, f"[{UNKNOWN}]\n"))

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.is_business_day(national_day_on_a_weekday(UNKNOWN))
        assert not calendar.is_business_day(first(5, UNKNOWN))

    assert calendar.known(UNKNOWN)
    assert warnings_in(caplog) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[2027]\nholidays = ["2027-02-30"]\n', "'2027-02-30' is not a date"),
        ('[2027]\nholidays = ["1 Jan 2027"]\n', "'1 Jan 2027' is not a date"),
        ('[2027]\nholidays = ["20270101"]\n', "'20270101' is not a date"),
        ('[2027]\nholidays = ["2028-01-01"]\n', "2028-01-01 is not in 2027; put it under [2028]"),
        ('[2027]\nholidays = "2027-01-01"\n', "expected a list of dates"),
        ('[2027]\nholiday = ["2027-01-01"]\n', "unknown key 'holiday'"),
        ('[next-year]\nholidays = ["2027-01-01"]\n', "'next-year' is not a year"),
        ('["²⁰²⁷"]\nholidays = ["2027-01-01"]\n', "'²⁰²⁷' is not a year"),
        ("2027 = 1\n", "a year is a table"),
        (
            '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n',
            "2027-01-01 is listed both as a holiday and as a workday",
        ),
        ("[2027\n", "is not valid TOML at line 1, column 6; check its brackets and quotes there"),
    ],
)
def test_a_bad_calendar_file_says_what_is_wrong_and_where(tmp_path, text, message) -> None:
    """Every mistake names the file and the value, so the admin can fix it."""
    path = write(tmp_path, text)

    with pytest.raises(CalendarFileError) as raised:
        load_calendar_file(path)

    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_missing_calendar_file_is_a_clear_error(tmp_path) -> None:
    """The path and the reason, in our words (the system's are English), not a traceback."""
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(CalendarFileError) as raised:
        load_calendar_file(missing)
    assert str(raised.value) == f"cannot read calendar file {missing}: there is no such file"
    with pytest.raises(CalendarFileError) as folder:
        load_calendar_file(tmp_path)
    assert str(folder.value) == (
        f"cannot read calendar file {tmp_path}: it is a folder, not a file"
    )


def test_a_calendar_file_with_a_byte_order_mark_is_read(tmp_path) -> None:
    """An editor on Windows saves UTF-8 with a BOM: the file is read as if it had none."""
    path = tmp_path / "calendar.toml"
    path.write_bytes('[2027]\nholidays = ["2027-01-04"]\n'.encode("utf-8-sig"))

    assert not load_calendar_file(path).is_business_day(date(2027, 1, 4))


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_a_calendar_file_not_in_utf8_is_refused_saying_so(tmp_path, encoding) -> None:
    """A file saved as GB18030 (with a Chinese comment) or UTF-16 is a clear refusal, not a
    UnicodeDecodeError."""
    path = tmp_path / "calendar.toml"
    path.write_bytes('# 国务院通知\n[2027]\nholidays = ["2027-01-04"]\n'.encode(encoding))

    with pytest.raises(CalendarFileError) as raised:
        load_calendar_file(path)

    assert str(raised.value).startswith(f"calendar file {path} is not UTF-8 text (at byte ")
    assert str(raised.value).endswith("); save it as UTF-8")


def test_a_calendar_file_is_read_once_and_again_after_an_edit(tmp_path) -> None:
    """Each cycle asks for the calendar several times: the file is parsed once, and an admin's
    edit is seen at the next use, without a restart."""
    path = write(tmp_path, '[2027]\nholidays = ["2027-01-01"]\n')

    first_read = load_calendar_file(path)
    assert load_calendar_file(path) is first_read

    path.write_text('[2027]\nholidays = ["2027-01-01", "2027-01-04"]\n', encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    edited = load_calendar_file(path)

    assert edited is not first_read
    assert not edited.is_business_day(date(2027, 1, 4))
    assert first_read.is_business_day(date(2027, 1, 4))


def test_the_last_day_of_the_calendar_moves_nowhere() -> None:
    """A closed 9999-12-31 (a date written before the ledger kept to 2000-2100) has no day after
    it to move to: it stays, rather than the shift running off the calendar."""
    calendar = BusinessCalendar(holidays={date.max})

    assert calendar.next_business_day(date.max) == date.max
