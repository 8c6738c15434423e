"""`loanwatch requests list`: the reading requests sent to facilities' owners (docs/requests.md)."""

from zoneinfo import ZoneInfo

import click

from bot.cli.context import CliState
from bot.cli.render import table
from bot.ledger.reading_requests import requests_in


@click.group("requests")
def requests_group() -> None:
    """Reading requests sent to facilities' owners in Slack."""


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
    """The requests, newest slot first: facility, slot and answer times in its zone, owner."""
    with state.transaction() as session:
        rows = []
        for request, facility in requests_in(session, wanted):
            zone = ZoneInfo(facility.timezone)
            answered = request.answered_at
            rows.append(
                [
                    str(request.id),
                    facility.slug,
                    f"{request.slot.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                    request.owner,
                    request.state,
                    request.answer or "",
                    "" if answered is None else f"{answered.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                ]
            )
    if not rows:
        click.echo(f"no {'' if wanted == 'all' else wanted + ' '}reading requests")
        return
    headers = ["id", "facility", "asked for", "owner", "state", "answer", "answered at"]
    click.echo(table(headers, rows))


def register(cli: click.Group) -> None:
    """Add the requests commands."""
    cli.add_command(requests_group)
