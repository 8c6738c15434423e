"""`/loan 暂缓 <id> 4小时`: a snooze typed in Chinese units, answered in Chinese (signed requests
through the real server)."""

from tests.slack.test_answer_zones import london_line, open_alert_on
from tests.support.slack_app import ALICE, BOB, SlackApp


def test_a_snooze_in_chinese_units_is_read_and_answered_in_chinese(
    app: SlackApp, slack, sessions, settings, clock
) -> None:
    slack.locales[BOB] = "zh-CN"
    alert_id = open_alert_on(sessions, london_line(sessions, clock).id, settings, clock())

    answer = app.command(f"暂缓 {alert_id} ４小时", user=BOB).text

    assert answer.startswith(f"告警 {alert_id} ")
    assert "不是有效时长" not in answer


def test_a_duration_it_cannot_read_is_explained_in_chinese(app: SlackApp, slack) -> None:
    slack.locales[BOB] = "zh-CN"

    answer = app.command("暂缓 1 4钟", user=BOB).text
    negative = app.command("暂缓 1 -4小时", user=BOB).text

    assert "'4钟' 不是有效时长；请写数字加单位：30分钟（30m）、4小时（4h）" in answer
    assert "'-4小时' 是负数；暂缓时长必须大于零" in negative


def test_a_number_and_its_chinese_unit_apart_are_one_duration(
    app: SlackApp, slack, sessions, settings, clock
) -> None:
    """`/loan 暂缓 ID 4 小时`, a space before the unit: snoozed for 4 hours (the London line's
    06:00), not refused as a missing duration."""
    slack.locales[BOB] = "zh-CN"
    alert_id = open_alert_on(sessions, london_line(sessions, clock).id, settings, clock())

    answer = app.command(f"暂缓 {alert_id} 4 小时", user=BOB).text

    assert answer == f"告警 {alert_id} 已暂缓至 12月1日（周二）06:00（GMT）。"


def test_a_silence_takes_a_number_and_its_unit_apart_and_the_rest_is_its_reason(
    app: SlackApp, slack, sessions, clock
) -> None:
    london_line(sessions, clock)
    slack.locales[ALICE] = "zh-CN"

    answer = app.command("静默 hsbc-london 2 小时 银行系统维护", user=ALICE).text

    assert "12月1日（周二）04:00" in answer
    assert answer.endswith("：银行系统维护")


def test_a_duration_of_thousands_of_digits_is_refused_as_too_long(app: SlackApp, slack) -> None:
    slack.locales[BOB] = "zh-CN"

    answer = app.command("暂缓 1 " + "9" * 5000 + "小时", user=BOB).text

    assert "过长；时长最多 366 天" in answer
    assert "Something went wrong" not in answer
    assert "出错" not in answer
