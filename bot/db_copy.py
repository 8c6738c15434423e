"""Moving a loanwatch database to another server, and backing up the embedded SQLite file.

`copy_database` reads every table of the current database (at the newest migration) and writes
it into an empty target brought to the same migration, in one transaction on the target: the
target ends with all of it or none of it. Rows keep their ids; PostgreSQL's sequences are moved
past the highest id so the next row gets a fresh one. Before committing, each table is read back
from the target and compared with the source by row count and a SHA-256 over its rows in key
order, decoded through the same column types (money as Decimal, times as aware UTC), so the
comparison is of what loanwatch reads, not of how each engine stores it.

`backup_sqlite` uses SQLite's online backup API: safe while `loanwatch run` is writing, it copies
the pages a consistent snapshot has, into a new file that appears only when complete.
"""

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from bot.db import current_revision, head_revision, make_engine, upgrade
from bot.errors import InputError
from bot.i18n import _
from bot.models import Base

BATCH = 1000
# Tables `db upgrade` fills by itself: the target's own row gives way to the source's, so the
# moved database keeps its identity (Slack messages posted before the move still match it).
MADE_BY_UPGRADE = frozenset({"installation"})


@dataclass(frozen=True)
class TableCopy:
    """One table as copied: its rows and the checksum both sides agreed on."""

    name: str
    rows: int
    checksum: str


def copy_database(source: Engine, target_url: str) -> list[TableCopy]:
    """Copy every loanwatch table from `source` into the empty database at `target_url`.

    Raises InputError (nothing written to the target's tables) when the source is not at the
    newest migration, the target is the source, or the target already holds data.
    """
    parsed = _parsed(target_url)
    shown = parsed.render_as_string(hide_password=True)
    source_url = source.url.render_as_string(hide_password=False)
    head = head_revision(source_url)
    if current_revision(source) != head:
        raise InputError(
            _(
                "the current database is not at the newest migration: run `loanwatch db upgrade` "
                "on it first, so both sides have the same tables"
            )
        )
    if parsed == source.url:
        raise InputError(
            _("{target} is the current database; copy to another one").format(target=shown)
        )
    try:
        target = make_engine(target_url)
    except (NoSuchModuleError, ImportError):
        raise InputError(
            _(
                "{target}: no database driver for {driver} here; copy to "
                "postgresql+psycopg://… (or sqlite:///…)"
            ).format(target=shown, driver=repr(parsed.drivername))
        ) from None
    try:
        try:
            _prepare_target(target, target_url, shown, head)
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise InputError(
                _("cannot reach {target}: {reason}").format(target=shown, reason=reason)
            ) from None
        try:
            with source.connect() as reading, target.begin() as writing:
                _consistent_snapshot(reading)
                copies = [_copy_table(table, reading, writing) for table in _tables()]
                _advance_sequences(writing)
        except DBAPIError as exc:
            raise CopyMismatchError(
                _("{target} refused the copy: {reason}; nothing was committed").format(
                    target=shown, reason=_reason(exc)
                )
            ) from None
        return copies
    finally:
        target.dispose()


def safe_url(url: str) -> str:
    """The URL as it may be shown or logged: the password masked."""
    return _parsed(url).render_as_string(hide_password=True)


def _parsed(url: str) -> URL:
    """`url` parsed, or InputError that never repeats it (it may be a password pasted by
    mistake, or a URL whose password could not be told apart)."""
    try:
        parsed = make_url(url)
        parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        raise InputError(
            _("--to is not a database URL (expected e.g. postgresql+psycopg://user@host/loanwatch)")
        ) from None
    return parsed


def _reason(exc: DBAPIError) -> str:
    """The database's own words, first line only: never the statement or its parameters (a
    webhook's URL), nor PostgreSQL's DETAIL line (`Failing row contains …`)."""
    lines = str(exc.orig or type(exc).__name__).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _tables() -> list[Table]:
    """Every table, parents before the tables that refer to them."""
    return list(Base.metadata.sorted_tables)


def _prepare_target(target: Engine, url: str, shown: str, head: str | None) -> None:
    revision = current_revision(target)
    if revision is None:
        if inspect(target).get_table_names():
            raise InputError(
                _(
                    "{target} already has tables that are not loanwatch's: copy into an empty "
                    "database"
                ).format(target=shown)
            )
        upgrade(url)
    elif revision != head:
        raise InputError(
            _(
                "{target} is at migration {revision}, this version's newest is {head}: run "
                "`loanwatch db upgrade` against it (or start from an empty database)"
            ).format(target=shown, revision=revision, head=head)
        )
    with target.connect() as connection:
        for table in _tables():
            if table.name in MADE_BY_UPGRADE:
                continue
            if connection.scalar(select(func.count()).select_from(table)):
                raise InputError(
                    _(
                        "{target} is not empty (table {table} has rows): loanwatch copies only "
                        "into an empty database, so nothing there is overwritten or mixed"
                    ).format(target=shown, table=table.name)
                )


