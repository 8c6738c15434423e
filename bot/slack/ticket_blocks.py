"""Block Kit and words for a ticket in Slack: its message, the lines of its thread, its buttons.

Every builder takes the payload of a `ticket.notice` outbox row (bot.tickets.notices.
TicketNotice, as JSON) and queries nothing. The ticket's message shows it as it now is (state
in words, owner, case reference) with its buttons; each change adds one line to the thread it
lives in (its alert's thread, or its own). People are mentioned, what they typed is escaped.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.slack.mrkdwn import escape, escape_within, mention, truncate
from bot.slack.ticket_line import line_of
from bot.slack.ticket_words import via_words
from bot.tickets.notices import TicketNotice
from bot.tickets.words import EntryKind, TicketState, Via, said_status

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

RECORD_REPLY = N_("Record reply")
ADD_NOTE = N_("Add note")
MARK_SENT = N_("Mark as sent")
CLOSE = N_("Close")
# The facts' labels as the notice keeps them (bot.tickets.timeline.team_notice), in words.
FACT_LABELS = {
    "Owner": N_("Owner"),
    "Via": N_("Via"),
    "Case": N_("Case"),
    "Next follow-up": N_("Next follow-up"),
    "Open alerts": N_("Open alerts"),
}


def ticket_message(payload: Payload) -> tuple[str, Blocks]:
    """The fallback text and blocks of the ticket's message, in the language in use.

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
        resolution = _("Resolution: {text}").format(text=escape_within(notice.text, 2000))
        blocks.append(_context(resolution))
    if notice.state != TicketState.CLOSED:
        blocks.append(_buttons(notice))
    fallback = escape_within(f"{_status(notice)} · {notice.facility}: {notice.subject}", MAX_TEXT)
    return fallback, blocks


def ticket_line(payload: Payload) -> tuple[str, Blocks]:
    """The thread's line about what just happened (and, when an alert resolved while the ticket
    is open, a Close button to answer "close it?")."""
    notice = TicketNotice.from_payload(dict(payload))
    line = line_of(notice)
    blocks: Blocks = [{"type": "section", "text": _mrkdwn(line[:MAX_TEXT])}]
    if notice.event == EntryKind.OPENED and notice.paste_text:
        paste = escape_within(notice.paste_text, MAX_PASTE)
        blocks.append({"type": "section", "text": _mrkdwn(f"```{paste}```")})
    if notice.event == EntryKind.ALERT_RESOLVED and notice.state != TicketState.CLOSED:
        blocks.append(_actions(notice, [_button(_(CLOSE), CLOSE_ACTION, notice, "primary")]))
    return line[:MAX_TEXT], blocks


def csv_filename(payload: Payload) -> str | None:
    """The name of the usage records file the opening shares, if it carries one."""
    name = payload.get("attachment_name")
    return name if isinstance(name, str) and payload.get("columns") else None


def _status(notice: TicketNotice) -> str:
    if notice.number:
        platform = notice.platform_name or notice.platform
        return said_status(notice.number, notice.state, platform, notice.overdue)
    return notice.status or _("Ticket {ticket} · {state}").format(
        ticket=notice.ticket, state=notice.state
    )


def _facts(notice: TicketNotice) -> dict[str, str]:
    facts = {label: escape(str(value)) for label, value in notice.facts.items()}
    facts.pop("State", None)  # the status line says it, with the platform's name
    if "Owner" in facts:
        facts["Owner"] = mention(notice.owner)
    if "Via" in facts:
        facts["Via"] = via_words(notice.via)
    if "Next follow-up" in facts and notice.next_follow_up and notice.zone:
        at = datetime.fromisoformat(notice.next_follow_up)
        facts["Next follow-up"] = moment(at, ZoneInfo(notice.zone))
    if notice.open_alerts:
        facts["Open alerts"] = ", ".join(str(a) for a in notice.open_alerts)
    return {_label(label): value for label, value in facts.items()}


def _label(label: str) -> str:
    known = FACT_LABELS.get(label)
    return _(known) if known else label


def _buttons(notice: TicketNotice) -> dict[str, Any]:
    buttons = [
        _button(_(RECORD_REPLY), REPLY_ACTION, notice, "primary"),
        _button(_(ADD_NOTE), NOTE_ACTION, notice),
    ]
    if notice.via == Via.MANUAL and notice.state == TicketState.OPEN:  # not sent yet
        buttons.append(_button(_(MARK_SENT), SENT_ACTION, notice))
    buttons.append(_button(_(CLOSE), CLOSE_ACTION, notice))
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
