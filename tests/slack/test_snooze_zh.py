"""`/loan 暂缓 <id> 4小时`: a snooze typed in Chinese units, answered in Chinese (signed requests
through the real server)."""

from tests.slack.test_answer_zones import london_line, open_alert_on
from tests.support.slack_app import BOB, SlackApp


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
