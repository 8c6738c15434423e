"""Tickets' Slack side and the on-call words in every language: rendered under the pseudo-locale
(no English may bypass the catalogs) and in Chinese (what a treasurer reads, within Slack's
limits with long Chinese names and notes)."""

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.alerts.resolve_reasons import MONEY_ARRIVED, reason
from bot.i18n import PSEUDO, ZH, use
from bot.models import Ticket
from bot.oncall.words import EscalationNotice, dm_text, headline, thread_line
from bot.slack import ticket_words as words
from bot.slack.blocks import validate
from bot.slack.ticket_blocks import ticket_line, ticket_message
from bot.tickets.notices import TicketNotice
from bot.tickets.words import EntryKind, TicketState, Via
from tests.support.pseudo import texts_of, unmarked

# Data, not English: the facility's slug, the platform's names, people's ids.
ALLOWED = {"jb-1", "借呗", "T-1", "loanwatch", "warning", "rotating_light"}  # emoji too
NOTE = "平台说额度已恢复，请核对" * 3
LONG_FACILITY = "借呗主额度（上海财务共享中心专用，勿动）" * 3
LONG_NOTE = "平台客服答复：系统升级导致账单延迟生成，预计两个工作日内恢复，届时重新推送。" * 60


def notice(event: str, **more) -> dict:
    fields = {
        "event": event,
        "event_id": "e1",
        "ticket": "T-1",
        "ticket_id": 1,
        "facility": "jb-1",
        "platform": "jiebei",
        "subject": "十二月账单缺失",
        "state": TicketState.WAITING,
        "via": Via.EMAIL,
        "owner": "U0BOB",
        "actor": "U0BOB",
        "title": "",
        "text": NOTE,
        "number": 1,
        "platform_name": "借呗",
        "case_ref": "AL-20261201",
        "open_alerts": [4],
        "facts": {
            "State": "waiting",
            "Owner": "U0BOB",
            "Via": "email",
            "Case": "AL-20261201",
            "Next follow-up": "2026-12-03 09:00 CST",
        },
        "next_follow_up": "2026-12-03T01:00:00+00:00",
        "zone": "Asia/Shanghai",
        "records_summary": "十二月账单缺失",
    }
    fields.update(more)
    return TicketNotice(**fields).to_payload()


EVERY_LINE = [
    notice(EntryKind.OPENED, data={"days": 90}),
    notice(EntryKind.OPENED, via=Via.MANUAL, state=TicketState.OPEN, paste_text="您好"),
    notice(EntryKind.SENT, via=Via.MANUAL),
    notice(EntryKind.REPLIED),
    notice(EntryKind.REPLIED, case_ref=None),
    notice(EntryKind.NOTE),
    notice(EntryKind.REMINDER, data={"follow_up": 2, "days": 2}),
    notice(EntryKind.REMINDER, data={"first_undelivered": 17}),
    notice(EntryKind.ALERT_RESOLVED, data={"alert": 4}),
    notice(EntryKind.ALERT_RESOLVED, state=TicketState.CLOSED, data={"alert": 4, "reason": "好"}),
    notice(EntryKind.ALERT_RESOLVED, state=TicketState.CLOSED, data={"alert": 4, "reason": None}),
    notice(EntryKind.CLOSED, state=TicketState.CLOSED, data={"open_alerts": [4]}),
    notice(EntryKind.CLOSED, state=TicketState.CLOSED),
    notice(EntryKind.REOPENED),
    notice(EntryKind.DELIVERY_FAILED, data={"error": "550 邮箱不存在"}),
    notice(
        EntryKind.CONTACT_CHANGED,
        data={"from": {"to": ["a@jb.cn"]}, "to": {"to": ["b@jb.cn"], "secret_env": "JB_KEY"}},
    ),
    notice(EntryKind.CONTACT_CHANGED, data={"from": {"to": ["a@jb.cn"]}, "to": {"to": ["b@jb"]}}),
]


