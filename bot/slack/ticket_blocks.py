"""Block Kit and words for a ticket in Slack: its message, the lines of its thread, its buttons.

Every builder takes the payload of a `ticket.notice` outbox row (bot.tickets.notices.
TicketNotice, as JSON) and queries nothing. The ticket's message shows it as it now is (state
in words, owner, case reference) with its buttons; each change adds one line to the thread it
lives in (its alert's thread, or its own). People are mentioned, what they typed is escaped.
"""

from collections.abc import Mapping
from typing import Any

from bot.slack.mrkdwn import escape, escape_within, mention, truncate
from bot.tickets.notices import TicketNotice
from bot.tickets.words import EntryKind, TicketState, Via

__all__ = [
    "CLOSE_ACTION",
    "NOTE_ACTION",
    "REPLY_ACTION",
    "SENT_ACTION",
    "TICKET_ACTIONS",
    "ticket_line",
    "ticket_message",
]

Payload = Mapping[str, Any]
Blocks = list[dict[str, Any]]

REPLY_ACTION = "ticket_reply"
NOTE_ACTION = "ticket_note"
SENT_ACTION = "ticket_sent"
CLOSE_ACTION = "ticket_close"
TICKET_ACTIONS = (REPLY_ACTION, NOTE_ACTION, SENT_ACTION, CLOSE_ACTION)

ICON = "🎫"
MAX_TEXT = 3000
MAX_HEADER = 150
# The ready-to-paste text goes in a code block of one section (3,000 characters).
MAX_PASTE = 2900


def ticket_message(payload: Payload) -> tuple[str, Blocks]:
    """The fallback text and blocks of the ticket's message.

    1. A header: the ticket, its facility and subject.
    2. Its state in words ("waiting on Jiebei"), with the facts as fields.
    3. The resolution, once closed.
    4. Unless closed: Record reply, Add note, Mark as sent (a manual contact), Close.
    """
    notice = TicketNotice.from_payload(dict(payload))
    title = f"{ICON} {notice.ticket} · {notice.facility}: {notice.subject}"
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, MAX_HEADER)}},
        {
            "type": "section",
            "text": _mrkdwn(f"*{escape_within(_status(notice), 500)}*"),
            "fields": [_fact(label, value) for label, value in _facts(notice).items()][:10],
        },
    ]
    if notice.state == TicketState.CLOSED and notice.text and notice.event == EntryKind.CLOSED:
        blocks.append(_context(f"Resolution: {escape_within(notice.text, 2000)}"))
    if notice.state != TicketState.CLOSED:
        blocks.append(_buttons(notice))
    fallback = escape_within(f"{_status(notice)} · {notice.facility}: {notice.subject}", MAX_TEXT)
    return fallback, blocks


def ticket_line(payload: Payload) -> tuple[str, Blocks]:
    """The thread's line about what just happened (and, when an alert resolved while the ticket
    is open, a Close button to answer "close it?")."""
    notice = TicketNotice.from_payload(dict(payload))
    line = _line(notice)
    blocks: Blocks = [{"type": "section", "text": _mrkdwn(line[:MAX_TEXT])}]
    if notice.event == EntryKind.OPENED and notice.paste_text:
        paste = escape_within(notice.paste_text, MAX_PASTE)
        blocks.append({"type": "section", "text": _mrkdwn(f"```{paste}```")})
    if notice.event == EntryKind.ALERT_RESOLVED and notice.state != TicketState.CLOSED:
        blocks.append(_actions(notice, [_button("Close", CLOSE_ACTION, notice, "primary")]))
    return line[:MAX_TEXT], blocks


def csv_filename(payload: Payload) -> str | None:
    """The name of the usage records file the opening shares, if it carries one."""
    name = payload.get("attachment_name")
    return name if isinstance(name, str) and payload.get("columns") else None


