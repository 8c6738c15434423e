"""Tickets as plain rows, for `loanwatch export tickets` (JSON or CSV)."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Facility, Platform, Ticket, TicketAlert
from bot.tickets.words import ticket_label


def ticket_rows(session: Session, **_: Any) -> Iterator[dict[str, Any]]:
    """One row per ticket, oldest first; `alerts` lists the linked alerts' ids."""
    links: dict[int, list[int]] = {}
    for ticket_id, alert_id in session.execute(
        select(TicketAlert.ticket_id, TicketAlert.alert_id).order_by(TicketAlert.alert_id)
    ):
        links.setdefault(ticket_id, []).append(alert_id)
    query = (
        select(Ticket, Facility.slug, Platform.name)
        .join(Facility, Facility.id == Ticket.facility_id)
        .join(Platform, Platform.id == Ticket.platform_id)
        .order_by(Ticket.number)
    )
    for ticket, slug, platform in session.execute(query):
        yield {
            "id": ticket_label(ticket.number),
            "facility": slug,
            "platform": platform,
            "subject": ticket.subject,
            "state": ticket.state,
            "via": ticket.via,
            "owner": ticket.owner,
            "opened_at": ticket.opened_at,
            "case_ref": ticket.case_ref,
            "alerts": links.get(ticket.id, []),
            "last_contact_at": ticket.last_contact_at,
            "next_follow_up_at": ticket.next_follow_up_at,
            "follow_ups": ticket.follow_ups,
            "closed_at": ticket.closed_at,
            "resolution": ticket.resolution,
        }
