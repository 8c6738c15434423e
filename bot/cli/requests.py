"""`loanwatch requests list`: the requests sent in Slack (docs/requests.md): readings and bills
to facilities' owners, arrivals to the people who logged draws."""

from zoneinfo import ZoneInfo

import click

from bot.cli.context import CliState
from bot.cli.render import table
from bot.ledger.reading_requests import RequestKind, requests_in
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
    """The requests, newest slot first: kind, facility, what each asks about, slot and answer
    times in the facility's zone, the person asked."""
    with state.transaction() as session:
        rows = []
        for request, facility in requests_in(session, wanted):
            zone = ZoneInfo(facility.timezone)
            answered = request.answered_at
            rows.append(
                [
                    str(request.id),
                    request.kind,
                    facility.slug,
                    subject(request),
                    f"{request.slot.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                    request.owner,
                    request.state,
                    request.answer or "",
                    "" if answered is None else f"{answered.astimezone(zone):%Y-%m-%d %H:%M %Z}",
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
    ]
    click.echo(table(headers, rows))


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
