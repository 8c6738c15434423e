"""A ticket's words: its states, its timeline's kinds, how a platform is reached, its id."""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from bot.alerts.resolve_reasons import said as said_reason
from bot.audit import SYSTEM
from bot.errors import InputError
from bot.i18n import EN, N_, _, pgettext, use
from bot.typed import MAX_ID, fold_width, quote


class TicketState(StrEnum):
    """open (not sent yet) → waiting (on the platform) → answered → closed; reopen allowed."""

    OPEN = "open"
    WAITING = "waiting"
    ANSWERED = "answered"
    CLOSED = "closed"


class EntryKind(StrEnum):
    """A line of a ticket's timeline."""

    OPENED = "opened"
    SENT = "sent"
    DELIVERY_FAILED = "delivery_failed"
    REPLIED = "replied"  # the platform answered
    NOTE = "note"
    REMINDER = "reminder"  # a follow-up was due
    ALERT_RESOLVED = "alert_resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CONTACT_CHANGED = "contact_changed"  # an admin corrected the contact's addresses


# A timeline entry's kind, as `/loan ticket show` and `loanwatch ticket show` say it (English
# keeps the code it has always shown).
KIND_WORDS = {
    EntryKind.OPENED: N_("opened"),
    EntryKind.SENT: N_("sent"),
    EntryKind.DELIVERY_FAILED: N_("delivery_failed"),
    EntryKind.REPLIED: N_("replied"),
    EntryKind.NOTE: N_("note"),
    EntryKind.REMINDER: N_("reminder"),
    EntryKind.ALERT_RESOLVED: N_("alert_resolved"),
    EntryKind.CLOSED: N_("closed"),
    EntryKind.REOPENED: N_("reopened"),
    EntryKind.CONTACT_CHANGED: N_("contact_changed"),
}


def kind_words(kind: str) -> str:
    """A timeline entry's kind in the language in use (one it does not know as it is)."""
    known = KIND_WORDS.get(kind)  # type: ignore[call-overload]
    return _(known) if known else kind


def alert_resolved_text(alert: object, reason: str | None, ticket: str) -> str:
    """An `alert_resolved` entry's text, in the language in use (kept in English in the
    timeline; `loanwatch ticket show` says it again from the entry's data)."""
    if reason:
        return _(
            "alert {alert} resolved: {reason}; close {ticket} if the platform has fixed it"
        ).format(alert=alert, reason=reason, ticket=ticket)
    return _("alert {alert} resolved; close {ticket} if the platform has fixed it").format(
        alert=alert, ticket=ticket
    )


class Via(StrEnum):
    """How a platform is reached: loanwatch sends (email, webhook), or a person does (manual)."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    MANUAL = "manual"


class Language(StrEnum):
    """The language the platform reads."""

    ZH = "zh"
    EN = "en"


# After this many follow-ups without an answer a ticket is overdue.
OVERDUE_AFTER_FOLLOW_UPS = 3
MAX_SUBJECT_CHARS = 200
MAX_CASE_REF_CHARS = 100
DEFAULT_RECORDS_DAYS = 90
DEFAULT_FOLLOW_UP_DAYS = 2

_TICKET_ID = re.compile(r"[Tt]-?([0-9]{1,10})")


def ticket_label(number: int) -> str:
    """The id people see and type: T-3."""
    return f"T-{number}"


def ticket_number(text: str) -> int:
    """The number in a ticket id as typed: `T-3`, `t-3`, `T3`, `#T-3`."""
    typed = fold_width(text).strip().removeprefix("#")
    match = _TICKET_ID.fullmatch(typed)
    if match is None or not 1 <= int(match.group(1)) <= MAX_ID:
        raise InputError(
            _(
                '"{typed}" is not a ticket id; say which ticket as `loanwatch ticket list` '
                "shows it, e.g. T-3"
            ).format(typed=quote(text))
        )
    return int(match.group(1))


def is_overdue(state: str, follow_ups: int) -> bool:
    """Waiting on the platform after three follow-ups it did not answer."""
    return state == TicketState.WAITING and follow_ups >= OVERDUE_AFTER_FOLLOW_UPS


def state_words(state: str, platform: str, overdue: bool = False) -> str:
    """The state as a person reads it, naming the platform: "waiting on Jiebei · overdue"."""
    if state == TicketState.OPEN:
        words = _("not sent to {platform} yet").format(platform=platform)
    elif state == TicketState.WAITING:
        words = _("waiting on {platform}").format(platform=platform)
    elif state == TicketState.ANSWERED:
        words = _("answered by {platform}").format(platform=platform)
    elif state == TicketState.CLOSED:
        words = _("closed")
    else:
        words = state
    return words + (" · " + _("overdue") if overdue else "")


# A state's and a way's own name, where a sentence names it bare ("waiting since 2026-12-01").
# A ticket's `open` (not sent yet: 未发出) is not an alert's (未处理): name_of says it with
# its context.
_NAMES = {
    TicketState.WAITING: N_("waiting"),
    TicketState.ANSWERED: N_("answered"),
    TicketState.CLOSED: N_("closed"),
    Via.EMAIL: N_("email"),
    Via.WEBHOOK: N_("webhook"),
    Via.MANUAL: N_("manual"),
}


def name_of(code: str) -> str:
    """A state's or a way's name in the language in use (the code where it has none)."""
    if code == TicketState.OPEN:
        return pgettext("ticket state", "open")
    known = _NAMES.get(code)  # type: ignore[call-overload]
    return _(known) if known else code


def ticket_status(number: int, state: str, platform: str, overdue: bool = False) -> str:
    """One line about a ticket, for the alert it is about: "Ticket T-3 · waiting on Jiebei"
    (in the language in use: `said_status`; kept in English where it is stored)."""
    with use(EN):
        return said_status(number, state, platform, overdue)


def said_status(number: int, state: str, platform: str, overdue: bool = False) -> str:
    """`ticket_status` in the language in use: "工单 T-3 · 等待借呗回复"."""
    return _("Ticket {ticket} · {state}").format(
        ticket=ticket_label(number), state=state_words(state, platform, overdue)
    )


def entry_text(
    kind: str, data: Mapping[str, Any] | None, text: str | None, ticket: str
) -> str | None:
    """A timeline entry's text: as typed, or, where loanwatch wrote it (an alert resolved), said
    again in the reader's language from its data (an entry kept before its reason was: as
    kept)."""
    data = data or {}
    if kind == EntryKind.ALERT_RESOLVED and "alert" in data and "reason" in data:
        reason = said_reason(data["reason"]) if data["reason"] else None
        return alert_resolved_text(data["alert"], reason, ticket)
    return text


def actor_name(actor: str) -> str:
    """Who made an entry: the person as kept; loanwatch itself by its name, not the audit's
    `system`."""
    return "loanwatch" if actor == SYSTEM.name else actor