@pytest.mark.parametrize("payload", EVERY_LINE, ids=lambda p: p["event"])
def test_every_ticket_message_and_thread_line_goes_through_the_catalogs(payload) -> None:
    with use(PSEUDO):
        message = ticket_message(payload)
        line = ticket_line(payload)
    assert unmarked(texts_of([message, line]), allowed=ALLOWED | {"jb.cn", "JB_KEY"}) == []


def test_the_ticket_message_and_its_lines_in_chinese_within_slacks_limits() -> None:
    with use(ZH):
        text, blocks = ticket_message(notice(EntryKind.REPLIED, facility=LONG_FACILITY))
        lines = [ticket_line(p) for p in EVERY_LINE]
        long = ticket_line(notice(EntryKind.NOTE, text=LONG_NOTE))
    validate(blocks)
    said = str(blocks)
    assert "工单 T-1 · 等待借呗回复" in text
    for phrase in ("负责人", "发送方式", "邮件", "下次催办", "2026年12月3日（周四）09:00"):
        assert phrase in said
    for button in ("登记回复", "添加备注", "关闭"):
        assert button in said
    for _, line_blocks in [*lines, long]:
        validate(line_blocks)
    joined = " ".join(line for line, _ in lines)
    assert "登记了借呗的回复（平台工单号 AL-20261201）" in joined
    assert "告警 4 已解决。借呗是否已处理好？要关闭 T-1 吗？" in joined
    assert "2 个工作日未回复（第 2 次催办）" in joined
    assert len(long[0]) <= 3000


def test_the_english_lines_are_as_they_were() -> None:
    line, _ = ticket_line(notice(EntryKind.REPLIED, text="fixed"))
    assert line == "<@U0BOB> recorded 借呗's reply (case AL-20261201): fixed"
    line, _ = ticket_line(notice(EntryKind.REMINDER, data={"follow_up": 2, "days": 2}))
    assert (
        line
        == "<@U0BOB>: 借呗 has not answered T-1: no answer after 2 business days (follow-up 2)."
    )
    text, _ = ticket_message(notice(EntryKind.NOTE))
    assert text.startswith("Ticket T-1 · waiting on 借呗 · jb-1")


def _ticket() -> Ticket:
    at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    return Ticket(
        number=1,
        subject="十二月账单缺失",
        owner="U0BOB",
        state=TicketState.WAITING,
        via=Via.EMAIL,
        follow_ups=3,
        case_ref="AL-1",
        resolution="已恢复",
        next_follow_up_at=at,
    )


def _replies() -> list[str]:
    ticket = _ticket()
    return [
        words.opened("T-1", "jb-1"),
        words.noted("T-1"),
        words.replied("T-1", "AL-1"),
        words.replied("T-1", None),
        words.marked_sent("T-1"),
        words.reopened("T-1"),
        words.closed("T-1", []),
        words.closed("T-1", [4]),
        words.list_text([words.list_line(ticket, "借呗", "jb-1", "12月3日")] * 60),
        words.list_text([]),
        words.show_lines(ticket, "借呗", "jb-1", [4], [("12月1日", "replied", "U0BOB", "好")]),
        words.home_line("T-1", "jb-1", "十二月", "借呗", datetime(2026, 12, 1, tzinfo=UTC)),
        words.home_line("T-1", "jb-1", "十二月", "借呗", None),
        words.summary_words("十二月账单缺失"),
    ]


def test_every_ticket_reply_goes_through_the_catalogs() -> None:
    with use(PSEUDO):
        said = _replies() + [
            _(text) for text in (words.OPEN_TITLE, words.NOT_A_TICKET_BUTTON, words.DAYS_NOT_NUMBER)
        ]
    assert unmarked(said, allowed=ALLOWED) == []


def _(text: str) -> str:
    from bot.i18n import _ as translated

    return translated(text)


