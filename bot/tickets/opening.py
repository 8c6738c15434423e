"""Opening a ticket: its number, its alerts, its records, and the first message to the platform."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.outbox import enqueue
from bot.alerts.policy import AlertState
from bot.alerts.transition import get_alert
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.facilities import facility_zone, get_facility
from bot.models import (
    Alert,
    Facility,
    OutboxMessage,
    Platform,
    Ticket,
    TicketAlert,
    TicketCounter,
)
from bot.tickets.contacts import Contact, contact_for, shown_url
from bot.tickets.notices import PlatformMessage, TicketNoticeKind
from bot.tickets.records import UsageRecords, usage_records
from bot.tickets.text import letter, usage
from bot.tickets.timeline import follow_up_due, write_entry
from bot.tickets.words import (
    DEFAULT_RECORDS_DAYS,
    MAX_SUBJECT_CHARS,
    EntryKind,
    Language,
    TicketState,
    Via,
    ticket_label,
)
from bot.typed import free_text

_COUNTER = "ticket"
MAX_RECORDS_DAYS = 3660


@dataclass(frozen=True)
class OpenedTicket:
    """A new ticket, and what a person sends by hand for a manual contact."""

    ticket: Ticket
    label: str
    contact: Contact
    records: UsageRecords
    message: str  # the first message, in the contact's language (ready to paste)
    csv: bytes  # the usage records
    # The outbox row of the first message to the platform (email, webhook); None by hand.
    platform_message_id: int | None = None


def open_ticket(
    session: Session,
    actor: audit.Actor,
    facility_slug: str,
    subject: str,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    alert_ids: Sequence[int] = (),
    body: str | None = None,
    days: int = DEFAULT_RECORDS_DAYS,
    default_channel: str | None = None,
) -> OpenedTicket:
    """1. Check the input: facility, subject, alerts (each open, on it, in no open ticket).
    2. Number the ticket from the counter and write it with its alerts and `opened` entry.
    3. Email or webhook: enqueue the first message with the records, waiting from now on.
       Manual: it stays open until someone says it was sent (:func:`mark_sent`)."""
    facility = get_facility(session, facility_slug)
    subject = _subject(subject)
    body = free_text(body, "the body")
    if not 1 <= days <= MAX_RECORDS_DAYS:
        raise InputError(_("--days must be 1 to {most}").format(most=MAX_RECORDS_DAYS))
    alerts = [_linkable(session, alert_id, facility) for alert_id in dict.fromkeys(alert_ids)]
    contact = contact_for(session, facility)
    ticket = _new_ticket(session, actor, facility, subject, body, contact, days, now)
    session.add_all(
        TicketAlert(ticket_id=ticket.id, alert_id=a.id, ticket_open=True) for a in alerts
    )
    session.flush()  # the links, for the notice's alerts
    records = usage_records(session, facility, alerts, days=days, now=now)
    label = ticket_label(ticket.number)
    message = letter.first_message(label, subject, body, records, contact.language)
    sending = contact.via != Via.MANUAL
    if sending:  # loanwatch sends it now: waiting on the platform from this moment
        ticket.state = TicketState.WAITING
        ticket.last_contact_at = now
        ticket.next_follow_up_at = follow_up_due(
            calendar, now, ticket.follow_up_days, facility_zone(facility)
        )
    write_entry(
        session,
        actor,
        ticket,
        EntryKind.OPENED,
        now=now,
        before=None,
        text=body,
        data={"alerts": [a.id for a in alerts], "days": days},
        channel=default_channel,
        opening=_opening(label, records, message, contact),
    )
    if sending:
        sent = write_entry(
            session,
            actor,
            ticket,
            EntryKind.SENT,
            now=now,
            before=audit.snapshot(ticket),
            data={"via": contact.via},
            tell=False,  # the team's notice about the opening says it went
        )
        # Follow-ups thread under this first message (In-Reply-To, References).
        ticket.thread_event_id = sent.event_id
        row = send_to_platform(session, ticket, facility, records, message, sent.event_id, now=now)
    return OpenedTicket(
        ticket,
        label,
        contact,
        records,
        message,
        usage.records_csv(records, contact.language),
        row.id if sending else None,
    )


def _new_ticket(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    subject: str,
    body: str | None,
    contact: Contact,
    days: int,
    now: datetime,
) -> Ticket:
    """The ticket's row, numbered and flushed (so it has its id), owned by its opener."""
    ticket = Ticket(
        number=_next_number(session),
        facility_id=facility.id,
        platform_id=facility.platform_id,
        subject=subject,
        body=body,
        opener=actor.name,
        owner=actor.name,
        state=TicketState.OPEN,
        via=contact.via,
        language=contact.language,
        follow_up_days=contact.follow_up_days,
        contact=contact.to_json(),
        records_days=days,
        opened_at=now,
        follow_ups=0,
    )
    session.add(ticket)
    session.flush()
    return ticket


