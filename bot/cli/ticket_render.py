"""How tickets read on a terminal: the list, one ticket with its timeline, what to send by hand."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.outbox import DEAD, SENT
from bot.cli.render import padded, table
from bot.cli.words import word
from bot.i18n import N_, _, formats
from bot.i18n.formats import labelled
from bot.models import OutboxMessage, Ticket, TicketEntry
from bot.tickets.contacts import shown_url
from bot.tickets.opening import OpenedTicket
from bot.tickets.words import (
    Via,
    actor_name,
    entry_text,
    is_overdue,
    kind_words,
    name_of,
    ticket_label,
)


def ticket_list(tickets: Sequence[Ticket], slugs: dict[int, str], zone: ZoneInfo) -> str:
    """A table, newest first; an overdue ticket says so in its state."""
    rows = [
        [
            ticket_label(t.number),
            slugs.get(t.facility_id, "?"),
            _("{state} (OVERDUE)").format(state=name_of(t.state))
            if is_overdue(t.state, t.follow_ups)
            else name_of(t.state),
            word(t.via),
            t.owner,
            _when(t.next_follow_up_at, zone),
            str(t.follow_ups),
            t.subject,
        ]
        for t in tickets
    ]
    headers = [
        _("id"),
        _("facility"),
        _("state"),
        _("via"),
        _("owner"),
        _("next follow-up"),
        _("follow-ups"),
        _("subject"),
    ]
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
    state = (
        _("{state} (OVERDUE: three follow-ups unanswered)")
        if is_overdue(ticket.state, ticket.follow_ups)
        else "{state}"
    ).format(state=name_of(ticket.state))
    lines = [
        _("{ticket} · {facility} at {platform}: {subject}").format(
            ticket=ticket_label(ticket.number),
            facility=slug,
            platform=platform,
            subject=ticket.subject,
        ),
        "  " + _("State: {state}").format(state=state),
        "  " + _("Via: {via} ({language})").format(via=word(ticket.via), language=ticket.language),
        "  "
        + _("Owner: {owner} (opened by {opener} {at})").format(
            owner=ticket.owner, opener=ticket.opener, at=_when(ticket.opened_at, zone)
        ),
    ]
    optional = [
        (N_("Case"), ticket.case_ref),
        (N_("Last contact"), _when(ticket.last_contact_at, zone) or None),
        (N_("Next follow-up"), _when(ticket.next_follow_up_at, zone) or None),
        (N_("Follow-ups"), str(ticket.follow_ups) if ticket.follow_ups else None),
        (N_("Closed"), _when(ticket.closed_at, zone) or None),
        (N_("Resolution"), ticket.resolution),
    ]
    lines += [
        "  " + _("{label}: {value}").format(label=_(label), value=value)
        for label, value in optional
        if value
    ]
    if ticket.body:
        lines.append("  " + _("Body: {body}").format(body=ticket.body))
    if alerts:
        shown = _(", ").join(
            _("{alert} ({state})").format(alert=i, state=word(state)) for i, state in alerts
        )
        lines.append("  " + _("Alerts: {alerts}").format(alerts=shown))
    lines.append(_("Timeline:"))
    lines += [
        f"  {_when(e.at, zone)}  {padded(kind_words(e.kind), 15)} "
        + (
            labelled(actor_name(e.actor), text)
            if (text := _entry_text(e, ticket))
            else actor_name(e.actor)
        )
        for e in timeline
    ]
    return "\n".join(lines)


def _entry_text(entry: TicketEntry, ticket: Ticket) -> str | None:
    return entry_text(entry.kind, entry.data, entry.text, ticket_label(ticket.number))


def opened(result: OpenedTicket) -> str:
    """What `ticket open` prints: the id first, then what happens next."""
    label, contact = result.label, result.contact
    if contact.via == Via.MANUAL:
        return _(
            "{ticket} opened; this platform is contacted by hand: send the text and the CSV "
            "below through its customer service, then run `loanwatch ticket sent {ticket}`"
        ).format(ticket=label)
    to = ", ".join(contact.to) if contact.via == Via.EMAIL else shown_url(contact.url)
    return _("{ticket} opened; sending it by {via} to {to} with the usage records").format(
        ticket=label, via=word(contact.via), to=to
    )


def delivery_outcome(label: str, row: OutboxMessage | None) -> str:
    """What became of the first message once `ticket open` tried to deliver it."""
    if row is None:
        return _(
            "{ticket}: its first message is not in the outbox; see `loanwatch outbox list`"
        ).format(ticket=label)
    payload = row.payload or {}
    to = ", ".join(payload.get("to") or []) or shown_url(payload.get("url")) or "?"
    if row.state == SENT:
        return _("{ticket}: delivered by {via} to {to}").format(
            ticket=label, via=word(str(payload.get("via"))), to=to
        )
    if row.state == DEAD:
        return _(
            "{ticket}: NOT delivered, a dead letter: {error}. The admins were alerted; once it "
            "is fixed, `loanwatch outbox retry {id}`"
        ).format(ticket=label, error=row.last_error, id=row.id)
    why = row.last_error or _("not tried yet")
    return _(
        "{ticket}: queued, not delivered yet ({why}); loanwatch will retry it (outbox {id}) — "
        "see `loanwatch outbox list`"
    ).format(ticket=label, why=why, id=row.id)


def manual_bundle(result: OpenedTicket) -> str:
    """The ready-to-paste text and the CSV, framed so a person sees where each starts."""
    csv_text = result.csv.decode("utf-8-sig")
    return (
        "----- "
        + _("text to send ({language})").format(language=result.contact.language)
        + f" -----\n{result.message}\n----- "
        + _("usage records (CSV)")
        + f" -----\n{csv_text}----- "
        + _("end")
        + " -----"
    )


def closed(label: str, open_alerts: Sequence[int]) -> str:
    """What `ticket close` prints, with the alerts that are still open."""
    if not open_alerts:
        return _("{ticket} closed").format(ticket=label)
    ids = ", ".join(str(i) for i in open_alerts)
    return _(
        "{ticket} closed; its alerts {ids} are still open (they resolve by themselves when the "
        "platform shows the fix)"
    ).format(ticket=label, ids=ids)


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment in the facility's zone, or nothing when there is none."""
    return formats.moment(moment, zone) if moment is not None else ""


_when = local_time
