"""An admin's calendar file refused in the reader's language: Chinese naming the file, the
year and the value; every refusal through the catalogs (the English is tests/test_calendar.py's)."""

from pathlib import Path

import pytest

from bot.calendar import CalendarFileError, load_calendar_file
from bot.i18n import PSEUDO, ZH, use
from tests.support.pseudo import unmarked

# The file's own words, typed back: its keys, and the values it holds.
DATA = {"holidays", "workdays", "holiday", "next", "year", "toml", "calendar", "YYYY", "MM", "DD"}
BAD = [
    '[2027]\nholidays = ["2027-02-30"]\n',
    '[2027]\nholidays = ["2028-01-01"]\n',
    '[2027]\nholidays = "2027-01-01"\n',
    '[2027]\nholiday = ["2027-01-01"]\n',
    '[next-year]\nholidays = ["2027-01-01"]\n',
    "2027 = 1\n",
    '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n',
]


def refused(path: Path, language: str) -> str:
    with use(language), pytest.raises(CalendarFileError) as error:
        load_calendar_file(path)
    return str(error.value)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_date_in_the_wrong_year_is_refused_in_chinese_with_where_it_belongs(tmp_path) -> None:
    path = write(tmp_path, '[2027]\nholidays = ["2028-01-01"]\n')
    assert refused(path, ZH) == (
        f"日历文件 {path} 的 [2027] holidays：2028-01-01 不在 2027 年内；请放到 [2028] 下"
    )


def test_a_day_both_holiday_and_workday_and_a_key_that_is_no_year_in_chinese(tmp_path) -> None:
    both = write(tmp_path, '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n')
    assert refused(both, ZH) == f"日历文件 {both}：2027-01-01 同时被列为节假日和调休上班日"
    year = write(tmp_path, '[next-year]\nholidays = ["2027-01-01"]\n')
    assert refused(year, ZH) == (
        f"日历文件 {year} 的 [next-year]：表名须是年份，例如 [2027]；'next-year' 不是年份"
    )
    missing = tmp_path / "nowhere.toml"
    assert refused(missing, ZH).startswith(f"无法读取日历文件 {missing}：")


@pytest.mark.parametrize("text", BAD)
def test_every_refusal_of_a_calendar_file_goes_through_the_catalogs(tmp_path, text) -> None:
    said = refused(write(tmp_path, text), PSEUDO)
    assert unmarked([said], allowed=DATA | set(tmp_path.parts)) == []
