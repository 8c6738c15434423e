"""Every alert surface as delivered, in the pseudo-locale (nothing bypasses the catalogs) and in
Chinese (what a treasurer reads, within Slack's limits with long Chinese names and notes).

Data is not English here: the facility is `jb-1`, the summary and notes are Chinese, the
fingerprint a code, so any English word left unmarked went past `_()`.
"""

from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.alerts.notices import Event, GroupedAlert, GroupNotice
from bot.i18n import EN, PSEUDO, ZH, use
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_TEXT,
    alert_message,
    group_message,
    reposted_line,
    thread_line,
    validate,
)
from bot.slack.views.resolve import resolve_view
from jobs.transports.base import OutboxMessageView
from jobs.transports.console import render_text
from tests.support.pseudo import texts_of, unmarked

ALICE, BOB = "U0ALICE", "U0BOB"
SUMMARY = "应于12月10日还款899.75元，平台未见账单"
# A long Chinese facility name, as long as the column holds (64), and long Chinese notes.
LONG_NAME = "借呗主账户" * 12 + "备用额度"
LONG_NOTE = "已与平台客服核实，账单次日出具，款项已通过招商银行转账还清。" * 80
FACTS = {"应还金额": "¥899.75", "到期日": "12月10日（周四）"}
# Words that are data, not English to translate: the facility's slug, the outbox kind.
DATA = {
    "jb-1",
    "wl-2",
    "alert.opened",
    "alert.updated",
    "alert.resolved",
    "alert.reminder",
    "alert.group",
}


def payload(**changes: Any) -> dict[str, Any]:
    """An open critical bill_missing alert on jb-1, as the outbox carries it."""
    base: dict[str, Any] = {
        "summary": SUMMARY,
        "facts": FACTS,
        "event": "opened",
        "alert_id": 12,
        "fingerprint": "f1a2b3c4",
        "check": "bill_missing",
        "facility": "jb-1",
        "subject": "2026-12-10",
        "severity": "critical",
        "state": "open",
        "opened_at": "2026-11-28T02:00:00+00:00",
        "last_seen_at": "2026-11-28T02:00:00+00:00",
        "actor": "system",
        "timezone": "Asia/Shanghai",
    }
    return {**base, **changes}


ACKED = {
    "state": "acknowledged",
    "acknowledged_by": ALICE,
    "acknowledged_at": "2026-11-28T02:00:00+00:00",
    "ack_expires_at": "2026-11-29T02:00:00+00:00",
}
SURFACES = {
    "opened": payload(),
    "acknowledged": payload(event="acknowledged", actor=ALICE, **ACKED),
    "snoozed": payload(event="snoozed", actor=BOB, snoozed_until="2026-11-28T06:00:00+00:00"),
    "severity raised": payload(event="severity_raised", previous_severity="warning"),
    "resolved": payload(
        event="resolved",
        state="resolved",
        actor=BOB,
        resolved_by=BOB,
        resolved_at="2026-11-28T03:00:00+00:00",
        resolve_reason="账单已出，平台已确认",
    ),
    "auto resolved": payload(
        event="auto_resolved",
        state="resolved",
        resolved_by="system",
        resolved_at="2026-11-28T03:00:00+00:00",
    ),
    "reminder": payload(
        event="reminder",
        reasons=["ack_expired", "snooze_ended", "silence_ended", "severity_raised"],
        previously_acknowledged_by=ALICE,
    ),
    "draw unconfirmed": payload(check="draw_unconfirmed", severity="warning"),
    "many facts": payload(facts={f"事实{n}": "值" for n in range(60)}),
}


def storm(event: str) -> dict[str, Any]:
    alerts = tuple(
        GroupedAlert(n, f"f{n}", "jb-1" if n % 2 else "wl-2", None, "critical", "open", SUMMARY)
        for n in range(1, 2000)
    )
    return GroupNotice(Event(event), "limit_dropped", "critical", alerts).to_payload()


def console(kind: str, body: dict[str, Any]) -> str:
    return render_text(OutboxMessageView(7, kind, "C0ALERTS", body, 0))


@pytest.mark.parametrize("surface", SURFACES)
def test_every_alert_message_and_thread_line_goes_through_the_catalogs(surface: str) -> None:
    """Opened, acknowledged, snoozed, raised, resolved, reminder: headline, blocks, buttons,
    thread line, the line of a message posted again, the console's block — all marked."""
    body = SURFACES[surface]
    with use(PSEUDO):
        text, blocks = alert_message(body)
        lines = [thread_line(body), reposted_line(body), console("alert.updated", body)]
    assert unmarked([text, *texts_of(blocks), *lines], allowed=DATA) == []


@pytest.mark.parametrize("event", ["opened", "resolved"])
def test_a_storm_message_and_its_console_block_go_through_the_catalogs(event: str) -> None:
    body = storm(event)
    with use(PSEUDO):
        text, blocks = group_message(body)
        line = console("alert.group", body)
    assert unmarked([text, *texts_of(blocks), line], allowed=DATA) == []


