"""The tickets' wake-ups, run by `loanwatch check` and the worker's check cycle as of `now`.

- A ticket waiting on the platform whose `next_follow_up_at` has come gets a reminder entry
  (and the team a notice); for an email or webhook contact the platform also gets a polite
  follow-up in its language. The next one is due `follow_up_days` business days later. After
  three unanswered follow-ups the ticket is overdue (`bot.tickets.words.is_overdue`).
- A linked alert that resolved adds an entry to its open ticket, once.

Both read only what is due (`check --at T` runs those due by T) and write in the caller's
transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.outbox import DEAD, DROPPED
from bot.alerts.policy import AlertState
from bot.calendar import BusinessCalendar
from bot.i18n import EN, use
from bot.ledger.facilities import facility_zone
from bot.models import Alert, Facility, OutboxMessage, Ticket, TicketAlert
from bot.tickets.notices import TicketNoticeKind
from bot.tickets.opening import send_to_platform
from bot.tickets.readdress import follow_corrected_contact
from bot.tickets.text import letter
from bot.tickets.timeline import follow_up_due, write_entry
from bot.tickets.words import (
    EntryKind,
    Language,
    TicketState,
    Via,
    alert_resolved_text,
    ticket_label,
)


@dataclass(frozen=True)
class FollowUpRun:
    """What one wake-up did."""

    reminded: list[str]  # ticket labels
    alerts_noted: int


def run_ticket_wake_ups(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    default_channel: str | None = None,
    written_at: datetime | None = None,
) -> FollowUpRun:
    """Both wake-ups, as of `now`; the rows they write are due at `written_at` (default now)."""
    noted = note_resolved_alerts(
        session, now=now, default_channel=default_channel, written_at=written_at
    )
    reminded = run_follow_ups(
        session, now=now, calendar=calendar, default_channel=default_channel, written_at=written_at
    )
    return FollowUpRun(reminded, noted)


def run_follow_ups(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    default_channel: str | None = None,
    written_at: datetime | None = None,
) -> list[str]:
    """1. The waiting tickets due by `now`, locked (skipping those another worker holds).
    2. For each: one more follow-up, the reminder entry and the team's notice.
    3. Email or webhook: the follow-up to the platform, threaded under the first message.
    4. The next one is due `follow_up_days` business days after now."""
    due = session.scalars(
        select(Ticket)
        .where(Ticket.state == TicketState.WAITING, Ticket.next_follow_up_at <= now)
        .order_by(Ticket.next_follow_up_at, Ticket.id)
        .with_for_update(skip_locked=True)
    ).all()
    reminded = []
    for ticket in due:
        facility = session.get(Facility, ticket.facility_id)
        assert facility is not None
        # An admin may have corrected the contact's addresses (after a dead letter, say).
        follow_corrected_contact(
            session,
            audit.SYSTEM,
            ticket,
            now=now,
            default_channel=default_channel,
            written_at=written_at,
        )
        before = audit.snapshot(ticket)
        # A platform that never got the first message is not chased under it: the team is.
        undelivered = first_message_undelivered(session, ticket)
        if undelivered is None:
            ticket.follow_ups += 1
        ticket.next_follow_up_at = follow_up_due(
            calendar, now, ticket.follow_up_days, facility_zone(facility)
        )
        label = ticket_label(ticket.number)
        entry = write_entry(
            session,
            audit.SYSTEM,
            ticket,
            EntryKind.REMINDER,
            now=now,
            before=before,
            text=reminder_text(ticket, undelivered),
            data={
                "follow_up": ticket.follow_ups,
                "first_undelivered": undelivered,
                "days": ticket.follow_up_days,
            },
            channel=default_channel,
            written_at=written_at,
        )
        if ticket.via != Via.MANUAL and undelivered is None:
            message = letter.follow_up_message(
                label, ticket.subject, ticket.follow_ups, Language(ticket.language)
            )
            send_to_platform(
                session, ticket, facility, None, message, entry.event_id, now=written_at or now
            )
        reminded.append(label)
    return reminded


def first_message_undelivered(session: Session, ticket: Ticket) -> int | None:
    """The outbox id of the ticket's first message to the platform if it is a dead letter (or
    was dropped): the platform never got it. None when it went, or is still on its way."""
    if ticket.via == Via.MANUAL or ticket.thread_event_id is None:
        return None
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == TicketNoticeKind.PLATFORM,
            OutboxMessage.state.in_((DEAD, DROPPED)),
        )
    )
    for row in rows:
        payload = row.payload or {}
        if payload.get("ticket_id") == ticket.id and (
            payload.get("event_id") == ticket.thread_event_id
        ):
            return row.id
    return None


def reminder_text(ticket: Ticket, undelivered: int | None) -> str:
    """The reminder's line for the team."""
    if undelivered is not None:
        return (
            f"the first message to the platform was not delivered (outbox {undelivered} is a "
            "dead letter), so no follow-up was sent; fix what its admin alert says, then "
            f"`loanwatch outbox retry {undelivered}`"
        )
    return f"no answer after {ticket.follow_up_days} business days (follow-up {ticket.follow_ups})"


def note_resolved_alerts(
    session: Session,
    *,
    now: datetime,
    default_channel: str | None = None,
    written_at: datetime | None = None,
) -> int:
    """An entry on each open ticket for each of its alerts resolved since last noted."""
    rows = session.execute(
        select(TicketAlert, Alert)
        .join(Alert, Alert.id == TicketAlert.alert_id)
        .where(
            TicketAlert.ticket_open.is_(True),
            TicketAlert.resolution_noted_at.is_(None),
            Alert.state == AlertState.RESOLVED,
            Alert.resolved_at <= now,
        )
        .order_by(TicketAlert.ticket_id, Alert.id)
    ).all()
    for link, alert in rows:
        ticket = session.get(Ticket, link.ticket_id)
        assert ticket is not None
        link.resolution_noted_at = now
        write_entry(
            session,
            audit.SYSTEM,
            ticket,
            EntryKind.ALERT_RESOLVED,
            now=now,
            before=audit.snapshot(ticket),
            text=kept_alert_resolved_text(alert, ticket),
            data={"alert": alert.id, "reason": alert.resolve_reason},
            channel=default_channel,
            written_at=written_at,
        )
    return len(rows)


def kept_alert_resolved_text(alert: Alert, ticket: Ticket) -> str:
    """The entry's text as the timeline keeps it: in English, the reason as kept."""
    with use(EN):
        return alert_resolved_text(alert.id, alert.resolve_reason, ticket_label(ticket.number))