def _line(notice: TicketNotice) -> str:
    """One mrkdwn line per timeline kind."""
    who, label, platform = mention(notice.actor), notice.ticket, notice.platform_name
    typed = escape_within(notice.text, 2000) if notice.text else ""
    platform = platform or notice.platform
    if notice.event == EntryKind.OPENED:
        days = notice.data.get("days")
        if notice.via == Via.MANUAL:
            return (
                f"{who} opened {label}. {platform} is reached by hand: paste the text below "
                "into its customer service, attach the usage records file, then press "
                "*Mark as sent*."
            )
        return (
            f"{who} opened {label}; it is sent to {platform} by {notice.via} with the usage "
            f"records of the last {days} days.\n{escape_within(notice.records_summary, 2000)}"
        )
    if notice.event == EntryKind.SENT:
        return f"{who} sent {label} to {platform} by hand; the follow-up clock starts now."
    if notice.event == EntryKind.REPLIED:
        case = f" (case {escape_within(notice.case_ref, 100)})" if notice.case_ref else ""
        return f"{who} recorded {platform}'s reply{case}: {typed}"
    if notice.event == EntryKind.NOTE:
        return f"{who} noted: {typed}"
    if notice.event == EntryKind.REMINDER and notice.data.get("first_undelivered"):
        return f"{mention(notice.owner)}: {platform} never got {label}: {typed}."
    if notice.event == EntryKind.REMINDER:
        return f"{mention(notice.owner)}: {platform} has not answered {label}: {typed}."
    if notice.event == EntryKind.ALERT_RESOLVED:
        if notice.state == TicketState.CLOSED:
            return f"{typed.capitalize()}."
        return f"Alert {notice.data.get('alert')} resolved. Has {platform} fixed it? Close {label}?"
    if notice.event == EntryKind.CLOSED:
        still = notice.data.get("open_alerts") or []
        open_note = (
            f" Still open: alert {', '.join(str(a) for a in still)}; resolve it if it is fixed."
            if still
            else ""
        )
        return f"{who} closed {label}: {typed}.{open_note}"
    if notice.event == EntryKind.REOPENED:
        return f"{who} reopened {label}: {typed}"
    if notice.event == EntryKind.DELIVERY_FAILED:
        return f":warning: {typed}"
    if notice.event == EntryKind.CONTACT_CHANGED:
        return typed
    return f"{label}: {notice.event} {typed}".strip()


def _status(notice: TicketNotice) -> str:
    return notice.status or f"Ticket {notice.ticket} · {notice.state}"


def _facts(notice: TicketNotice) -> dict[str, str]:
    facts = {label: escape(str(value)) for label, value in notice.facts.items()}
    facts.pop("State", None)  # the status line says it, with the platform's name
    if "Owner" in facts:
        facts["Owner"] = mention(notice.owner)
    if notice.open_alerts:
        facts["Open alerts"] = ", ".join(str(a) for a in notice.open_alerts)
    return facts


def _buttons(notice: TicketNotice) -> dict[str, Any]:
    buttons = [
        _button("Record reply", REPLY_ACTION, notice, "primary"),
        _button("Add note", NOTE_ACTION, notice),
    ]
    if notice.via == Via.MANUAL and notice.state == TicketState.OPEN:  # not sent yet
        buttons.append(_button("Mark as sent", SENT_ACTION, notice))
    buttons.append(_button("Close", CLOSE_ACTION, notice))
    return _actions(notice, buttons)


def _actions(notice: TicketNotice, elements: Blocks) -> dict[str, Any]:
    return {"type": "actions", "block_id": f"ticket:{notice.number}", "elements": elements}


def _button(text: str, action_id: str, notice: TicketNotice, style: str | None = None) -> dict:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": str(notice.number),
    }
    if style:
        button["style"] = style
    return button


def _fact(label: str, value: str) -> dict[str, str]:
    return _mrkdwn(f"*{label}*\n{value[:1900] or '—'}")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}
