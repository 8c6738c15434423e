"""`loanwatch requests list`: the requests sent in Slack (docs/requests.md): readings and bills
to facilities' owners, arrivals to the people who logged draws."""

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.render import table
from bot.cli.words import word
from bot.i18n import N_, _, formats, pgettext
from bot.ledger.reading_requests import RequestKind, RequestState, answer_words, requests_in
from bot.ledger.request_owners import gone_owners
from bot.models import ReadingRequest


@click.group(
    "requests",
    cls=TranslatedGroup,
    help=N_("Requests sent in Slack: readings, bills, whether a draw's money arrived."),
)
def requests_group() -> None:
    pass


@requests_group.command(
    "list",
    help=N_(
        "The requests, newest slot first: kind, facility, what each asks about, slot, answer "
        "and reminder times in the facility's zone, the person asked (marked when no longer "
        "in the workspace)."
    ),
)
@click.option(
    "--state",
    "wanted",
    type=click.Choice(["open", "answered", "all"]),
    default="open",
    show_default=True,
    help=N_("Waiting for an answer, answered, or both."),
)
@click.pass_obj
def requests_list(state: CliState, wanted: str) -> None:
    with state.transaction() as session:
        gone = gone_owners(session)
        rows = []
        for request, facility in requests_in(session, wanted):
            zone = ZoneInfo(facility.timezone)
            gone_mark = _(GONE) if (request.facility_id, request.owner) in gone else ""
            rows.append(
                [
                    str(request.id),
                    word(request.kind),
                    facility.slug,
                    subject(request),
                    _at(request.slot, zone),
                    request.owner + gone_mark,
                    _state(request.state),
                    answer_words(request.answer) if request.answer else "",
                    _at(request.answered_at, zone),
                    _at(request.reminded_at, zone),
                ]
            )
    if not rows:
        click.echo(_(NO_REQUESTS.get(wanted, NO_REQUESTS["all"])))
        return
    headers = [
        _("id"),
        _("kind"),
        _("facility"),
        _("about"),
        _("asked for"),
        _("asked"),
        _("state"),
        _("answer"),
        _("answered at"),
        _("reminded"),
    ]
    click.echo(table(headers, rows))
    if any(row[5].endswith(_(GONE)) for row in rows):
        click.echo(_(GONE_NOTE))


NO_REQUESTS = {
    "open": N_("no open requests"),
    "answered": N_("no answered requests"),
    "all": N_("no requests"),
}
# Beside a person no longer in the workspace (an open `owner_gone` alert), and what it means.
GONE = N_(" (gone)")
GONE_NOTE = N_(
    "(gone): no longer in the workspace, so nothing more is sent to them for that facility; "
    "set another owner with `loanwatch facility set FAC --owner U…`"
)


def _state(state: str) -> str:
    """A request's state: `open` waits for its answer (待回复), not an open alert's 未处理."""
    return pgettext("reading request", "open") if state == RequestState.OPEN else word(state)


def _at(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else formats.moment(moment, zone)


def subject(request: ReadingRequest) -> str:
    """What a request asks about: `reading`, `bill due 2026-12-20`, `draw #3`."""
    if request.kind == RequestKind.BILL and request.due_date is not None:
        return _("bill due {due}").format(due=formats.day(request.due_date))
    if request.kind == RequestKind.DRAW:
        return _("draw #{id}").format(id=request.draw_id)
    return _("reading")


def register(cli: click.Group) -> None:
    """Add the requests commands."""
    cli.add_command(requests_group)
