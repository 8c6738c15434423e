"""Durations in Chinese: the units a Chinese reader types, and refusals in their language."""

from datetime import timedelta

import pytest

from bot.durations import parse_duration
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
