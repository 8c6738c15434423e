"""When an admin corrects a platform's contact, the open tickets that use it follow.

A ticket copies its contact when it opens (`tickets.contact`): the way it is reached (email,
webhook, by hand) and its language stay those of its first message, so the case stays one
thread. Its addresses do not stay wrong: when an admin corrects the addresses of that same way
(`loanwatch platform contact P --via email --to …`, or `--url` / `--secret-env` for a webhook),
which is what a dead letter asks for,

- the dead letter retried with `loanwatch outbox retry ID` goes to the corrected addresses, and
- so does every later follow-up,

and the ticket's timeline says so once (`contact_changed`). A contact changed to another way
(email to webhook, or to by hand) does not move an open ticket: close it and open a new one.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Facility, OutboxMessage, Platform, Ticket
from bot.tickets.contacts import contact_for, shown_url
from bot.tickets.notices import PlatformMessage, TicketNoticeKind
from bot.tickets.timeline import write_entry
from bot.tickets.words import EntryKind, TicketState, Via, ticket_label

# What a correction changes on a ticket's copy of its contact: where, never how or in which
# language.
ADDRESS_KEYS = ("to", "url", "secret_env")


def where(contact: dict[str, Any]) -> str:
    """The contact's addresses as people read them: the mailboxes, or the webhook's URL."""
    return ", ".join(contact.get("to") or []) or shown_url(contact.get("url")) or "(none)"


def contact_changed_text(via: str, platform: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """The timeline's line when a ticket follows its corrected contact."""
    secret = ""
    if old.get("secret_env") != new.get("secret_env"):
        secret = f" (secret in {new.get('secret_env')})"
    return (
        f"The {via} contact of {platform} was corrected: {where(old)} → {where(new)}{secret}. "
        "This ticket's messages go there from now on."
    )


def follow_corrected_contact(
    session: Session,
    actor: audit.Actor,
    ticket: Ticket,
    *,
    now: datetime,
    default_channel: str | None = None,
    written_at: datetime | None = None,
) -> bool:
    """Point the ticket at its contact's current addresses if an admin corrected them since it
    opened (same way of contact only); a `contact_changed` entry says so. True if it moved."""
    if ticket.via == Via.MANUAL or ticket.state == TicketState.CLOSED:
        return False
    facility = session.get(Facility, ticket.facility_id)
    platform = session.get(Platform, ticket.platform_id)
    assert facility is not None
    assert platform is not None
    current = contact_for(session, facility).to_json()
    old = dict(ticket.contact or {})
    if current["via"] != ticket.via or all(
        (old.get(key) or None) == (current.get(key) or None) for key in ADDRESS_KEYS
    ):
        return False
    before = audit.snapshot(ticket)
    ticket.contact = {**old, **{key: current.get(key) for key in ADDRESS_KEYS}}
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.CONTACT_CHANGED,
        now=now,
        before=before,
        text=contact_changed_text(ticket.via, platform.name, old, ticket.contact),
        data={"from": {k: old.get(k) for k in ADDRESS_KEYS}, "to": dict(ticket.contact)},
        channel=default_channel,
        written_at=written_at,
    )
    return True


def readdress_retried(
    session: Session,
    actor: audit.Actor,
    message: OutboxMessage,
    *,
    now: datetime,
    default_channel: str | None = None,
) -> str | None:
    """A retried `ticket.platform` row goes where its ticket's contact now says (corrected by an
    admin since). Returns the ticket's label when the row was re-addressed, else None."""
    if message.kind != TicketNoticeKind.PLATFORM:
        return None
    ticket_id = (message.payload or {}).get("ticket_id")
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        return None
    follow_corrected_contact(session, actor, ticket, now=now, default_channel=default_channel)
    sent = PlatformMessage.from_payload(dict(message.payload))
    contact = ticket.contact or {}
    if sent.via != ticket.via:
        return None
    to = list(contact.get("to") or [])
    url, secret_env = contact.get("url"), contact.get("secret_env")
    if (sent.to, sent.url, sent.secret_env) == (to, url, secret_env):
        return None
    payload = dict(message.payload)
    payload.update(to=to, url=url, secret_env=secret_env, facts={"To": where(contact)})
    message.payload = payload
    return ticket_label(ticket.number)
