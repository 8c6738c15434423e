"""How tickets read on a terminal: the list, one ticket with its timeline, what to send by hand."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.outbox import DEAD, SENT
from bot.cli.render import table
from bot.models import OutboxMessage, Ticket, TicketEntry
from bot.tickets.contacts import shown_url
from bot.tickets.opening import OpenedTicket
from bot.tickets.words import Via, is_overdue, ticket_label
from bot.zones import local


def ticket_list(tickets: Sequence[Ticket], slugs: dict[int, str], zone: ZoneInfo) -> str:
    """A table, newest first; an overdue ticket says so in its state."""
    rows = [
        [
            ticket_label(t.number),
            slugs.get(t.facility_id, "?"),
            t.state + (" (OVERDUE)" if is_overdue(t.state, t.follow_ups) else ""),
            t.via,
            t.owner,
            _when(t.next_follow_up_at, zone),
            str(t.follow_ups),
            t.subject,
        ]
        for t in tickets
    ]
    headers = ["id", "facility", "state", "via", "owner", "next follow-up", "follow-ups", "subject"]
    return table(headers, rows)


def ticket_show(
    ticket: Ticket,
    slug: str,
    platform: str,
    alerts: Sequence[tuple[int, str]],
    timeline: Sequence[TicketEntry],
    zone: ZoneInfo,
) -> str:
    """The ticket's facts, its alerts and its timeline."""
    overdue = (
        " (OVERDUE: three follow-ups unanswered)"
        if is_overdue(ticket.state, ticket.follow_ups)
        else ""
    )
    lines = [
        f"{ticket_label(ticket.number)} · {slug} at {platform}: {ticket.subject}",
        f"  State: {ticket.state}{overdue}",
        f"  Via: {ticket.via} ({ticket.language})",
        f"  Owner: {ticket.owner} (opened by {ticket.opener} {_when(ticket.opened_at, zone)})",
    ]
    optional = [
        ("Case", ticket.case_ref),
        ("Last contact", _when(ticket.last_contact_at, zone) or None),
        ("Next follow-up", _when(ticket.next_follow_up_at, zone) or None),
        ("Follow-ups", str(ticket.follow_ups) if ticket.follow_ups else None),
        ("Closed", _when(ticket.closed_at, zone) or None),
        ("Resolution", ticket.resolution),
    ]
    lines += [f"  {label}: {value}" for label, value in optional if value]
    if ticket.body:
        lines.append(f"  Body: {ticket.body}")
    if alerts:
        lines.append("  Alerts: " + ", ".join(f"{i} ({state})" for i, state in alerts))
    lines.append("Timeline:")
    lines += [
        f"  {_when(e.at, zone)}  {e.kind:<15} {e.actor}" + (f": {e.text}" if e.text else "")
        for e in timeline
    ]
    return "\n".join(lines)


def opened(result: OpenedTicket) -> str:
    """What `ticket open` prints: the id first, then what happens next."""
    label, contact = result.label, result.contact
    if contact.via == Via.MANUAL:
        return (
            f"{label} opened; this platform is contacted by hand: send the text and the CSV "
            f"below through its customer service, then run `loanwatch ticket sent {label}`"
        )
    to = ", ".join(contact.to) if contact.via == Via.EMAIL else shown_url(contact.url)
    return f"{label} opened; sending it by {contact.via} to {to} with the usage records"


def delivery_outcome(label: str, row: OutboxMessage | None) -> str:
    """What became of the first message once `ticket open` tried to deliver it."""
    if row is None:
        return f"{label}: its first message is not in the outbox; see `loanwatch outbox list`"
    payload = row.payload or {}
    to = ", ".join(payload.get("to") or []) or shown_url(payload.get("url")) or "?"
    if row.state == SENT:
        return f"{label}: delivered by {payload.get('via')} to {to}"
    if row.state == DEAD:
        return (
            f"{label}: NOT delivered, a dead letter: {row.last_error}. The admins were alerted; "
            f"once it is fixed, `loanwatch outbox retry {row.id}`"
        )
    why = row.last_error or "not tried yet"
    return (
        f"{label}: queued, not delivered yet ({why}); loanwatch will retry it (outbox "
        f"{row.id}) — see `loanwatch outbox list`"
    )


def manual_bundle(result: OpenedTicket) -> str:
    """The ready-to-paste text and the CSV, framed so a person sees where each starts."""
    csv_text = result.csv.decode("utf-8-sig")
    return (
        f"----- text to send ({result.contact.language}) -----\n{result.message}\n"
        f"----- usage records (CSV) -----\n{csv_text}"
        "----- end -----"
    )


def closed(label: str, open_alerts: Sequence[int]) -> str:
    """What `ticket close` prints, with the alerts that are still open."""
    if not open_alerts:
        return f"{label} closed"
    ids = ", ".join(str(i) for i in open_alerts)
    return (
        f"{label} closed; its alerts {ids} are still open "
        "(they resolve by themselves when the platform shows the fix)"
    )


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment in the facility's zone, or nothing when there is none."""
    return local(moment, zone) if moment is not None else ""


_when = local_time
