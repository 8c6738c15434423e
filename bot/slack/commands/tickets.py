"""`/loan ticket …`: open, list, show, note, reply, sent, close, reopen, by the ticket's id (T-3).

Each form makes one domain call (bot.tickets); the ticket's message and thread change when the
worker sends the notice it wrote. Who may: everyone lists and shows; operators open, note and
record replies (and mark sent); treasurers close and reopen. Words: bot.slack.ticket_words.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.ledger.facilities import get_facility
from bot.models import Facility, Platform, Ticket
from bot.slack import ticket_words as words
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.reply import Reply
from bot.slack.roles import Role
from bot.slack.views.tickets import open_form
from bot.tickets import changes
from bot.tickets.opening import open_ticket
from bot.tickets.requests import open_once
from bot.tickets.timeline import entries, get_ticket, linked_alerts
from bot.tickets.words import actor_name, entry_text, is_overdue, ticket_label, ticket_number
from bot.zones import shown_zone

USAGE = N_(
    "ticket [FACILITY SUBJECT…] · ticket list [open|all] [FACILITY] · ticket show T-n · "
    "ticket note T-n TEXT · ticket reply T-n [case CASE_REF] TEXT · ticket sent T-n · "
    "ticket close T-n RESOLUTION · ticket reopen T-n REASON"
)
_NEEDS = {
    "note": (Role.OPERATOR, words.NOTE),
    "reply": (Role.OPERATOR, words.REPLY),
    "sent": (Role.OPERATOR, words.SENT),
    "close": (Role.TREASURER, words.CLOSE),
    "reopen": (Role.TREASURER, words.REOPEN),
}


def ticket(lw: Loanwatch, call: Invocation) -> Reply | None:
    """Pick the form by the first word; anything else is `ticket FACILITY SUBJECT…`."""
    first = call.words[0].lower() if call.words else ""
    if first in ("list", "show"):
        return _list(lw, call.words[1:]) if first == "list" else _show(lw, call.words[1:])
    needed, what = _NEEDS.get(first, (Role.OPERATOR, words.OPEN))
    if not lw.may(call.user_id, needed, f"ticket {first}".strip()):
        return Reply(refusal(needed, _(what)))
    if not call.words:
        call.client.views_open(trigger_id=call.trigger_id, view=open_form(lw, call.user_id, None))
        return None
    if first not in _NEEDS:
        return _open(lw, call)
    if len(call.words) < 2:
        raise InputError(_("say which ticket, e.g. T-3"))
    number = ticket_number(call.words[1])
    label = ticket_label(number)
    who = actor(call.user_id)
    channel = lw.settings.default_alert_channel
    with lw.transaction() as session:
        if first == "note":
            changes.add_note(
                session, who, number, call.rest(2), now=lw.clock(), default_channel=channel
            )
            return Reply(words.noted(label))
        if first == "sent":
            if len(call.words) > 2:
                raise InputError(
                    _("`ticket sent {ticket}` takes nothing after the ticket").format(ticket=label)
                )
            changes.mark_sent(
                session, who, number, now=lw.clock(), calendar=lw.calendar, default_channel=channel
            )
            return Reply(words.marked_sent(label))
        if first == "reply":
            case, text = _case_and_text(call.words[2:])
            changes.record_reply(
                session, who, number, text, now=lw.clock(), case_ref=case, default_channel=channel
            )
            return Reply(words.replied(label, case))
        if first == "reopen":
            changes.reopen_ticket(
                session,
                who,
                number,
                call.rest(2),
                now=lw.clock(),
                calendar=lw.calendar,
                default_channel=channel,
            )
            return Reply(words.reopened(label))
        closed = changes.close_ticket(
            session, who, number, call.rest(2), now=lw.clock(), default_channel=channel
        )
        return Reply(words.closed(label, closed.open_alerts))


def _open(lw: Loanwatch, call: Invocation) -> Reply:
    if len(call.words) < 2:
        raise InputError(_("say the facility and the subject, e.g. `ticket jiebei-main no bill`"))
    who = actor(call.user_id)

    def open_it(session: Session) -> str:
        return open_ticket(
            session,
            who,
            call.words[0],
            call.rest(1),
            now=lw.clock(),
            calendar=lw.calendar,
            default_channel=lw.settings.default_alert_channel,
        ).label

    # A retry of the same command (its trigger id) answers with the ticket it opened.
    with lw.committing() as sessions:
        opened = open_once(sessions, who, f"command:{call.trigger_id}", open_it, now=lw.clock())
    return Reply(words.opened(opened.label, call.words[0]))


def _case_and_text(rest: list[str]) -> tuple[str | None, str]:
    """`[case CASE_REF] TEXT…`."""
    if len(rest) >= 2 and rest[0].lower() == "case":
        return rest[1], " ".join(rest[2:])
    return None, " ".join(rest)


def _list(lw: Loanwatch, args: list[str]) -> Reply:
    wanted = "open"
    if args and args[0].lower() in ("open", "all"):
        wanted, args = args[0].lower(), args[1:]
    if len(args) > 1:
        raise InputError(_("list takes `open` or `all`, and a facility"))
    with lw.reading() as session:
        facility = get_facility(session, args[0]) if args else None
        lines = []
        for found in changes.list_tickets(session, wanted):
            if facility is not None and found.facility_id != facility.id:
                continue
            slug, platform, zone = _names(session, found)
            chase = _when(lw, found.next_follow_up_at, zone) if found.next_follow_up_at else None
            overdue = is_overdue(found.state, found.follow_ups)
            lines.append((not overdue, words.list_line(found, platform, slug, chase)))
    lines.sort(key=lambda line: line[0])  # overdue first, as in App Home; else newest first
    return Reply(words.list_text([line for _, line in lines]))


def _show(lw: Loanwatch, args: list[str]) -> Reply:
    if len(args) != 1:
        raise InputError(_("say which ticket, e.g. `ticket show T-3`"))
    with lw.reading() as session:
        found = get_ticket(session, ticket_number(args[0]))
        slug, platform, zone = _names(session, found)
        alerts = [a.id for a in linked_alerts(session, found)]
        label = ticket_label(found.number)
        timeline = [
            (
                _when(lw, e.at, zone),
                e.kind,
                actor_name(e.actor),
                entry_text(e.kind, e.data, e.text, label),
            )
            for e in entries(session, found)
        ]
        text = words.show_lines(found, platform, slug, alerts, timeline)
    return Reply(text)


def _when(lw: Loanwatch, at: datetime, zone: str | None) -> str:
    """A time as its alert shows it (the facility's zone), in the reader's language."""
    return moment(at, shown_zone(zone, lw.settings.timezone), near=lw.clock().date())


def _names(session, found: Ticket) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """The ticket's facility slug, platform display name and facility time zone."""
    row = session.execute(
        select(Facility.slug, Platform.display_name, Facility.timezone)
        .join(Platform, Platform.id == Facility.platform_id)
        .where(Facility.id == found.facility_id)
    ).one()
    return row.slug, row.display_name, row.timezone
