"""Durations in Chinese: the units a Chinese reader types, and refusals in their language."""

from datetime import timedelta

import pytest

from bot.durations import duration_words, parse_duration
from bot.errors import InputError
from bot.i18n import N_, PSEUDO, ZH, use
from tests.support.pseudo import unmarked


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4小时", timedelta(hours=4)),
        ("４小时", timedelta(hours=4)),
        ("4个小时", timedelta(hours=4)),
        ("2时", timedelta(hours=2)),
        ("30分钟", timedelta(minutes=30)),
        ("３０分", timedelta(minutes=30)),
        ("1天", timedelta(days=1)),
        ("2日", timedelta(days=2)),
        ("1天4小时", timedelta(days=1, hours=4)),
        ("1小时30分钟", timedelta(hours=1, minutes=30)),
        ("１天　４小时", timedelta(days=1, hours=4)),
    ],
)
def test_a_duration_reads_chinese_units(typed: str, expected: timedelta) -> None:
    assert parse_duration(typed) == expected


@pytest.mark.parametrize("typed", ["1个月", "4小时30", "半小时", "30分钟4小时", "1周"])
def test_a_chinese_duration_loanwatch_cannot_read_is_refused(typed: str) -> None:
    with pytest.raises(InputError, match="is not a duration"):
        parse_duration(typed)


def test_the_refusals_are_in_chinese() -> None:
    with use(ZH):
        with pytest.raises(InputError) as bad:
            parse_duration("4 hours")
        with pytest.raises(InputError) as negative:
            parse_duration("-4小时", N_("snooze"))
        with pytest.raises(InputError) as zero:
            parse_duration("0分钟")
        with pytest.raises(InputError) as long:
            parse_duration("400天")
    assert str(bad.value).startswith("'4 hours' 不是有效时长；请写数字加单位：30分钟（30m）")
    assert str(negative.value) == "'-4小时' 是负数；暂缓时长必须大于零，例如 30分钟 或 4小时"
    assert "时长为零" in str(zero.value)
    assert str(long.value) == "'400天' 过长；时长最多 366 天"


def test_the_english_refusals_are_as_before() -> None:
    with pytest.raises(InputError) as negative:
        parse_duration("-4h", N_("snooze"))
    assert str(negative.value) == "'-4h' is negative; a snooze must be positive, e.g. 30m or 4h"


@pytest.mark.parametrize("typed", ["forever", "-4h", "0m", "400d"])
def test_every_refusal_goes_through_the_catalogs(typed: str) -> None:
    with use(PSEUDO), pytest.raises(InputError) as refused:
        parse_duration(typed, N_("snooze"))
    assert unmarked([str(refused.value)], allowed={"forever"}) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4 小时", timedelta(hours=4)),
        ("1 天 4 小时", timedelta(days=1, hours=4)),
        ("４ 小时", timedelta(hours=4)),
        ("4 h", timedelta(hours=4)),
    ],
)
def test_a_number_and_its_unit_may_stand_apart(typed: str, expected: timedelta) -> None:
    assert parse_duration(typed) == expected


@pytest.mark.parametrize(
    ("words", "taken"),
    [
        (["4", "小时", "bank", "maintenance"], 2),
        (["4小时", "bank"], 1),
        (["1d", "4h", "upgrade"], 2),  # as `2d 4h` reads on its own
        (["1", "天", "4", "小时", "升级"], 4),
        (["4", "bank"], 1),  # refused: "4" is not a duration
        (["soon"], 1),
    ],
)
def test_a_duration_in_a_commands_words_takes_its_unit_along(words, taken) -> None:
    assert duration_words(words) == taken


def test_a_number_of_thousands_of_digits_is_too_long_not_a_crash() -> None:
    typed = "9" * 5000 + "h"
    with pytest.raises(InputError) as english:
        parse_duration(typed)
    with use(ZH), pytest.raises(InputError) as chinese:
        parse_duration("１" * 5000 + "小时")
    with use(PSEUDO), pytest.raises(InputError) as pseudo:
        parse_duration(typed)
    assert "is too long; a duration can be at most 366 days" in str(english.value)
    assert "过长；时长最多 366 天" in str(chinese.value)
    assert len(str(english.value)) < 120  # what was typed is shortened, not repeated whole
    assert unmarked([str(pseudo.value)], allowed={"9" * 39}) == []
    # Leading zeros are no length: 0000000004h is 4 hours.
    assert parse_duration("0000000004h") == timedelta(hours=4)
