"""What the team hears when loanwatch could not deliver a ticket's message to the platform.

The delivery worker (jobs/) calls :func:`record_delivery_failure` in the transaction that makes
an outbox row a dead letter, so the ticket's timeline says the platform was not reached, and
the team's notice says so in the ticket's thread, while the admins get their own alert about
what to fix. One entry per ticket event: a dead letter retried by an admin that dies again
does not say it twice.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Ticket, TicketEntry
from bot.tickets.timeline import write_entry
from bot.tickets.words import EntryKind

# An error text is kept whole on the outbox row; the ticket's line needs only its start.
MAX_ERROR_CHARS = 500


def delivery_failed_text(via: str, error: str) -> str:
    """The timeline's line: which way, what went wrong, that the admins were told."""
    return (
        f"The {via} to the platform was not delivered: {error[:MAX_ERROR_CHARS]}. "
        "The admins were alerted; once it is fixed they can retry the message."
    )


def record_delivery_failure(
    session: Session,
    payload: Mapping[str, Any],
    error: str,
    *,
    now: datetime,
    default_channel: str | None = None,
) -> TicketEntry | None:
    """A `delivery_failed` entry on the ticket a `ticket.platform` row was for, once per event.

    `payload` is the row's (bot.tickets.notices.PlatformMessage). Returns the entry, or None
    when the ticket is gone or the event's failure is on the timeline already.
    """
    ticket_id, event_id = payload.get("ticket_id"), payload.get("event_id")
    if not isinstance(ticket_id, int) or not isinstance(event_id, str):
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    if ticket is None:
        return None
    earlier = session.scalars(
        select(TicketEntry).where(
            TicketEntry.ticket_id == ticket.id, TicketEntry.kind == EntryKind.DELIVERY_FAILED
        )
    )
    if any((entry.data or {}).get("event_id") == event_id for entry in earlier):
        return None
    return write_entry(
        session,
        audit.SYSTEM,
        ticket,
        EntryKind.DELIVERY_FAILED,
        now=now,
        before=audit.snapshot(ticket),
        text=delivery_failed_text(ticket.via, error),
        data={
            "event_id": event_id,
            "follow_up": payload.get("follow_up", 0),
            "error": error[:MAX_ERROR_CHARS],
        },
        channel=default_channel,
    )
