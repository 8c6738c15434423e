"""Writing a ticket's changes: its timeline entry, its audit record and its notices, together.

Every change goes through :func:`write_entry` in the caller's transaction, so the entry, the
audit record and the outbox rows commit with the change or not at all.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit, i18n
from bot.alerts.notices import Event
from bot.alerts.notifier import notice_of
from bot.alerts.outbox import enqueue
from bot.alerts.policy import AlertState
from bot.calendar import BusinessCalendar
from bot.errors import NotFoundError
from bot.i18n import _
from bot.languages import channel_language
from bot.ledger.facilities import facility_zone
from bot.models import Alert, Facility, Platform, Ticket, TicketAlert, TicketEntry
from bot.tickets.notices import TicketNotice, TicketNoticeKind
from bot.tickets.words import EntryKind, is_overdue, ticket_label, ticket_status
from bot.zones import local

# The event an alert's message is re-told with when its ticket changes (its fallback text).
_ALERT_EVENTS = {
    AlertState.ACKNOWLEDGED: Event.ACKNOWLEDGED,
    AlertState.RESOLVED: Event.AUTO_RESOLVED,
}

# Follow-ups fall due at the start of the platform's business day, in the facility's zone.
FOLLOW_UP_TIME = time(9, 0)


def new_event_id() -> str:
    """A random id for one ticket event (128 bits): unique across every loanwatch, ever."""
    return secrets.token_hex(16)


def get_ticket(session: Session, number: int, *, for_update: bool = False) -> Ticket:
    """The ticket T-<number>, locked for the change when asked, or a NotFoundError."""
    query = select(Ticket).where(Ticket.number == number)
    if for_update:
        query = query.with_for_update()
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFoundError(
            _("no ticket {ticket}; `loanwatch ticket list --state all` shows them all").format(
                ticket=ticket_label(number)
            )
        )
    return ticket


def linked_alerts(session: Session, ticket: Ticket) -> list[Alert]:
    """The ticket's alerts, oldest first."""
    return list(
        session.scalars(
            select(Alert)
            .join(TicketAlert, TicketAlert.alert_id == Alert.id)
            .where(TicketAlert.ticket_id == ticket.id)
            .order_by(Alert.id)
        )
    )


def open_alert_ids(session: Session, ticket: Ticket) -> list[int]:
    """The ids of the ticket's alerts that are not resolved."""
    return [a.id for a in linked_alerts(session, ticket) if a.state != AlertState.RESOLVED]


def entries(session: Session, ticket: Ticket) -> Sequence[TicketEntry]:
    """The ticket's timeline, in order."""
    return session.scalars(
        select(TicketEntry).where(TicketEntry.ticket_id == ticket.id).order_by(TicketEntry.id)
    ).all()


def follow_up_due(
    calendar: BusinessCalendar, start: datetime, business_days: int, zone: ZoneInfo
) -> datetime:
    """09:00 on the `business_days`-th business day after `start`'s date, in `zone`.

    Chinese holidays and make-up workdays count as the checks count them (bot.calendar): a
    ticket sent on the Friday before Golden Week is chased after it, not during it.
    """
    day = start.astimezone(zone).date()
    for _step in range(business_days):
        day = calendar.next_business_day(day + timedelta(days=1))
    return datetime.combine(day, FOLLOW_UP_TIME, zone)


def write_entry(
    session: Session,
    actor: audit.Actor,
    ticket: Ticket,
    kind: EntryKind,
    *,
    now: datetime,
    before: dict[str, Any] | None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
    channel: str | None = None,
    tell: bool = True,
    written_at: datetime | None = None,
    opening: dict[str, Any] | None = None,
) -> TicketEntry:
    """1. The timeline entry, with a new event id.
    2. The audit record of the ticket's change (`ticket.<kind>`).
    3. The team's notice in the outbox (unless `tell` is False): to the facility's channel,
       else `channel` (the default alert channel). The row is due at `written_at` (the real
       time, for a run of the wake-ups `--at` another; default `now`). `opening` is what only
       the opening's notice carries (bot.tickets.notices.TicketNotice: records_summary…)."""
    entry = TicketEntry(
        ticket_id=ticket.id,
        kind=kind,
        at=now,
        actor=actor.name,
        text=text,
        event_id=new_event_id(),
        data=data or {},
    )
    session.add(entry)
    audit.record(session, actor, f"ticket.{kind}", ticket, at=now, before=before)
    if tell:
        to = _channel(session, ticket) or channel
        notice = team_notice(session, ticket, entry, to, **(opening or {}))
        enqueue(
            session,
            kind=TicketNoticeKind.NOTICE,
            channel=to,
            payload=notice.to_payload(),
            now=written_at or now,
        )
    return entry


def team_notice(
    session: Session, ticket: Ticket, entry: TicketEntry, channel: str | None, **opening: Any
) -> TicketNotice:
    """The notice about `entry`, with the ticket as it now is, for `channel` (its language)."""
    facility = session.get(Facility, ticket.facility_id)
    platform = session.get(Platform, ticket.platform_id)
    assert facility is not None
    assert platform is not None
    label = ticket_label(ticket.number)
    facts = {"State": ticket.state, "Owner": ticket.owner, "Via": ticket.via}
    if ticket.case_ref:
        facts["Case"] = ticket.case_ref
    if ticket.next_follow_up_at is not None:
        facts["Next follow-up"] = local(ticket.next_follow_up_at, facility_zone(facility))
    overdue = is_overdue(ticket.state, ticket.follow_ups)
    status = ticket_status(ticket.number, ticket.state, platform.display_name, overdue)
    alerts = linked_alerts(session, ticket)
    return TicketNotice(
        event=entry.kind,
        event_id=entry.event_id,
        ticket=label,
        ticket_id=ticket.id,
        facility=facility.slug,
        platform=platform.name,
        subject=ticket.subject,
        state=ticket.state,
        via=ticket.via,
        owner=ticket.owner,
        actor=entry.actor,
        title=f"Ticket {label} · {entry.kind} · {facility.slug}: {ticket.subject}"
        + (" · OVERDUE" if overdue else ""),
        text=entry.text or "",
        overdue=overdue,
        case_ref=ticket.case_ref,
        open_alerts=[a.id for a in alerts if a.state != AlertState.RESOLVED],
        facts=facts,
        number=ticket.number,
        platform_name=platform.display_name,
        status=status,
        data=dict(entry.data or {}),
        next_follow_up=(
            ticket.next_follow_up_at.isoformat() if ticket.next_follow_up_at is not None else None
        ),
        zone=str(facility_zone(facility)),
        language=channel_language(
            session, channel, facility_language=facility.language, default=i18n.default()
        ),
        thread_ref=next((a.message_ref for a in alerts if a.message_ref), None),
        alert_messages=alert_messages(alerts, facility, status),
        **opening,
    )


def alert_messages(
    alerts: Sequence[Alert], facility: Facility, status: str
) -> list[dict[str, Any]]:
    """Each linked alert's message and its notice as it now is, naming the ticket (`status`)."""
    told = []
    for alert in alerts:
        if alert.message_ref is None:
            continue
        event = _ALERT_EVENTS.get(alert.state, Event.OPENED)
        notice = notice_of(
            alert, facility, event=event, actor=audit.SYSTEM, first_notice=False, ticket=status
        )
        told.append({"ref": alert.message_ref, "notice": notice.to_payload()})
    return told


def _channel(session: Session, ticket: Ticket) -> str | None:
    facility = session.get(Facility, ticket.facility_id)
    return facility.alert_channel if facility is not None else None
