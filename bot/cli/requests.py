"""`loanwatch requests list`: the reading requests sent to facilities' owners (docs/requests.md)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot.cli.context import CliState
from bot.cli.render import table
from bot.ledger.reading_requests import requests_in
from bot.ledger.request_owners import gone_owners


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
    """The requests, newest slot first: facility, slot, reminder and answer times in its zone,
    its person (marked when no longer in the workspace)."""
    with state.transaction() as session:
        gone = gone_owners(session)
        rows = []
        for request, facility in requests_in(session, wanted):
            zone = ZoneInfo(facility.timezone)
            gone_mark = GONE if (request.facility_id, request.owner) in gone else ""
            rows.append(
                [
                    str(request.id),
                    facility.slug,
                    _at(request.slot, zone),
                    request.owner + gone_mark,
                    request.state,
                    request.answer or "",
                    _at(request.answered_at, zone),
                    _at(request.reminded_at, zone),
                ]
            )
    if not rows:
        click.echo(f"no {'' if wanted == 'all' else wanted + ' '}reading requests")
        return
    headers = ["id", "facility", "asked for", "owner", "state", "answer", "answered at", "reminded"]
    click.echo(table(headers, rows))
    if any(GONE in row[3] for row in rows):
        click.echo(GONE_NOTE)


# Beside a person no longer in the workspace (an open `owner_gone` alert), and what it means.
GONE = " (gone)"
GONE_NOTE = (
    "(gone): no longer in the workspace, so nothing more is sent to them for that facility; "
    "set another owner with `loanwatch facility set FAC --owner U…`"
)


def _at(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def register(cli: click.Group) -> None:
    """Add the requests commands."""
    cli.add_command(requests_group)