def send_to_platform(
    session: Session,
    ticket: Ticket,
    facility: Facility,
    records: UsageRecords | None,
    message: str,
    event_id: str,
    *,
    now: datetime,
) -> OutboxMessage:
    # `now` is when the row is due: the real time, also for wake-ups run `--at` another.
    """Enqueue a message to the platform (the first one with the records; a follow-up without);
    returns its outbox row."""
    platform = session.get(Platform, ticket.platform_id)
    assert platform is not None
    label = ticket_label(ticket.number)
    language = Language(ticket.language)
    contact = ticket.contact
    payload = PlatformMessage(
        event=EntryKind.SENT if records is not None else EntryKind.REMINDER,
        event_id=event_id,
        thread_event_id=ticket.thread_event_id or event_id,
        ticket=label,
        ticket_id=ticket.id,
        facility=facility.slug,
        platform=platform.name,
        via=ticket.via,
        language=ticket.language,
        title=letter.message_subject(label, facility.slug, ticket.subject),
        text=message,
        summary=letter.summary(records, language) if records is not None else "",
        to=list(contact.get("to") or []),
        url=contact.get("url"),
        secret_env=contact.get("secret_env"),
        follow_up=ticket.follow_ups,
        attachment_name=f"{label}-usage-records.csv" if records is not None else None,
        columns=usage.record_columns(language) if records is not None else [],
        rows=usage.record_rows(records.records, language) if records is not None else [],
        facts={"To": ", ".join(contact.get("to") or []) or shown_url(contact.get("url"))},
    )
    return enqueue(
        session,
        kind=TicketNoticeKind.PLATFORM,
        channel=f"{ticket.via}:{platform.name}",
        payload=payload.to_payload(),
        now=now,
    )


def _opening(
    label: str, records: UsageRecords, message: str, contact: Contact
) -> dict[str, object]:
    """What the team's notice of the opening carries besides the ticket: the discrepancy, the
    text to paste (a manual contact), and the usage records to share (the same file as mailed)."""
    language = contact.language
    return {
        "records_summary": letter.summary(records, language),
        "paste_text": message if contact.via == Via.MANUAL else "",
        "attachment_name": f"{label}-usage-records.csv",
        "columns": usage.record_columns(language),
        "rows": usage.record_rows(records.records, language),
    }


def _subject(typed: str) -> str:
    trimmed = " ".join(typed.split())
    if not trimmed:
        raise InputError(_("the subject is empty; say in a few words what is wrong"))
    if len(trimmed) > MAX_SUBJECT_CHARS:
        raise InputError(
            _(
                "the subject is {length} characters long; keep it to {most} "
                "and put the rest in --body"
            ).format(length=len(trimmed), most=MAX_SUBJECT_CHARS)
        )
    return trimmed


def _linkable(session: Session, alert_id: int, facility: Facility) -> Alert:
    """An alert the new ticket may link: on its facility, not resolved, in no open ticket."""
    alert = get_alert(session, alert_id)
    if alert.facility_id != facility.id:
        raise InputError(
            _("alert {alert} is not about {facility}").format(
                alert=alert.id, facility=facility.slug
            )
        )
    if alert.state == AlertState.RESOLVED:
        raise InputError(
            _("alert {alert} is resolved already; open a ticket without it").format(alert=alert.id)
        )
    taken = session.scalar(
        select(Ticket.number)
        .join(TicketAlert, TicketAlert.ticket_id == Ticket.id)
        .where(TicketAlert.alert_id == alert.id, TicketAlert.ticket_open.is_(True))
    )
    if taken is not None:
        raise InputError(
            _("alert {alert} is already in the open ticket {ticket}").format(
                alert=alert.id, ticket=ticket_label(taken)
            )
        )
    return alert


def _next_number(session: Session) -> int:
    """The next ticket number: one conditional UPDATE … RETURNING on the counter row, which
    PostgreSQL's row lock makes safe under concurrency; the row is made by the first ticket
    (from the highest number there is, so a number is never given twice)."""
    bump = (
        update(TicketCounter)
        .where(TicketCounter.name == _COUNTER)
        .values(value=TicketCounter.value + 1)
        .returning(TicketCounter.value)
    )
    number = session.scalar(bump)
    if number is not None:
        return number
    highest = session.scalar(select(func.max(Ticket.number))) or 0
    try:
        with session.begin_nested():
            session.add(TicketCounter(name=_COUNTER, value=highest + 1))
    except IntegrityError:  # another transaction made it first: bump theirs
        number = session.scalar(bump)
        assert number is not None
        return number
    return highest + 1
