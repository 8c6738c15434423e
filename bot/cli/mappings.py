"""`loanwatch mapping`: how to read one bank's statement export, saved by name for
`loanwatch import FILE --facility FAC --mapping NAME` (docs/ledger.md)."""

import click

from bot.cli.context import CliState
from bot.cli.helptexts import FilledOption, TranslatedGroup
from bot.cli.render import table
from bot.cli.words import word
from bot.i18n import N_, _
from bot.ledger.mappings import add_mapping, list_mappings, remove_mapping
from bot.ledger.statements.mapped import ENCODINGS, FIELDS
from bot.ledger.statements.where import from_stored, shown
from bot.models import StatementMapping


@click.group(
    "mapping",
    cls=TranslatedGroup,
    help=N_("Saved ways to read a bank's export: add, list, remove."),
)
def mapping_group() -> None:
    pass


@mapping_group.command("add", help=N_("Save how to read one bank's export as NAME."))
@click.argument("name")
@click.option(
    "--kind", type=click.Choice(list(FIELDS)), required=True, help=N_("What the rows are.")
)
@click.option(
    "--columns",
    required=True,
    help=N_(
        'FIELD=COLUMN pairs, e.g. "due_date=还款日,amount=应还金额"; a repayments amount '
        'written negative when money leaves the account: "amount=-交易金额".'
    ),
)
@click.option("--date-format", help=N_("strftime format of the dates in text, e.g. %Y/%m/%d."))
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help=N_("A CSV's encoding: {encodings}."),
    cls=FilledOption,
    fill={"encodings": lambda: _(" or ").join(ENCODINGS)},
)
@click.option(
    "--skip-rows", type=int, default=0, show_default=True, help=N_("Rows before the header.")
)
@click.option(
    "--where",
    help=N_(
        'Only rows whose COLUMN is VALUE ("交易摘要=正常还款"), or contains TEXT ("摘要~还款").'
    ),
)
@click.pass_obj
def mapping_add(
    state: CliState,
    name: str,
    kind: str,
    columns: str,
    date_format: str | None,
    encoding: str,
    skip_rows: int,
    where: str | None,
) -> None:
    with state.transaction() as session:
        row = add_mapping(
            session,
            state.actor,
            name,
            kind=kind,
            columns=columns,
            date_format=date_format,
            encoding=encoding,
            skip_rows=skip_rows,
            where=where,
            now=state.now,
        )
        click.echo(saved_line(row))


def saved_line(row: StatementMapping) -> str:
    """What `mapping add` says once the mapping is saved (the demo says it too)."""
    return _("mapping {name} saved: {kind} from {columns}").format(
        name=row.name, kind=word(row.kind), columns=_columns(row.columns)
    )


@mapping_group.command("list", help=N_("Every saved mapping."))
@click.pass_obj
def mapping_list(state: CliState) -> None:
    with state.transaction() as session:
        rows = [
            [
                m.name,
                word(m.kind),
                _columns(m.columns),
                m.date_format or "-",
                m.encoding,
                str(m.skip_rows),
                shown(from_stored(m.row_filter)) if m.row_filter else "-",
            ]
            for m in list_mappings(session)
        ]
    if not rows:
        click.echo(
            _("no mappings; save one with `loanwatch mapping add NAME --kind … --columns …`")
        )
        return
    headers = [
        _("name"),
        _("kind"),
        _("columns"),
        _("date format"),
        _("encoding"),
        _("skip rows"),
        _("where"),
    ]
    click.echo(table(headers, rows))


@mapping_group.command(
    "remove", help=N_("Remove the mapping NAME (what was imported with it stays).")
)
@click.argument("name")
@click.pass_obj
def mapping_remove(state: CliState, name: str) -> None:
    with state.transaction() as session:
        remove_mapping(session, state.actor, name, now=state.now)
    click.echo(_("mapping {name} removed").format(name=name))


def _columns(pairs: dict[str, str]) -> str:
    return ",".join(f"{field}={column}" for field, column in pairs.items())


def register(cli: click.Group) -> None:
    """Add the mapping commands."""
    cli.add_command(mapping_group)
