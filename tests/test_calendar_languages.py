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
    "[2027\n",
    "x = \n",
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
    assert refused(missing, ZH) == f"无法读取日历文件 {missing}：文件不存在"


def test_a_file_that_is_not_toml_or_not_utf8_is_refused_in_chinese(tmp_path) -> None:
    """tomllib's and the codec's words are English: ours say where (a TOML line and column)."""
    toml = write(tmp_path, "[2027\n")
    assert refused(toml, ZH) == (
        f"日历文件 {toml} 第 1 行第 6 列不符合 TOML 格式；请检查该处的括号和引号"
    )
    gb = tmp_path / "gb.toml"
    gb.write_bytes("# 国务院通知\n[2027]\n".encode("gb18030"))
    assert refused(gb, ZH) == f"日历文件 {gb} 不是 UTF-8 文本（第 3 个字节）；请另存为 UTF-8 编码"


@pytest.mark.parametrize("text", BAD)
def test_every_refusal_of_a_calendar_file_goes_through_the_catalogs(tmp_path, text) -> None:
    said = refused(write(tmp_path, text), PSEUDO)
    assert unmarked([said], allowed=DATA | set(tmp_path.parts)) == []


def test_a_missing_a_folder_and_a_gb18030_calendar_file_go_through_the_catalogs(tmp_path) -> None:
    gb = tmp_path / "gb.toml"
    gb.write_bytes("# 国务院通知\n[2027]\n".encode("gb18030"))
    said = [refused(path, PSEUDO) for path in (tmp_path / "nowhere.toml", tmp_path, gb)]
    assert unmarked(said, allowed=DATA | {"nowhere", "gb"} | set(tmp_path.parts)) == []
