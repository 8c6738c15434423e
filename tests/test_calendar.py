"""Business days in China: official holidays, make-up workdays, and years nobody knows yet."""

import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from bot.calendar import BusinessCalendar, CalendarFileError, load_calendar_file


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
    """Our fast lookup gives chinese_calendar.is_workday's answer for every day of 2004-2026."""
    calendar = BusinessCalendar()
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert calendar.is_business_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert calendar.unknown_years_seen == set()


def test_an_unknown_year_uses_weekends_only_and_warns_once(caplog) -> None:
    """2027 is not published yet: 2027-01-01 counts as a plain Friday, and one WARNING says so."""
    calendar = BusinessCalendar()

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.is_business_day(date(2027, 1, 1))
        assert calendar.next_business_day(date(2027, 1, 2)) == date(2027, 1, 4)
        assert calendar.next_business_day(date(2027, 2, 6)) == date(2027, 2, 8)

    [warning] = warnings_in(caplog)
    assert warning.startswith("no official holiday data for 2027: weekends only until")
    assert calendar.unknown_years_seen == {2027}
    assert not calendar.known(2027)
    assert calendar.known(2026)


def test_each_unknown_year_warns_once(caplog) -> None:
    """2027 and 2028 both unknown: two warnings, however often each is asked about."""
    calendar = BusinessCalendar()

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        for _ in range(3):
            calendar.is_business_day(date(2027, 5, 1))
            calendar.is_business_day(date(2028, 5, 1))

    assert len(warnings_in(caplog)) == 2
    assert calendar.unknown_years_seen == {2027, 2028}


def test_the_admins_dates_fill_an_unknown_year_without_a_warning(caplog) -> None:
    """With 2027-01-01 listed as a holiday, 2027 is known and the Friday is a day off."""
    calendar = BusinessCalendar(holidays={date(2027, 1, 1)}, workdays={date(2027, 2, 20)})

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.next_business_day(date(2027, 1, 1)) == date(2027, 1, 4)
        assert calendar.is_business_day(date(2027, 2, 20))  # a make-up Saturday

    assert warnings_in(caplog) == []
    assert calendar.known(2027)
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
    """`[2027]` with no dates: known, weekends only, and no warning."""
    calendar = load_calendar_file(write(tmp_path, "[2027]\n"))

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        assert calendar.is_business_day(date(2027, 1, 1))

    assert calendar.known(2027)
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
        ("2027 = 1\n", "a year is a table"),
        (
            '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n',
            "2027-01-01 is listed both as a holiday and as a workday",
        ),
        ("[2027\n", "is not valid TOML"),
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
    """The path and the reason, not a traceback."""
    with pytest.raises(CalendarFileError, match=r"cannot read calendar file .*nowhere\.toml"):
        load_calendar_file(tmp_path / "nowhere.toml")
