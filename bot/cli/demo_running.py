"""The demo's last chapter: what the IT admin running loanwatch sees of it (issue 15).

A backup of the SQLite file taken while it is in use (`loanwatch db backup`), and the part of
`GET /metrics` read from the database (`loanwatch_alerts`, the outbox): what Prometheus would
scrape from `web` or `worker` at this moment of the story.
"""

from pathlib import Path

import click
from prometheus_client import generate_latest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.demo_tickets import heading, say, shell
from bot.db_copy import backup_sqlite
from bot.i18n import _
from bot.metrics.exposition import scrape_registry

SHOWN = ("loanwatch_database_up", "loanwatch_alerts{", "loanwatch_outbox_pending")


def running(sessions: sessionmaker[Session], engine: Engine, folder: Path) -> None:
    """Back the demo's database up and show the metrics a scrape would read from it."""
    heading(_("The IT admin's side: a backup while it runs, and what Prometheus scrapes"))
    backup = folder / "backup.db"
    size = backup_sqlite(engine, backup)
    shell(f"loanwatch db backup {backup}")
    say(_("backed up ({size} bytes, integrity checked)").format(size=f"{size:,}"))
    scraped = generate_latest(scrape_registry(sessions)).decode()
    say(_("{command}  (the lines read from the database)").format(
        command="$ curl -s http://web:3000/metrics"))  # fmt: skip
    for line in scraped.splitlines():
        if line.startswith(SHOWN):
            click.echo(line)