def _consistent_snapshot(connection: Connection) -> None:
    """Make every table read from one moment, while other processes go on writing."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    elif connection.dialect.name == "sqlite":
        # A deferred transaction that has read holds its snapshot until it ends (WAL).
        connection.exec_driver_sql("BEGIN")


def _copy_table(table: Table, reading: Connection, writing: Connection) -> TableCopy:
    if table.name in MADE_BY_UPGRADE:
        writing.execute(table.delete())
    source_rows = _ordered(table, reading)
    copied = _Digest()
    batch: list[dict[str, Any]] = []
    for row in source_rows:
        copied.add(row)
        batch.append(row)
        if len(batch) == BATCH:
            _insert(table, batch, writing)
            batch = []
    if batch:
        _insert(table, batch, writing)
    landed = _Digest()
    for row in _ordered(table, writing):
        landed.add(row)
    if (landed.rows, landed.hexdigest()) != (copied.rows, copied.hexdigest()):
        raise CopyMismatchError(
            _(
                "table {table}: {read} rows read, {landed} read back from the target with a "
                "different checksum; nothing was committed"
            ).format(table=table.name, read=copied.rows, landed=landed.rows)
        )
    return TableCopy(table.name, copied.rows, copied.hexdigest())


def _insert(table: Table, rows: list[dict[str, Any]], writing: Connection) -> None:
    """Insert `rows`; one the target refuses (a NUL character PostgreSQL's text cannot hold)
    is found and told by its key, without the values: CopyMismatchError, nothing committed."""
    try:
        with writing.begin_nested():
            writing.execute(table.insert(), rows)
        return
    except DBAPIError as exc:
        failure = exc
    keys = [column.name for column in table.primary_key.columns]
    for row in rows:
        try:
            with writing.begin_nested():
                writing.execute(table.insert(), [row])
        except DBAPIError as exc:
            raise CopyMismatchError(_refused_row(table, keys, row, exc)) from None
    raise CopyMismatchError(
        _("table {table}: the target refused the rows: {reason}; nothing was committed").format(
            table=table.name, reason=_reason(failure)
        )
    ) from None


def _refused_row(table: Table, keys: list[str], row: dict[str, Any], exc: DBAPIError) -> str:
    """Which row the target refused, by its key (`id 7`), and the target's words."""
    if not keys:
        return _(
            "table {table}, a row: the target refused it: {reason}; nothing was committed"
        ).format(table=table.name, reason=_reason(exc))
    return _("table {table}, {key}: the target refused it: {reason}; nothing was committed").format(
        table=table.name,
        key=_(", ").join(f"{name} {row[name]}" for name in keys),
        reason=_reason(exc),
    )


def _ordered(table: Table, connection: Connection) -> Iterator[dict[str, Any]]:
    keys = list(table.primary_key.columns) or list(table.columns)
    result = connection.execute(select(table).order_by(*keys).execution_options(yield_per=BATCH))
    for row in result:
        yield dict(row._mapping)


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from sequences the copied rows did not use: move each past the
    highest id, so the first row loanwatch writes after the move does not collide."""
    if connection.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence is None:
                continue
            highest = connection.scalar(select(func.max(column)))
            connection.execute(
                text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )


class CopyMismatchError(InputError):
    """A table read back from the target differs from the source: the copy is rolled back.
    (Not bad input, but told the same way: one line, nothing changed, exit status 2.)"""


class _Digest:
    """Row count and SHA-256 over rows in key order, each value in one canonical spelling."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        line = json.dumps([_canonical(row[name]) for name in sorted(row)], ensure_ascii=False)
        self._hash.update(line.encode() + b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def backup_sqlite(engine: Engine, destination: Path | str) -> int:
    """Copy the SQLite database behind `engine` into the new file `destination`; return its size.

    The file is written beside its final name and renamed into place when complete, so a
    `destination` that exists was a whole backup. Refuses to overwrite, and refuses an empty
    name or a folder (`Path("")` is the current folder) by saying so.
    """
    if not str(destination).strip():
        raise InputError(
            _("name the new file to back up into, e.g. {example}").format(example=_BACKUP_EXAMPLE)
        )
    destination = Path(destination)
    if engine.dialect.name != "sqlite":
        raise InputError(
            _(
                "db backup is for the embedded SQLite database; back up PostgreSQL with its own "
                "tools (pg_dump, or your provider's snapshots)"
            )
        )
    if destination.is_dir():
        raise InputError(
            _("{path} is a folder; name a new file in it, e.g. {example}").format(
                path=destination, example=destination / _BACKUP_EXAMPLE
            )
        )
    if destination.exists():
        raise InputError(_taken(destination))
    folder = destination.parent
    if not folder.is_dir():
        raise InputError(_("{folder} is not a folder").format(folder=folder))
    handle, partial = tempfile.mkstemp(prefix=f".{destination.name}.", dir=folder)
    os.close(handle)
    try:
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(partial) as copy:
                raw.driver_connection.backup(copy, pages=256)  # type: ignore[union-attr]
                _verify(copy)
            copy.close()
        finally:
            raw.close()
        os.link(partial, destination)  # fails if someone created it meanwhile: never overwrite
    except FileExistsError as exc:
        raise InputError(_taken(destination)) from exc
    finally:
        Path(partial).unlink(missing_ok=True)
    return destination.stat().st_size


# The file name the refusals suggest (a name typed back, not words to translate).
_BACKUP_EXAMPLE = "loanwatch-backup.db"


def _taken(destination: Path) -> str:
    return _("{path} already exists; choose a new file name").format(path=destination)


def _verify(copy: sqlite3.Connection) -> None:
    (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
    if verdict != "ok":
        raise CopyMismatchError(
            _("the backup failed SQLite's integrity check: {verdict}").format(verdict=verdict)
        )
