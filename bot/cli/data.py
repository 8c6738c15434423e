"""`loanwatch import` and `loanwatch export`: files in, rows out."""

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedCommand
from bot.cli.params import WholeNumberType
from bot.digest.cashflow import DEFAULT_WEEKS, MAX_WEEKS
from bot.i18n import N_, _
from bot.ledger.exports import COLUMNS, EXPORTS, export_rows
from bot.ledger.facilities import get_facility
from bot.ledger.importer import ImportSummary, import_statement, import_with_mapping
from bot.ledger.statements import FORMATS
from bot.spreadsheets import safe_cell


@click.command(
    "import",
    cls=TranslatedCommand,
    help=N_(
        "Import bills, limit readings, an Alipay export, or any bank's export through a saved "
        "mapping; all of the file or none of it."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--facility", required=True, help=N_("The facility the statement belongs to."))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--mapping", help=N_("Read the file (CSV or .xlsx) with this saved mapping."))
@click.pass_obj
def import_command(
    state: CliState, file: Path, facility: str, fmt: str, mapping: str | None
) -> None:
    if mapping and fmt != "auto":
        raise click.UsageError(_("--mapping says how to read the file; leave out --format"))
    data = file.read_bytes()
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        if mapping:
            summary = import_with_mapping(
                session, state.actor, target, data, mapping, now=state.now
            )
        else:
            summary = import_statement(session, state.actor, target, data, fmt=fmt, now=state.now)
    click.echo(import_report(file.name, facility, summary))


def import_report(file_name: str, facility: str, summary: ImportSummary) -> str:
    """What `import` says once the file is in (the demo says it too)."""
    return "\n".join(
        [
            _("imported {file} into {facility}").format(file=file_name, facility=facility),
            *(f"  {line}" for line in summary.lines()),
        ]
    )


@click.command(
    "export",
    cls=TranslatedCommand,
    help=N_(
        "Print KIND as JSON (a list of objects) or CSV; amounts are strings with two decimals."
    ),
)
@click.argument("kind", type=click.Choice(sorted(EXPORTS)))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option(
    "--include-superseded",
    is_flag=True,
    help=N_("installments: also those an early repayment replaced."),
)
@click.option("--month", help=N_("accruals: the month whose end they are at, YYYY-MM."))
@click.option(
    "--weeks",
    type=WholeNumberType(1, MAX_WEEKS, N_("weeks")),
    help=N_("cashflow: how many weeks from this week's Monday (default 13)."),
)
@click.pass_obj
def export_command(
    state: CliState,
    kind: str,
    fmt: str,
    include_superseded: bool,
    month: str | None,
    weeks: int | None,
) -> None:
    options: dict[str, Any] = (
        {"include_superseded": include_superseded} if kind == "installments" else {}
    )
    if kind == "accruals":
        options = {"month": month, "calendar": state.settings.calendar(), "now": state.now}
    elif month is not None:
        raise click.UsageError(_("--month goes with `export accruals`"))
    if kind == "cashflow":
        options = {"weeks": weeks or DEFAULT_WEEKS, "now": state.now, "zone": state.settings.zone}
    elif weeks is not None:
        raise click.UsageError(_("--weeks goes with `export cashflow`"))
    with state.transaction() as session:
        rows = export_rows(session, kind, **options)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    # The header even without rows: a script reading the file finds its columns either way.
    # Cells that could run as a formula in a spreadsheet (a typed subject) are defused.
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS[kind], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: safe_cell(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
                for k, v in row.items()
            }
        )


def register(cli: click.Group) -> None:
    """Add the import and export commands."""
    cli.add_command(import_command)
    cli.add_command(export_command)