def test_the_resolve_form_goes_through_the_catalogs() -> None:
    with use(PSEUDO):
        view = resolve_view(12, "signed")
    assert unmarked(texts_of(view)) == []


def test_a_chinese_channel_reads_its_alert_in_chinese() -> None:
    """The words a treasurer sees: severity, check, buttons, state, in the glossary's words."""
    with use(ZH):
        text, blocks = alert_message(SURFACES["opened"])
        acked_text, acked = alert_message(SURFACES["acknowledged"])
        snoozed = thread_line(SURFACES["snoozed"])
        resolved = thread_line(SURFACES["resolved"])
        reminder = thread_line(SURFACES["reminder"])
    assert text == "严重：jb-1 账单缺失（告警 12）— 新告警"
    shown = " ".join(texts_of(blocks))
    for words in ("🔴 账单缺失 · jb-1", "确认收到", "暂缓", "解决", "向平台提交工单", "4小时"):
        assert words in shown
    assert "未处理，11月28日（周六）10:00 起" in shown
    assert "<@U0ALICE> 已确认收到，有效至 11月29日（周日）10:00" in " ".join(texts_of(acked))
    assert acked_text.startswith("严重：jb-1 账单缺失（告警 12）— U0ALICE 已确认收到")
    assert snoozed == "<@U0BOB> 已暂缓至 11月28日（周六）14:00"
    assert resolved == "<@U0BOB> 已解决：账单已出，平台已确认"
    assert reminder == (
        "仍在告警：确认已过期；暂缓已结束；静默已结束；级别已升高（此前由 <@U0ALICE> 确认收到）"
    )


def test_a_chinese_storm_says_how_many_and_which_check() -> None:
    with use(ZH):
        text, blocks = group_message(storm("opened"))
    assert text == "1999 条新告警：额度下降（最高级别：严重），已合并"
    shown = " ".join(texts_of(blocks))
    assert "本次检查新增 1999 条“额度下降”告警" in shown
    assert "另有" in shown
    assert "附件 CSV" in shown
    validate(blocks)


def test_english_is_unchanged() -> None:
    """The same payload in English reads as it always has."""
    with use(EN):
        text, _blocks = alert_message(SURFACES["acknowledged"])
        reminder = thread_line(SURFACES["reminder"])
    assert text == (
        "CRITICAL: bill_missing on jb-1 (alert 12) — acknowledged by U0ALICE until "
        "2026-11-29 10:00 CST"
    )
    assert reminder == (
        "Still firing: the acknowledgement expired; the snooze ended; the silence ended; "
        "severity raised (was acknowledged by <@U0ALICE>)"
    )


LONG = {
    "open": payload(
        facility=LONG_NAME, summary=LONG_NOTE[:2000], snoozed_until=ACKED["ack_expires_at"]
    ),
    "acknowledged": payload(facility=LONG_NAME, summary=LONG_NOTE, event="acknowledged", **ACKED),
    "resolved": payload(
        facility=LONG_NAME,
        summary=LONG_NOTE,
        event="resolved",
        state="resolved",
        resolved_by=BOB,
        resolved_at="2026-11-28T03:00:00+00:00",
        resolve_reason=LONG_NOTE,
        facts={f"{LONG_NAME}{n}": LONG_NOTE[:500] for n in range(20)},
    ),
    "reminder": payload(
        facility=LONG_NAME, summary=LONG_NOTE, event="reminder", reasons=["ack_expired"]
    ),
}


@pytest.mark.parametrize("state", LONG)
def test_chinese_messages_keep_slacks_limits_with_long_chinese_names_and_notes(state: str) -> None:
    """A 64-character Chinese name, notes of thousands of characters: valid Block Kit, every text
    within Slack's limits, parsed back by slack_sdk.models."""
    assert len(LONG_NAME) == 64
    with use(ZH):
        text, blocks = alert_message(LONG[state])
        line = thread_line(LONG[state])
        form = resolve_view(2_000_000_000, "signed")
    validate(blocks)
    assert all(block is not None for block in Block.parse_all(blocks))
    assert len(blocks) <= MAX_BLOCKS
    assert len(text) <= MAX_TEXT
    assert len(line) <= MAX_TEXT
    [header] = [b for b in blocks if b["type"] == "header"]
    assert LONG_NAME in header["text"]["text"]
    assert len(header["text"]["text"]) <= MAX_HEADER
    assert len(form["title"]["text"]) <= 24
    assert form["title"]["text"].startswith("解决告警")
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert all(len(e.get("text", e.get("placeholder", {})).get("text", "")) <= 75 for e in buttons)


def test_the_consoles_labels_take_a_full_width_colon_in_chinese() -> None:
    """A console block in Chinese reads 应还金额：… and 确认人：…, not an English colon after
    Chinese words."""
    with use(ZH):
        lines = console("alert.updated", SURFACES["acknowledged"]).splitlines()
    facts = [line for line in lines if line.startswith("  ")]
    assert "  应还金额：¥899.75" in facts
    assert any(line.startswith("  确认人：") for line in facts)
    assert not [line for line in facts if ": " in line]
