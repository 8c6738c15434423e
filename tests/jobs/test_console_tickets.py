"""A ticket's notice on the console: English as the row keeps it, Chinese in the Slack side's
words, and nothing past the catalogs."""

from bot.i18n import PSEUDO, ZH, use
from bot.tickets.notices import TicketNotice
from jobs.transports.base import OutboxMessageView
from jobs.transports.console import render_text
from tests.support.pseudo import unmarked


def notice(event: str = "reminder", **changes) -> OutboxMessageView:
    fields = {
        "event": event,
        "event_id": "e-1",
        "ticket": "T-1",
        "ticket_id": 1,
        "facility": "jb-1",
        "platform": "jiebei",
        "subject": "十二月账单缺失",
        "state": "waiting",
        "via": "manual",
        "owner": "U0ALICE",
        "actor": "U0ALICE",
        "title": f"Ticket T-1 · {event} · jb-1: 十二月账单缺失",
        "text": "no answer after 2 business days (follow-up 1)",
        "facts": {
            "State": "waiting",
            "Owner": "U0ALICE",
            "Via": "manual",
            "Next follow-up": "2026-12-03 09:00 CST",
        },
        "number": 1,
        "platform_name": "借呗",
        "data": {"days": 2, "follow_up": 1},
        "next_follow_up": "2026-12-03T01:00:00+00:00",
        "zone": "Asia/Shanghai",
    } | changes
    payload = TicketNotice(**fields).to_payload()
    return OutboxMessageView(id=7, kind="ticket.notice", channel=None, payload=payload, attempts=0)


def test_english_prints_what_the_row_keeps() -> None:
    assert render_text(notice()) == (
        "── ticket.notice (outbox 7) ──\n"
        "Ticket T-1 · reminder · jb-1: 十二月账单缺失\n"
        "no answer after 2 business days (follow-up 1)\n"
        "  State: waiting\n"
        "  Owner: U0ALICE\n"
        "  Via: manual\n"
        "  Next follow-up: 2026-12-03 09:00 CST\n"
    )


def test_chinese_says_it_as_slack_does_in_plain_text() -> None:
    with use(ZH):
        text = render_text(notice())
    lines = text.splitlines()
    assert lines[1] == "工单 T-1 · 催办 · jb-1：十二月账单缺失"
    assert "借呗" in lines[2]
    assert "2 个工作日未回复（第 1 次催办）" in lines[2]
    assert "<@" not in text
    assert "U0ALICE" in lines[2]
    assert "  状态：等待回复" in lines  # the full-width colon after a Chinese label
    assert any(line.startswith("  下次催办：") and "12月3日（周四）09:00" in line for line in lines)
    assert "Owner" not in text
    assert "Via" not in text
    assert "State" not in text


def test_an_overdue_ticket_says_so_in_chinese() -> None:
    with use(ZH):
        text = render_text(notice(overdue=True))
    assert text.splitlines()[1].endswith(" · 已超时")


def test_every_event_goes_through_the_catalogs() -> None:
    events = {
        "opened": {"via": "email", "data": {"days": 90}, "records_summary": "账单缺失"},
        "sent": {},
        "replied": {"case_ref": "C-77", "text": "已处理"},
        "note": {"text": "已电话联系"},
        "reminder": {},
        "closed": {"state": "closed", "text": "已补发账单"},
        "reopened": {"text": "又缺了"},
        "alert_resolved": {"data": {"alert": 4}},
    }
    left = []
    for event, changes in events.items():
        with use(PSEUDO):
            text = render_text(notice(event, **changes))
        left += unmarked(text.splitlines()[1:], allowed={"jb-1", "U0ALICE"})
    assert left == []
