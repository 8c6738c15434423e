"""What people do to a ticket after it opened: note, record a reply, mark sent, close, reopen.

Each change locks the ticket, checks it may happen, writes its entry, audit record and notice
(`bot.tickets.timeline.write_entry`) in the caller's transaction, and refuses with one line
what makes no sense (closing a closed ticket).
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import N_, _
from bot.i18n.formats import day
from bot.ledger.facilities import facility_zone
from bot.models import Facility, Ticket, TicketAlert
from bot.tickets.timeline import follow_up_due, get_ticket, open_alert_ids, write_entry
from bot.tickets.words import (
    MAX_CASE_REF_CHARS,
    OVERDUE_AFTER_FOLLOW_UPS,
    EntryKind,
    TicketState,
    Via,
    is_overdue,
    name_of,
    ticket_label,
)
from bot.typed import free_text

LIST_STATES = ("open", "closed", "all")
CLOSE = N_("close it")  # what refuse_closed() says no to when a closed ticket is closed again
# What refuse_closed() says no to otherwise ("to record a reply, reopen it first").
RECORD_REPLY = N_("record a reply")
MARK_SENT = N_("mark it as sent")
# An empty text, by what it is (the `what` of _required).
_EMPTY = {
    "the note": N_("the note is empty; write a few words"),
    "the reply": N_("the reply is empty; write a few words"),
    "the resolution": N_("the resolution is empty; write a few words"),
    "the reason": N_("the reason is empty; write a few words"),
}


@dataclass(frozen=True)
class Closed:
    """A closed ticket, and its alerts that are still open (the closer is told)."""

    ticket: Ticket
    open_alerts: list[int]


def add_note(
    session: Session,
    actor: audit.Actor,
    number: int,
    note: str,
    *,
    now: datetime,
    default_channel: str | None = None,
) -> Ticket:
    """A note on the timeline; the state does not change."""
    text = _required(note, "the note")
    ticket = get_ticket(session, number, for_update=True)
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.NOTE,
        now=now,
        before=audit.snapshot(ticket),
        text=text,
        channel=default_channel,
    )
    return ticket


def record_reply(
    session: Session,
    actor: audit.Actor,
    number: int,
    reply: str,
    *,
    now: datetime,
    case_ref: str | None = None,
    default_channel: str | None = None,
) -> Ticket:
    """The platform answered: answered, follow-ups stop and start again at zero."""
    text = _required(reply, "the reply")
    case = free_text(case_ref, "the case reference", limit=MAX_CASE_REF_CHARS)
    if case and any(unicodedata.category(ch).startswith("C") for ch in case):
        raise InputError(
            _(
                "the case reference is the platform's case number, one line: no line breaks or "
                "control characters"
            )
        )
    ticket = get_ticket(session, number, for_update=True)
    refuse_closed(session, ticket, RECORD_REPLY)
    before = audit.snapshot(ticket)
    ticket.state = TicketState.ANSWERED
    ticket.last_contact_at = now
    ticket.next_follow_up_at = None
    ticket.follow_ups = 0
    if case:
        ticket.case_ref = case
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.REPLIED,
        now=now,
        before=before,
        text=text,
        data={"case_ref": case} if case else {},
        channel=default_channel,
    )
    return ticket


def mark_sent(
    session: Session,
    actor: audit.Actor,
    number: int,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    default_channel: str | None = None,
) -> Ticket:
    """Someone sent a manual ticket to the platform by hand: waiting, and the follow-up clock
    starts now. Only once, while it is `open` (not sent yet): marking it again would restart
    the follow-ups and clear OVERDUE without any answer from the platform."""
    ticket = get_ticket(session, number, for_update=True)
    facility = session.get(Facility, ticket.facility_id)
    assert facility is not None
    zone = facility_zone(facility)
    refuse_closed(session, ticket, MARK_SENT)
    label = ticket_label(ticket.number)
    if ticket.via != Via.MANUAL:
        raise InputError(
            _(
                "{ticket} goes to the platform by {via}: loanwatch sends it and its "
                "follow-ups itself, so there is nothing to mark as sent"
            ).format(ticket=label, via=name_of(ticket.via))
        )
    if ticket.state != TicketState.OPEN:
        when = ticket.last_contact_at or ticket.opened_at
        raise InputError(
            _("{ticket} was marked as sent already ({state} since {day}); nothing changed").format(
                ticket=label,
                state=name_of(ticket.state),
                day=day(when.astimezone(zone).date()),
            )
        )
    before = audit.snapshot(ticket)
    ticket.state = TicketState.WAITING
    ticket.last_contact_at = now
    ticket.follow_ups = 0
    ticket.next_follow_up_at = follow_up_due(calendar, now, ticket.follow_up_days, zone)
    sent = write_entry(
        session, actor, ticket, EntryKind.SENT, now=now, before=before, channel=default_channel
    )
    if ticket.thread_event_id is None:  # the first message, sent by hand
        ticket.thread_event_id = sent.event_id
    return ticket


def close_ticket(
    session: Session,
    actor: audit.Actor,
    number: int,
    resolution: str,
    *,
    now: datetime,
    default_channel: str | None = None,
) -> Closed:
    """Closed with a resolution; its alerts may link to another ticket from now on."""
    text = _required(resolution, "the resolution")
    ticket = get_ticket(session, number, for_update=True)
    refuse_closed(session, ticket, CLOSE)
    before = audit.snapshot(ticket)
    ticket.state = TicketState.CLOSED
    ticket.resolution = text
    ticket.closed_at = now
    ticket.next_follow_up_at = None
    _set_links_open(session, ticket, False)
    still_open = open_alert_ids(session, ticket)
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.CLOSED,
        now=now,
        before=before,
        text=text,
        data={"open_alerts": still_open},
        channel=default_channel,
    )
    return Closed(ticket, still_open)


def reopen_ticket(
    session: Session,
    actor: audit.Actor,
    number: int,
    reason: str,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    default_channel: str | None = None,
) -> Ticket:
    """A closed ticket opens again (the platform's fix did not hold); its alerts come back
    with it, unless another open ticket has taken one meanwhile.

    The case is the platform's again: an email or webhook ticket (loanwatch sent it) is
    `waiting` with its follow-up clock restarted from now, so the next follow-up tells the
    platform, in the first message's thread, that it is still open. A manual one is `open` (to
    send by hand) until someone marks it sent, which starts the clock."""
    text = _required(reason, "the reason")
    ticket = get_ticket(session, number, for_update=True)
    if ticket.state != TicketState.CLOSED:
        raise InputError(
            _("ticket {ticket} is {state}, not closed").format(
                ticket=ticket_label(ticket.number), state=name_of(ticket.state)
            )
        )
    taken = session.scalars(
        select(TicketAlert.alert_id).where(
            TicketAlert.alert_id.in_(
                select(TicketAlert.alert_id).where(TicketAlert.ticket_id == ticket.id)
            ),
            TicketAlert.ticket_open.is_(True),
        )
    ).all()
    if taken:
        raise InputError(
            _("alert {alert} is in another open ticket now; close that one first").format(
                alert=taken[0]
            )
        )
    before = audit.snapshot(ticket)
    ticket.closed_at = None
    ticket.resolution = None
    ticket.follow_ups = 0
    if ticket.via == Via.MANUAL:
        ticket.state = TicketState.OPEN
        ticket.next_follow_up_at = None
    else:
        facility = session.get(Facility, ticket.facility_id)
        assert facility is not None
        ticket.state = TicketState.WAITING
        ticket.next_follow_up_at = follow_up_due(
            calendar, now, ticket.follow_up_days, facility_zone(facility)
        )
    _set_links_open(session, ticket, True)
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.REOPENED,
        now=now,
        before=before,
        text=text,
        channel=default_channel,
    )
    return ticket


def list_tickets(session: Session, wanted: str) -> list[Ticket]:
    """Tickets, newest first: `open` means not closed."""
    query = select(Ticket).order_by(Ticket.number.desc())
    if wanted == "open":
        query = query.where(Ticket.state != TicketState.CLOSED)
    elif wanted == "closed":
        query = query.where(Ticket.state == TicketState.CLOSED)
    return list(session.scalars(query))


def overdue_tickets(session: Session) -> list[Ticket]:
    """The tickets waiting on a platform that has let three follow-ups go unanswered, oldest
    first (`bot.tickets.words.is_overdue`)."""
    query = (
        select(Ticket)
        .where(
            Ticket.state == TicketState.WAITING,
            Ticket.follow_ups >= OVERDUE_AFTER_FOLLOW_UPS,
        )
        .order_by(Ticket.number)
    )
    return [t for t in session.scalars(query) if is_overdue(t.state, t.follow_ups)]


def _set_links_open(session: Session, ticket: Ticket, is_open: bool) -> None:
    session.execute(
        update(TicketAlert)
        .where(TicketAlert.ticket_id == ticket.id)
        .values(ticket_open=is_open)
        .execution_options(synchronize_session=False)
    )


def refuse_closed(session: Session, ticket: Ticket, doing: str) -> None:
    """A closed ticket takes no reply, sent mark or second close: one line saying when it was
    closed (the facility's date) and how to open it again (`ticket reopen`, in Slack and the
    CLI alike). `doing` finishes "to …": "record a reply", "close it"."""
    if ticket.state != TicketState.CLOSED:
        return
    facility = session.get(Facility, ticket.facility_id)
    assert facility is not None
    label = ticket_label(ticket.number)
    said = {"ticket": label, "doing": _(doing)}
    if ticket.closed_at is None:
        if doing == CLOSE:
            raise InputError(_("{ticket} was closed already").format(**said))
        raise InputError(
            _(
                "{ticket} was closed; to {doing}, reopen it first (`ticket reopen {ticket} REASON`)"
            ).format(**said)
        )
    said["day"] = day(ticket.closed_at.astimezone(facility_zone(facility)).date())
    if doing == CLOSE:
        raise InputError(_("{ticket} was closed already on {day}").format(**said))
    raise InputError(
        _(
            "{ticket} was closed on {day}; to {doing}, reopen it first "
            "(`ticket reopen {ticket} REASON`)"
        ).format(**said)
    )


def _required(typed: str, what: str) -> str:
    text = free_text(typed, what)
    if text is None:
        raise InputError(_(_EMPTY[what]))
    return text
