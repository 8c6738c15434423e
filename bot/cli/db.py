"""`loanwatch db`: the schema, by migration only."""

import click
from sqlalchemy import func, select

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.db import current_revision, head_revision, upgrade
from bot.db_copy import backup_sqlite, copy_database, safe_url
from bot.i18n import N_, _
from bot.ledger.summaries import rebuild_summaries
from bot.models import BillDay, FacilitySummary


@click.group(
    "db",
    cls=TranslatedGroup,
    help=N_("Database schema: upgrade to the newest migration, or show where it stands."),
)
def db_group() -> None:
    pass


@db_group.command(
    "upgrade", help=N_("Run the migrations the database has not had yet (creates it from empty).")
)
@click.pass_obj
def db_upgrade(state: CliState) -> None:
    url = state.settings.database_url
    before = current_revision(state.engine)
    upgrade(url)
    after = current_revision(state.engine)
    if before == after:
        click.echo(_("database already at {revision}").format(revision=after))
    else:
        click.echo(
            _("database upgraded from {before} to {after}").format(
                before=before or _("empty"), after=after
            )
        )


@db_group.command(
    "current", help=N_("Show the database's migration and the newest one this version ships.")
)
@click.pass_obj
def db_current(state: CliState) -> None:
    url = state.settings.database_url
    click.echo(
        _("database: {database}; code: {code}").format(
            database=current_revision(state.engine) or _("empty"), code=head_revision(url)
        )
    )


@db_group.command(
    "rebuild-summaries",
    help=N_(
        "Recompute the checks' summaries from the ledger and observations (safe at any time).\n\n"
        "Needed after rows were written past loanwatch (a bulk load, a hand-written INSERT); "
        "every change loanwatch makes keeps them up to date by itself."
    ),
)
@click.pass_obj
def db_rebuild_summaries(state: CliState) -> None:
    with state.transaction() as session:
        rebuild_summaries(session.connection())
        facilities = session.scalar(select(func.count()).select_from(FacilitySummary))
        days = session.scalar(select(func.count()).select_from(BillDay))
    click.echo(
        _("summaries rebuilt: {facilities} facilities, {days} facility days").format(
            facilities=facilities, days=days
        )
    )


@db_group.command(
    "copy",
    help=N_(
        "Copy every table into an empty database (moving from SQLite to PostgreSQL).\n\n"
        "The target is brought to the newest migration if it is empty, refused if it holds "
        "data; the copy is one transaction there, checked table by table (row count and "
        "checksum) before it commits. Stop `loanwatch run`/`worker` first so nothing written "
        "after the copy is left behind, then point DATABASE_URL at the target."
    ),
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help=N_("The empty database to copy into, e.g. postgresql+psycopg://user@host/loanwatch."),
)
@click.pass_obj
def db_copy(state: CliState, target: str) -> None:
    copies = copy_database(state.engine, target)
    held = [copy for copy in copies if copy.rows]
    width = max((len(copy.name) for copy in held), default=0)
    for copy in held:
        click.echo(
            f"  {copy.name:<{width}}  "
            + _("{rows} rows  sha256 {checksum}").format(
                rows=f"{copy.rows:>9,}", checksum=copy.checksum[:16]
            )
        )
    rows = sum(copy.rows for copy in copies)
    click.echo(
        _(
            "copied {rows} rows in {tables} tables ({empty} empty) to {target}; every table "
            "read back and matched."
        ).format(
            rows=f"{rows:,}",
            tables=len(copies),
            empty=len(copies) - len(held),
            target=safe_url(target),
        )
        + "\n"
        + _("Next: set DATABASE_URL to it and start loanwatch again.")
    )


@db_group.command(
    "backup",
    help=N_("Back up the SQLite database into a new file (safe while `loanwatch run` is serving)."),
)
@click.argument("destination", type=click.Path())  # a str: "" is not "."; ours say a folder
@click.pass_obj
def db_backup(state: CliState, destination: str) -> None:
    size = backup_sqlite(state.engine, destination)
    click.echo(
        _("backed up to {path} ({size} bytes, integrity checked)").format(
            path=destination, size=f"{size:,}"
        )
    )


def register(cli: click.Group) -> None:
    """Add the `db` commands."""
    cli.add_command(db_group)
