"""The digest and `/loan status` in each reader's language, through the real server: a channel
set to zh-CN gets its digest (message, chart) in Chinese and an unset one English; `/loan
status` answers a zh-CN user in Chinese and an en-US user in English; the status reply under the
pseudo-locale has no English that went past the catalogs."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.audit import Actor
from bot.dashboard import AlertLine, Dashboard, ReadingLine
from bot.i18n import PSEUDO, ZH, use
from bot.languages import set_channel_language
from bot.ledger.portfolio import PositionLine, UpcomingLine
from bot.slack.commands.status import render
from tests.slack.test_alert_buttons import deliver
from tests.slack.test_commands import open_alerts
from tests.support.pseudo import unmarked
from tests.support.slack_app import ALERTS, ALICE, CHARLIE, TEAM_CHANNEL

# Only one database for the signed requests: the wording does not depend on it.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DANA = Actor("cli:dana", "cli")


def _chinese_channel(sessions, clock, channel: str = ALERTS) -> None:
    with sessions.begin() as session:
        set_channel_language(session, channel, "zh-CN", actor=DANA, now=clock())


def _only_message(slack, channel: str):
    [message] = [m for m in slack.messages(channel) if m.blocks]
    return message


@ON_SQLITE
def test_a_chinese_channel_gets_its_digest_in_chinese_an_unset_one_in_english(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """#loan-alerts is set to zh-CN: its digest's message, fallback and chart title are
    Chinese. #finance has no language: its digest (the whole portfolio) is English. Charlie's
    reply is in his own language (en-US) either way."""
    _chinese_channel(sessions, clock)
    assert app.command("draw jiebei-main 10,000 12m", channel=ALERTS).status == 200

    asked = app.command("digest", user=CHARLIE, channel=ALERTS)
    assert "on its way to this channel" in asked.text
    app.command("digest", user=CHARLIE, channel=TEAM_CHANNEL)
    deliver(sessions, settings, clock)

    chinese = _only_message(slack, ALERTS)
    shown = json.dumps(chinese.blocks, ensure_ascii=False)
    assert chinese.text.startswith("每日摘要 · 12月1日（周二）：1个额度")
    assert "授信额度：额度、已用、可用、使用率" in shown
    assert "jiebei-main，jiebei：额度 ¥200,000.00（20万） · 已用 ¥10,000.00" in shown
    assert "13周现金流（各额度应还款及可用额度）见消息列中的 cashflow-2026-12-01.png" in shown
    assert "limit" not in shown
    [chart] = [f for reply in slack.thread(ALERTS, chinese.ts) for f in reply.files]
    assert chart["title"] == "cashflow-2026-12-01.png"

    english = _only_message(slack, TEAM_CHANNEL)
    assert english.text.startswith("Daily digest · 2026-12-01: 1 facilities")
    assert "limit ¥200,000.00 · used ¥10,000.00" in json.dumps(english.blocks, ensure_ascii=False)


@ON_SQLITE
def test_a_chinese_user_asking_for_the_digest_is_answered_in_chinese(app, jiebei, slack) -> None:
    slack.locales[CHARLIE] = "zh-CN"

    asked = app.command("digest", user=CHARLIE, channel=ALERTS)
    refused = app.command("digest now", user=CHARLIE, channel=ALERTS)

    assert asked.text.startswith("每日摘要正在发往本频道")
    assert "`digest` 后面不接任何内容" in refused.text


@ON_SQLITE
def test_status_is_chinese_for_a_chinese_user_and_english_for_an_english_one(
    app, jiebei, sessions, clock, slack
) -> None:
    """Charlie reads Slack in zh-CN, Alice in en-US, in the same channel."""
    slack.locales[CHARLIE] = "zh-CN"
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    [alert_id] = open_alerts(sessions, jiebei.id, clock())

    chinese = app.command("status jiebei-main", user=CHARLIE)
    english = app.command("status jiebei-main", user=ALICE)

    assert chinese.body["response_type"] == "ephemeral"
    for phrase in (
        "*jiebei-main*：额度 ¥200,000.00（20万） · 已用 ¥10,000.00 · 可用 ¥190,000.00",
        f"*未解决告警*（1）\n• {alert_id} 警告 账单缺失：",
        "暂无平台额度读数。",
    ):
        assert phrase in chinese.text, phrase
    assert "limit" not in chinese.text
    assert "*jiebei-main*: limit ¥200,000.00 · used ¥10,000.00" in english.text
    assert f"• {alert_id} warning bill_missing" in english.text


def _board() -> Dashboard:
    return Dashboard(
        positions=[
            PositionLine(1, "jb-1", "借呗主额度", "CNY", Decimal("300000"), Decimal("1000")),
        ],
        due_this_week=[UpcomingLine(date(2026, 12, 10), "jb-1", "CNY", Decimal("899.75"))],
        open_alerts=[
            AlertLine(7, "critical", "limit_frozen", "额度被冻结", "U0BOB"),
            AlertLine(8, "warning", "bill_missing", "十二月账单未出", None),
        ],
        open_alert_count=2,
        latest_reading=ReadingLine(
            datetime(2026, 12, 1, 1, tzinfo=UTC),
            Decimal("0"),
            Decimal("0"),
            "frozen",
            "Asia/Shanghai",
        ),
    )


def _when(at: datetime, zone: str | None) -> str:
    return at.isoformat()


def test_every_text_of_status_goes_through_the_catalogs() -> None:
    """Under the pseudo-locale: the portfolio, one facility with its reading, and the empty
    dashboard leave no English outside the marks."""
    empty = Dashboard([], [], [], 0)
    with use(PSEUDO):
        shown = [
            render(_board(), one=True, when=_when, today=date(2026, 12, 7)),
            render(_board(), one=False, when=_when),
            render(empty, one=True, when=_when),
            render(replace(empty, unknown_years=(2027,)), one=False, when=_when),
        ]

    assert unmarked(shown, allowed={"jb-1"}) == []


def test_status_in_chinese_with_long_names_stays_within_a_slack_text() -> None:
    board = _board()
    long = Dashboard(
        positions=board.positions * 5,
        due_this_week=board.due_this_week * 20,
        open_alerts=[AlertLine(9, "warning", "bill_missing", "账单" * 150, None)] * 20,
        open_alert_count=20,
    )
    with use(ZH):
        text = render(long, one=False, when=_when, today=date(2026, 12, 7))
        one = render(board, one=True, when=_when, today=date(2026, 12, 7))

    assert len(text) <= 3000
    assert "• 12月10日（周四） jb-1：¥899.75" in text
    assert "平台数据（2026-12-01T01:00:00+00:00）：额度 ¥0.00，可用 ¥0.00，已冻结" in one
    assert "• 7 严重 额度冻结：额度被冻结（<@U0BOB> 已确认）" in one
    with use(ZH):
        warned = render(replace(board, unknown_years=(2027,)), one=False, when=_when)
    assert warned.startswith("⚠️ loanwatch 尚未录入2027年的法定节假日")
