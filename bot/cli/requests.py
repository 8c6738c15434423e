"""`loanwatch requests list`: the requests sent in Slack (docs/requests.md): readings and bills
to facilities' owners, arrivals to the people who logged draws."""

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot.cli.context import CliState
from bot.cli.render import table
from bot.ledger.reading_requests import RequestKind, requests_in
from bot.ledger.request_owners import gone_owners
from bot.models import ReadingRequest


@click.group("requests")
def requests_group() -> None:
    """Requests sent in Slack: readings, bills, whether a draw's money arrived."""


@requests_group.command("list")
@click.option(
    "--state",
    "wanted",
    type=click.Choice(["open", "answered", "all"]),
    default="open",
    show_default=True,
    help="Waiting for an answer, answered, or both.",
)
@click.pass_obj
def requests_list(state: CliState, wanted: str) -> None:
    """The requests, newest slot first: kind, facility, what each asks about, slot, answer and
    reminder times in the facility's zone, the person asked (marked when no longer in the
    workspace)."""
    with state.transaction() as session:
        gone = gone_owners(session)
        rows = []
        for request, facility in requests_in(session, wanted):
            zone = ZoneInfo(facility.timezone)
            gone_mark = GONE if (request.facility_id, request.owner) in gone else ""
            rows.append(
                [
                    str(request.id),
                    request.kind,
                    facility.slug,
                    subject(request),
                    _at(request.slot, zone),
                    request.owner + gone_mark,
                    request.state,
                    request.answer or "",
                    _at(request.answered_at, zone),
                    _at(request.reminded_at, zone),
                ]
            )
    if not rows:
        click.echo(f"no {'' if wanted == 'all' else wanted + ' '}requests")
        return
    headers = [
        "id",
        "kind",
        "facility",
        "about",
        "asked for",
        "asked",
        "state",
        "answer",
        "answered at",
        "reminded",
    ]
    click.echo(table(headers, rows))
    if any(GONE in row[headers.index("asked")] for row in rows):
        click.echo(GONE_NOTE)


# Beside a person no longer in the workspace (an open `owner_gone` alert), and what it means.
GONE = " (gone)"
GONE_NOTE = (
    "(gone): no longer in the workspace, so nothing more is sent to them for that facility; "
    "set another owner with `loanwatch facility set FAC --owner U…`"
)


def _at(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def subject(request: ReadingRequest) -> str:
    """What a request asks about: `reading`, `bill due 2026-12-20`, `draw #3`."""
    if request.kind == RequestKind.BILL and request.due_date is not None:
        return f"bill due {request.due_date.isoformat()}"
    if request.kind == RequestKind.DRAW:
        return f"draw #{request.draw_id}"
    return "reading"


def register(cli: click.Group) -> None:
    """Add the requests commands."""
    cli.add_command(requests_group)
