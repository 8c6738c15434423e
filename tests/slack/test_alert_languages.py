"""Alerts as delivered in their channel's language, through the worker and the fake Slack Web
API, and clicks on them signed as Slack sends them.

A message to a channel speaks its facility's language, else the channel's, else the
workspace's; a click's reply speaks the clicker's, while the shared message it changes keeps
the channel's.
"""

import copy
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.audit import Actor
from bot.languages import set_channel_language
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Alert, OutboxMessage
from bot.slack.blocks import ACK_ACTION
from tests.slack.test_alert_buttons import deliver
from tests.support.pseudo import texts_of
from tests.support.slack_app import ALERTS, ALICE, BOB, TEAM_CHANNEL

DANA = "U0DANA"


def facility(sessions, clock, slug: str, channel: str, language: str | None = None) -> int:
    with sessions.begin() as session:
        added = add_facility(
            session,
            Actor("cli:dana", "cli"),
            FacilityTerms(
                slug=slug,
                platform="jiebei",
                limit_amount=Decimal("200000.00"),
                daily_rate=Decimal("0.0004"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
                alert_channel=channel,
            ),
            now=clock(),
        )
        added.language = language
        session.flush()
        return added.id


def chinese_channel(sessions, clock, channel: str = ALERTS) -> None:
    with sessions.begin() as session:
        set_channel_language(session, channel, "zh-CN", actor=Actor("cli:dana", "cli"), now=clock())


def shown(message) -> str:
    return " ".join([message.text, *texts_of(message.blocks)])


@pytest.fixture
def alerts(app, jiebei, sessions, settings, clock, slack) -> dict[str, int]:
    """jiebei-main on #loan-alerts (set to Chinese), weilidai-ops on #finance (no language of
    its own), jiebei-zh on #finance with the facility's own language Chinese: one alert each."""
    chinese_channel(sessions, clock)
    weilidai = facility(sessions, clock, "weilidai-ops", TEAM_CHANNEL)
    jiebei_zh = facility(sessions, clock, "jiebei-zh", TEAM_CHANNEL, "zh-CN")
    slugs = {"jiebei-main": jiebei.id, "weilidai-ops": weilidai, "jiebei-zh": jiebei_zh}
    findings = [
        Finding("bill_missing", facility_id, "2026-12-10", Severity.WARNING, "没有账单", {})
        for facility_id in slugs.values()
    ]
    with sessions.begin() as session:
        apply_findings(session, findings, now=clock(), policy=AlertPolicy())
        ids = {
            slug: session.scalar(select(Alert.id).where(Alert.facility_id == facility_id))
            for slug, facility_id in slugs.items()
        }
    deliver(sessions, settings, clock)
    return ids


def message_of(slack, channel: str, alert_id: int):
    [found] = [
        m
        for m in slack.messages(channel)
        if (m.metadata or {}).get("event_payload", {}).get("alert_id") == alert_id
    ]
    return found


def test_a_chinese_channel_gets_its_alert_in_chinese_and_an_english_one_in_english(
    alerts, slack
) -> None:
    """#loan-alerts (zh-CN): headline, buttons and state in Chinese; #finance (no language):
    English as before; a facility whose language is zh-CN speaks Chinese in #finance too."""
    zh = message_of(slack, ALERTS, alerts["jiebei-main"])
    assert zh.text.startswith(f"警告：jiebei-main 账单缺失（告警 {alerts['jiebei-main']}）— 新告警")
    for words in (
        "账单缺失 · jiebei-main",
        "确认收到",
        "暂缓",
        "解决",
        "向平台提交工单",
        "未处理，",
    ):
        assert words in shown(zh)
    assert "Acknowledge" not in shown(zh)
    assert "Open since" not in shown(zh)

    en = message_of(slack, TEAM_CHANNEL, alerts["weilidai-ops"])
    assert en.text.startswith(
        f"Warning: bill_missing on weilidai-ops (alert {alerts['weilidai-ops']})"
    )
    for words in ("Acknowledge", "Snooze", "Resolve", "Open ticket", "Open since 2026-12-01"):
        assert words in shown(en)

    own = message_of(slack, TEAM_CHANNEL, alerts["jiebei-zh"])
    assert own.text.startswith("警告：jiebei-zh 账单缺失")
    assert "确认收到" in shown(own)


def test_a_click_by_an_english_reader_keeps_the_chinese_channel_message_chinese(
    app, alerts, sessions, settings, clock, slack
) -> None:
    """Alice (zh-CN) acknowledges; Dana (en-US) clicks Acknowledge on the same message a moment
    later and is told in English, privately; the shared message and its thread line, updated by
    the worker, stay Chinese, and the outbox keeps its headline in English for machines."""
    slack.locales[ALICE] = "zh-CN"
    alert_id = alerts["jiebei-main"]
    before = copy.deepcopy(message_of(slack, ALERTS, alert_id))
    app.click(before, ALERTS, ACK_ACTION, user=ALICE)
    app.click(before, ALERTS, ACK_ACTION, user=DANA)

    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == DANA
    assert note.args["text"] == f"Alert {alert_id} is already acknowledged by <@U0ALICE>."

    with sessions() as session:
        header = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.alert_id == alert_id)
            .order_by(OutboxMessage.id.desc())
        ).first()["header"]
    assert header.startswith(
        f"Warning: bill_missing on jiebei-main (alert {alert_id}) — acknowledged by U0ALICE"
    )

    deliver(sessions, settings, clock)
    after = message_of(slack, ALERTS, alert_id)
    assert after.edited == 1
    assert "<@U0ALICE> 已确认收到，有效至" in shown(after)
    assert "Acknowledged" not in json.dumps(after.blocks)
    [line] = slack.thread(ALERTS, after.ts)
    assert line.text.startswith("<@U0ALICE> 已确认收到，有效至 12月")


def test_a_chinese_reader_clicking_on_an_english_channel_gets_chinese_privately(
    app, alerts, sessions, settings, clock, slack
) -> None:
    """Dana reads Chinese; on #finance's English message her refusal is Chinese, the message
    English."""
    slack.locales[DANA] = "zh-CN"
    alert_id = alerts["weilidai-ops"]
    message = copy.deepcopy(message_of(slack, TEAM_CHANNEL, alert_id))
    app.click(message, TEAM_CHANNEL, ACK_ACTION, user=BOB)
    app.click(message, TEAM_CHANNEL, ACK_ACTION, user=DANA)
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["text"] == f"告警 {alert_id} 已由 <@U0BOB> 确认收到。"
    deliver(sessions, settings, clock)
    after = message_of(slack, TEAM_CHANNEL, alert_id)
    assert "Acknowledged by <@U0BOB> until 2026-12-02" in shown(after)
