"""`loanwatch ticket` and `loanwatch platform contact`: cases with a platform, and whom to ask.

Like `loanwatch check`, each ticket command delivers what it enqueued before it exits.
"""

from pathlib import Path

import click
from sqlalchemy import select

from bot.cli import ticket_render
from bot.cli.context import CliState
from bot.cli.delivery import deliver_now
from bot.cli.helptexts import TranslatedGroup
from bot.cli.params import ALERT_ID, WholeNumberType
from bot.cli.words import word
from bot.errors import InputError
from bot.i18n import N_, ZH, _, parse_language
from bot.ledger.facilities import facility_zone
from bot.models import Facility, OutboxMessage, Platform
from bot.tickets.changes import (
    LIST_STATES,
    add_note,
    close_ticket,
    list_tickets,
    mark_sent,
    record_reply,
    reopen_ticket,
)
from bot.tickets.contacts import check_contact, set_contact
from bot.tickets.opening import MAX_RECORDS_DAYS, open_ticket
from bot.tickets.timeline import entries, get_ticket, linked_alerts
from bot.tickets.words import (
    DEFAULT_FOLLOW_UP_DAYS,
    DEFAULT_RECORDS_DAYS,
    Language,
    Via,
    ticket_label,
    ticket_number,
)

RECORDS_DAYS = WholeNumberType(1, MAX_RECORDS_DAYS, N_("days of usage records"))
FOLLOW_UP_DAYS = WholeNumberType(1, 60, N_("follow-up days"))


