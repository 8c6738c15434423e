"""Signed requests from people who read Chinese and English: `/loan ticket …`, the ticket form,
`/loan oncall`, and a ticket posted to a channel set to Chinese. Bob's Slack is zh-CN, Alice's
en-US (the fake Slack's users.info)."""

import json
from collections.abc import Iterator

import pytest
from slack_sdk.models.views import View
from sqlalchemy import select

from bot import audit
from bot.alerts.resolve_reasons import CONDITION_CLEARED, reason
from bot.audit import Actor
from bot.i18n import PSEUDO
from bot.languages import set_channel_language
from bot.models import Ticket
from bot.oncall.rotations import add_rotation
from bot.tickets.timeline import write_entry
from bot.tickets.words import EntryKind
from tests.slack.test_alert_buttons import deliver
from tests.slack.test_ticket_commands import top_ticket
from tests.support.pseudo import texts_of, unmarked
from tests.support.slack_app import ALERTS, ALICE, BOB, SlackApp, app_settings

DANA = Actor("cli:dana", "cli")


def test_a_chinese_reader_opens_and_lists_tickets_in_chinese_an_english_one_in_english(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    slack.locales[BOB] = "zh-CN"
    opened = app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    assert opened.text == ("已向 jiebei-main 所属平台提交工单 T-1；工单消息稍后发到该额度的频道。")
    listed = app.command("ticket list", user=BOB).text
    assert "*T-1* jiebei-main：十二月账单缺失——尚未发给借呗" in listed
    assert "负责人 <@U0BOB>" in listed
    assert "not sent to" in app.command("ticket list", user=ALICE).text
    assert "没有工单 T-9；`loanwatch ticket list --state all` 可查看全部工单" in (
        app.command("ticket show T-9", user=BOB).text
    )
    assert "请指定工单，例如 T-3" in app.command("ticket note", user=BOB).text
    assert "say which ticket" in app.command("ticket note", user=ALICE).text


def test_the_ticket_form_is_in_the_openers_language(app, jiebei, slack) -> None:
    slack.locales[BOB] = "zh-CN"
    assert app.command("ticket", user=BOB).body == {}
    assert app.command("ticket", user=ALICE).body == {}
    zh, en = [v for v in slack.views if v["method"] == "views.open"]
    View(**{k: v for k, v in zh.items() if k not in ("method", "trigger_id")}).validate_json()
    assert zh["title"]["text"] == "向平台提交工单"
    said = " ".join(texts_of(zh["blocks"]))
    for label in ("额度", "主题", "用款记录：往前天数", "补充给平台的说明"):
        assert label in said
    assert (zh["submit"]["text"], zh["close"]["text"]) == ("向平台提交工单", "取消")
    assert en["title"]["text"] == "Open a ticket"


def test_oncall_answers_a_chinese_reader_in_chinese(app, sessions, clock, slack) -> None:
    with sessions.begin() as session:
        add_rotation(
            session,
            DANA,
            "finance",
            members="U0ANN,U0BEN",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )
    slack.locales[BOB] = "zh-CN"
    assert app.command("oncall", user=BOB).text == (
        "*finance*：<@U0ANN> 值班至 12月7日（周一）09:00，之后由 <@U0BEN> 接班"
    )
    assert app.command("oncall take until 18:00", user=BOB).text == (
        "你在 *finance* 值班至 12月1日（周二）18:00（由 <@U0BOB> 设置）。"
    )
    assert "不是值班命令的用法" in app.command("oncall nap", user=BOB).text
    assert app.command("oncall", user=ALICE).text.startswith("*finance*: <@U0BOB> (override)")


def test_a_ticket_in_a_chinese_channel_is_posted_in_chinese(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    with sessions.begin() as session:
        set_channel_language(session, ALERTS, "zh-CN", actor=DANA, now=clock())
    app.command("ticket jiebei-main 十二月账单缺失", user=ALICE)  # Alice reads English
    deliver(sessions, settings, clock)
    posted = top_ticket(slack)
    assert posted.text.startswith("工单 T-1 · 尚未发给借呗")
    said = json.dumps(posted.blocks, ensure_ascii=False)
    for button in ("登记回复", "添加备注", "标记为已发送", "关闭"):
        assert button in said
    thread = [m.text for m in slack.thread(ALERTS, posted.ts)]
    assert any("提交了 T-1。" in line and "需人工联系" in line for line in thread)


@pytest.fixture
def pseudo_app(database_url, slack, sessions, clock) -> Iterator[SlackApp]:
    """The server of a workspace whose language is the pseudo-locale: Bob's Slack is ja-JP,
    neither Chinese nor English, so he reads the workspace's."""
    slack.locales[BOB] = "ja-JP"
    settings = app_settings(database_url, slack.api_url, language=PSEUDO)
    with SlackApp.start(settings, sessions, clock=clock) as running:
        yield running


def test_every_ticket_and_oncall_reply_and_the_form_go_through_the_catalogs(
    pseudo_app, jiebei, sessions, clock, slack
) -> None:
    with sessions.begin() as session:
        add_rotation(
            session,
            DANA,
            "finance",
            members="U0ANN,U0BEN",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )
    # The usage line after an error is the dispatcher's (bot.slack.commands), not checked here.
    said = [
        pseudo_app.command(typed, user=BOB).text.split("\nUsage:")[0]
        for typed in (
            "ticket jiebei-main 十二月账单缺失",
            "ticket list",
            "ticket show T-1",
            "ticket note T-1 已催",
            "ticket sent T-1",
            "ticket sent T-1",
            "ticket reply T-1 case AL-1 已恢复",
            "oncall",
            "oncall take until 18:00",
            "oncall nap",
            "oncall take nowhere until 18:00",
        )
    ]
    assert pseudo_app.command("ticket", user=BOB).body == {}
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    allowed = {"jiebei-main", "借呗", "Jiebei", "T-1", "AL-1", "finance", "nowhere", "nap"}
    allowed |= {"warning"}
    assert unmarked([*said, *texts_of(form)], allowed=allowed) == []


def test_ticket_show_says_loanwatchs_own_entry_in_the_readers_language(
    app, jiebei, sessions, clock, slack
) -> None:
    """The checks resolved T-1's alert and loanwatch wrote so in the timeline, in English as
    kept: Bob, who reads Chinese, sees it in Chinese, by loanwatch (not `system`)."""
    slack.locales[BOB] = "zh-CN"
    app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    with sessions.begin() as session:
        ticket = session.scalars(select(Ticket)).one()
        kept = reason(CONDITION_CLEARED)
        write_entry(
            session,
            audit.SYSTEM,
            ticket,
            EntryKind.ALERT_RESOLVED,
            now=clock(),
            before=audit.snapshot(ticket),
            text=f"alert 5 resolved: {kept}; close T-1 if the platform has fixed it",
            data={"alert": 5, "reason": kept},
            tell=False,
        )

    shown = app.command("工单 show T-1", user=BOB).text

    assert "告警 5 已解决：异常已消除" in shown
    assert "loanwatch" in shown
    assert "system" not in shown
    assert "condition cleared" not in shown