def test_the_ticket_replies_in_chinese() -> None:
    with use(ZH):
        said = "\n".join(_replies())
    assert "已为 T-1 添加备注。" in said
    assert "已关闭 T-1。其告警 4 仍未处理" in said
    assert "等待借呗回复 · 已超时" in said
    assert "……另有 10 条" in said
    assert "• 12月1日 <@U0BOB> 平台已回复: 好" in said


def escalation(action: str, **more) -> EscalationNotice:
    fields = {
        "alert_id": 4,
        "check": "limit_frozen",
        "facility": "jb-1",
        "severity": "critical",
        "action": action,
        "round": 0,
        "step": 1,
        "waited_minutes": 75,
        "user": "U0ANN",
        "group": "S0ONCALL",
        "at_risk": "¥200,000.00",
    }
    fields.update(more)
    return EscalationNotice(**fields)


STEPS = [escalation(action) for action in ("oncall", "dm", "next", "group", "here", "other")] + [
    escalation("here", alert_ids=[4, 5], checks=["bill_overdue"], facilities=["jb-1"]),
    escalation("next", alert_ids=[1, 2, 3, 4], checks=["x1"], facilities=["jb-1", "jb-2"]),
    escalation("dm", missing="值班表为空", waited_minutes=3000),
]


def _mention(user: str | None) -> str:
    return f"<@{user}>"


def _group(group: str) -> str:
    return f"<!subteam^{group}>"


def test_every_escalation_line_and_dm_goes_through_the_catalogs() -> None:
    with use(PSEUDO):
        said = [thread_line(s, _mention, _group, "<!here>") for s in STEPS]
        said += [dm_text(s, _mention, "C0ALERTS") for s in STEPS]
        said += [headline(s) for s in STEPS]
    allowed = ALLOWED | {"limit_frozen", "bill_overdue", "critical", "oncall", "dm", "next"}
    allowed |= {"group", "here", "other", "jb-2"}
    assert unmarked(said, allowed=allowed) == []


def test_the_escalation_dm_in_chinese_and_the_row_kept_in_english() -> None:
    with use(ZH):
        dm = dm_text(escalation("dm"), _mention, "C0ALERTS")
        line = thread_line(STEPS[-2], _mention, _group, "<!here>")
        payload = escalation("dm").to_payload()
    assert dm == (
        "<@U0ANN>，你正在值班，告警 4（jb-1：limit_frozen）已1小时 15分钟未确认——¥200,000.00。"
        "请到 <#C0ALERTS> 确认收到。"
    )
    assert line.startswith("<@U0ANN>，下一位值班人：4 条告警（2 个额度：x1）已1小时 15分钟未确认")
    assert payload["header"] == "Escalation of alert 4 (critical), step 2: dm"
    assert payload["text"].startswith("Sent @U0ANN a direct message")


def test_chinese_blocks_parse_as_slack_blocks() -> None:
    with use(ZH):
        _, blocks = ticket_message(notice(EntryKind.OPENED, via=Via.MANUAL, state="open"))
    assert all(Block.parse(b) is not None for b in blocks)
    assert any("标记为已发送" in str(b) for b in blocks)


def test_an_alert_resolved_by_loanwatch_itself_is_said_in_the_tickets_language() -> None:
    """The ticket's thread says why the alert closed: loanwatch's own reason (kept in English,
    `money arrived: draw #3 confirmed`) in Chinese for a Chinese channel; a person's as typed."""
    kept = reason(MONEY_ARRIVED, draw=3)
    own = notice(
        EntryKind.ALERT_RESOLVED, state=TicketState.CLOSED, data={"alert": 4, "reason": kept}
    )
    typed = notice(
        EntryKind.ALERT_RESOLVED,
        state=TicketState.CLOSED,
        data={"alert": 4, "reason": "平台已补账单"},
    )
    with use(ZH):
        own_line, _ = ticket_line(own)
        typed_line, _ = ticket_line(typed)
    english, _ = ticket_line(own)

    assert "借款 #3 已确认到账" in own_line
    assert "money arrived" not in own_line
    assert "平台已补账单" in typed_line
    assert "money arrived: draw #3 confirmed" in english