class TicketIdType(click.ParamType):
    """A ticket as people write it: T-3."""

    name = "ticket"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        try:
            return ticket_number(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


TICKET = TicketIdType()


def _channel(state: CliState) -> str | None:
    return state.settings.default_alert_channel


@click.group(
    "ticket",
    cls=TranslatedGroup,
    help=N_("Tickets with a platform: open, list, show, note, reply, sent, close, reopen."),
)
def ticket_group() -> None:
    pass


@ticket_group.command(
    "open", help=N_("Open a ticket with FACILITY's platform; prints its id (T-n) first.")
)
@click.argument("facility")
@click.option("--subject", required=True, help=N_("What is wrong, in a few words."))
@click.option("--alert", "alert_ids", type=ALERT_ID, multiple=True, help=N_("Link this alert."))
@click.option("--body", help=N_("More detail for the platform."))
@click.option(
    "--days",
    type=RECORDS_DAYS,
    default=DEFAULT_RECORDS_DAYS,
    show_default=True,
    help=N_("How many days of usage records to send."),
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Also save the usage records to this file (UTF-8 with BOM, for Excel)."),
)
@click.pass_obj
def ticket_open(
    state: CliState,
    facility: str,
    subject: str,
    alert_ids: tuple[int, ...],
    body: str | None,
    days: int,
    csv_path: Path | None,
) -> None:
    with state.transaction() as session:
        result = open_ticket(
            session,
            state.actor,
            facility,
            subject,
            now=state.now,
            calendar=state.settings.calendar(),
            alert_ids=alert_ids,
            body=body,
            days=days,
            default_channel=_channel(state),
        )
        if csv_path is not None:  # a file that cannot be written: nothing opened, exit 2
            try:
                csv_path.write_bytes(result.csv)
            except OSError as exc:
                raise InputError(
                    _(
                        "cannot write the usage records to {path}: {error}; nothing was opened"
                    ).format(path=csv_path, error=exc.strerror or exc)
                ) from exc
    click.echo(ticket_render.opened(result))
    if result.contact.via == Via.MANUAL:
        click.echo(ticket_render.manual_bundle(result))
    deliver_now(state)
    if result.platform_message_id is not None:  # say what became of it, not what was hoped
        with state.transaction() as session:
            row = session.get(OutboxMessage, result.platform_message_id)
            click.echo(ticket_render.delivery_outcome(result.label, row))


@ticket_group.command("list", help=N_("Tickets, newest first; overdue ones say so."))
@click.option(
    "--state",
    "wanted",
    type=click.Choice(LIST_STATES),
    default="open",
    show_default=True,
    help=N_("open means not closed."),
)
@click.pass_obj
def ticket_list(state: CliState, wanted: str) -> None:
    with state.transaction() as session:
        tickets = list_tickets(session, wanted)
        slugs = dict(session.execute(select(Facility.id, Facility.slug)).all())
        if not tickets:
            click.echo(_(NO_TICKETS[wanted]))
            return
        click.echo(ticket_render.ticket_list(tickets, slugs, state.settings.zone))


@ticket_group.command("show", help=N_("One ticket: its facts, its alerts and its timeline."))
@click.argument("ticket", type=TICKET)
@click.pass_obj
def ticket_show(state: CliState, ticket: int) -> None:
    with state.transaction() as session:
        found = get_ticket(session, ticket)
        facility = session.get(Facility, found.facility_id)
        platform = session.get(Platform, found.platform_id)
        assert facility is not None
        assert platform is not None
        alerts = [(a.id, a.state) for a in linked_alerts(session, found)]
        click.echo(
            ticket_render.ticket_show(
                found,
                facility.slug,
                platform.name,
                alerts,
                entries(session, found),
                facility_zone(facility),
            )
        )


@ticket_group.command("note", help=N_("Add a note to the ticket's timeline."))
@click.argument("ticket", type=TICKET)
@click.argument("text")
@click.pass_obj
def ticket_note(state: CliState, ticket: int, text: str) -> None:
    with state.transaction() as session:
        add_note(session, state.actor, ticket, text, now=state.now, default_channel=_channel(state))
    click.echo(_("{ticket}: note added").format(ticket=ticket_label(ticket)))
    deliver_now(state)


@ticket_group.command(
    "reply", help=N_("The platform answered: record what it said (and its case number).")
)
@click.argument("ticket", type=TICKET)
@click.argument("text")
@click.option("--case", "case_ref", help=N_("The platform's case number (工单号)."))
@click.pass_obj
def ticket_reply(state: CliState, ticket: int, text: str, case_ref: str | None) -> None:
    with state.transaction() as session:
        found = record_reply(
            session,
            state.actor,
            ticket,
            text,
            now=state.now,
            case_ref=case_ref,
            default_channel=_channel(state),
        )
        case = found.case_ref
    said = (
        _("{ticket}: reply recorded (case {case}); follow-ups stop")
        if case
        else _("{ticket}: reply recorded; follow-ups stop")
    )
    click.echo(said.format(ticket=ticket_label(ticket), case=case))
    deliver_now(state)


@ticket_group.command(
    "sent", help=N_("You sent it to the platform by hand: the follow-up clock starts now.")
)
@click.argument("ticket", type=TICKET)
@click.pass_obj
def ticket_sent(state: CliState, ticket: int) -> None:
    with state.transaction() as session:
        found = mark_sent(
            session,
            state.actor,
            ticket,
            now=state.now,
            calendar=state.settings.calendar(),
            default_channel=_channel(state),
        )
        facility = session.get(Facility, found.facility_id)
        assert facility is not None
        due = ticket_render.local_time(found.next_follow_up_at, facility_zone(facility))
    click.echo(
        _("{ticket}: marked as sent; first follow-up due {due}").format(
            ticket=ticket_label(ticket), due=due
        )
    )
    deliver_now(state)


@ticket_group.command("close", help=N_("Close the ticket with its resolution."))
@click.argument("ticket", type=TICKET)
@click.option("--resolution", required=True, help=N_("How it ended (kept on the ticket)."))
@click.pass_obj
def ticket_close(state: CliState, ticket: int, resolution: str) -> None:
    with state.transaction() as session:
        result = close_ticket(
            session, state.actor, ticket, resolution, now=state.now, default_channel=_channel(state)
        )
    click.echo(ticket_render.closed(ticket_label(ticket), result.open_alerts))
    deliver_now(state)


@ticket_group.command("reopen", help=N_("Open a closed ticket again, saying why."))
@click.argument("ticket", type=TICKET)
@click.argument("reason")
@click.pass_obj
def ticket_reopen(state: CliState, ticket: int, reason: str) -> None:
    with state.transaction() as session:
        found = reopen_ticket(
            session,
            state.actor,
            ticket,
            reason,
            now=state.now,
            calendar=state.settings.calendar(),
            default_channel=_channel(state),
        )
        facility = session.get(Facility, found.facility_id)
        assert facility is not None
        due = found.next_follow_up_at
        said = (
            _("{ticket} reopened; next follow-up due {due}")
            if due
            else _(
                "{ticket} reopened; send it again by hand, then `loanwatch ticket sent {ticket}`"
            )
        ).format(
            ticket=ticket_label(ticket),
            due=ticket_render.local_time(due, facility_zone(facility)),
        )
    click.echo(said)
    deliver_now(state)


@click.group(
    "platform",
    cls=TranslatedGroup,
    help=N_("Platforms: how each is contacted about tickets (admins)."),
)
def platform_group() -> None:
    pass


@platform_group.command(
    "contact", help=N_("Set how PLATFORM (or one of its facilities) is contacted about tickets.")
)
@click.argument("platform")
@click.option(
    "--via",
    type=click.Choice([v.value for v in Via]),
    required=True,
    help=N_(
        "How it is reached: email or webhook (loanwatch sends), or manual (a person writes "
        "in the platform's own app)."
    ),
)
@click.option("--to", help=N_("Email addresses, comma-separated (--via email)."))
@click.option("--url", help=N_("The webhook's address (--via webhook)."))
@click.option("--secret-env", help=N_("The environment variable with the webhook's secret."))
@click.option(
    "--language",
    default=ZH,
    show_default=True,
    help=N_("The language the platform reads its tickets in: zh-CN or en."),
)
@click.option(
    "--follow-up-days",
    type=FOLLOW_UP_DAYS,
    default=DEFAULT_FOLLOW_UP_DAYS,
    show_default=True,
    help=N_("Business days without an answer before a follow-up."),
)
@click.option("--facility", help=N_("Set this facility's override instead of the platform's."))
@click.pass_obj
def platform_contact(
    state: CliState,
    platform: str,
    via: str,
    to: str | None,
    url: str | None,
    secret_env: str | None,
    language: str,
    follow_up_days: int,
    facility: str | None,
) -> None:
    chosen = parse_language(language)
    contact = check_contact(
        Via(via),
        to=to,
        url=url,
        secret_env=secret_env,
        language=Language.ZH if chosen == ZH else Language.EN,
        follow_up_days=follow_up_days,
    )
    with state.transaction() as session:
        set_contact(session, state.actor, platform, contact, facility_slug=facility, now=state.now)
    scope = f"{platform} ({facility})" if facility else platform
    click.echo(
        _("{scope}: contact by {via}, {language}, follow up after {days} business days").format(
            scope=scope, via=word(via), language=chosen, days=follow_up_days
        )
    )


NO_TICKETS = {
    "open": N_("no open tickets"),
    "closed": N_("no closed tickets"),
    "all": N_("no all tickets"),
}


def register(cli: click.Group) -> None:
    """Add the ticket and platform commands."""
    cli.add_command(ticket_group)
    cli.add_command(platform_group)
