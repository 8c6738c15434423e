"""`loanwatch db`: the schema, by migration only."""

import click
from sqlalchemy import func, select

from bot.cli.context import CliState
from bot.db import current_revision, head_revision, upgrade
from bot.ledger.summaries import rebuild_summaries
from bot.models import BillDay, FacilitySummary


@click.group("db")
def db_group() -> None:
    """Database schema: upgrade to the newest migration, or show where it stands."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(state: CliState) -> None:
    """Run the migrations the database has not had yet (creates it from empty)."""
    url = state.settings.database_url
    before = current_revision(state.engine)
    upgrade(url)
    after = current_revision(state.engine)
    if before == after:
        click.echo(f"database already at {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


@db_group.command("current")
@click.pass_obj
def db_current(state: CliState) -> None:
    """Show the database's migration and the newest one this version ships."""
    url = state.settings.database_url
    click.echo(f"database: {current_revision(state.engine) or 'empty'}; code: {head_revision(url)}")


@db_group.command("rebuild-summaries")
@click.pass_obj
def db_rebuild_summaries(state: CliState) -> None:
    """Recompute the checks' summaries from the ledger and observations (safe at any time).

    Needed after rows were written past loanwatch (a bulk load, a hand-written INSERT); every
    change loanwatch makes keeps them up to date by itself.
    """
    with state.transaction() as session:
        rebuild_summaries(session.connection())
        facilities = session.scalar(select(func.count()).select_from(FacilitySummary))
        days = session.scalar(select(func.count()).select_from(BillDay))
    click.echo(f"summaries rebuilt: {facilities} facilities, {days} facility days")


def register(cli: click.Group) -> None:
    """Add the `db` commands."""
    cli.add_command(db_group)
