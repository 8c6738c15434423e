"""Engine, sessions and the schema-version guard.

The schema changes only by Alembic migration (`loanwatch db upgrade`). Commands other than the
upgrade itself call :func:`require_current_schema` first, so a database that is behind is
reported with the command that fixes it instead of failing somewhere deep in a query.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Insert,
    Row,
    Table,
    any_,
    bindparam,
    cast,
    column,
    create_engine,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.i18n import _

log = logging.getLogger(__name__)

T = TypeVar("T")

# SQLite's words for a database another connection holds, or one it cannot open now.
_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database")


class SchemaBehindError(RuntimeError):
    """The database is not at the schema this code needs."""


# How long to wait for PostgreSQL to accept a connection, and for a connection from the pool
# (LOANWATCH_DATABASE_TIMEOUT_SECONDS).
DATABASE_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, timeout: float = DATABASE_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a busy timeout.

    PostgreSQL: connecting (TCP and the server's answer to the start-up message, which a frozen
    server accepts but never answers) gives up after `timeout` seconds, as does waiting for a
    connection from a full pool. TCP keepalives and `tcp_user_timeout` break a connection whose
    server host has gone away (unacknowledged data or no keepalive answer for about 30 s), so
    a query then fails instead of waiting forever. A server that is frozen on a live host is
    not noticed by TCP: the health checks and metrics bound their own wait (bot.bounded).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _savepoint_in_a_transaction(conn: Any, _name: str) -> None:
            # pysqlite begins a transaction only at the first INSERT, UPDATE or DELETE; a
            # SAVEPOINT sent before one would start the transaction itself and its RELEASE
            # would commit it, out of reach of the rollback around it. Begin it first, so
            # savepoints nest. IMMEDIATE: work in a savepoint is there to write, and a
            # deferred transaction that read first could not write once another connection
            # had (SQLite refuses the upgrade at once instead of waiting its busy timeout).
            driver = conn.connection.driver_connection
            if not driver.in_transaction:
                driver.execute("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # JIT compiling pays off for long analytical queries; ours are short and many, and the
        # check-cycle benchmark ran about 1 s of 17 s faster without it (bench/README.md).
        kwargs.setdefault("connect_args", {"options": "-c jit=off", **_tcp_bounds(timeout)})
        if kwargs.get("poolclass") in (None, QueuePool):  # only a queue of connections waits
            kwargs.setdefault("pool_timeout", timeout)
    return create_engine(url, **kwargs)


def _tcp_bounds(timeout: float) -> dict[str, int]:
    """libpq connection parameters that bound connecting and notice a vanished server."""
    return {
        "connect_timeout": max(2, round(timeout)),  # libpq's smallest
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 30_000,  # milliseconds
    }


def database_unavailable(exc: BaseException) -> bool:
    """The database is busy or out of reach for now (not a bug in the request or the code): a
    lost or refused connection, PostgreSQL's operational errors (connection refused, shutting
    down, lock timeout), SQLite's "database is locked"."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__ if orig is not None else ""
    if module.startswith("psycopg"):
        return isinstance(orig, psycopg.OperationalError)
    if module.startswith("sqlite3"):
        return any(words in str(orig) for words in _SQLITE_BUSY)
    return False


def through_outages(
    step: Callable[[], T],
    *,
    what: str,
    within: float,
    stop: threading.Event | None = None,
    first_pause: float = 0.5,
    longest_pause: float = 8.0,
) -> T:
    """`step()`, tried again while the database is unavailable (a restart, a failover), with
    pauses doubling from `first_pause` to `longest_pause`, for `within` seconds at most or until
    `stop` is set; then its error is raised. Any other error is raised at once.

    Only for a step that is one transaction: one that failed rolled back whole, so trying it
    again does it once. The engine's pre-ping replaces the connections the outage broke.
    """
    deadline = time.monotonic() + within
    pause = first_pause
    while True:
        try:
            return step()
        except DBAPIError as exc:
            left = deadline - time.monotonic()
            if not database_unavailable(exc) or left <= 0 or (stop is not None and stop.is_set()):
                raise
            wait = min(pause, left)
            log.warning(
                "%s: the database is unavailable (%s); trying again in %.1f s",
                what,
                str(exc.orig or exc).splitlines()[0][:200],
                wait,
            )
            if stop is not None and stop.wait(wait):
                raise
            if stop is None:
                time.sleep(wait)
            pause = min(pause * 2, longest_pause)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll everything back if it raises."""
    with factory() as session, session.begin():
        yield session


def among(session: Session | Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`, for lists of thousands of ids or dates.

    An IN list binds a parameter per value, and psycopg rewrites such a statement in Python on
    every execution (about 12 µs a parameter), while SQLite caps the number of parameters. So
    PostgreSQL gets `= ANY(array)`, one parameter; SQLite gets the values written into the SQL
    (ids and dates, which are safe to write as literals).
    """
    bind = session.get_bind() if isinstance(session, Session) else session
    if bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(bindparam(None, list(values), expanding=True, literal_execute=True))


def insert_many(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[Column[Any]] = (),
    *,
    skip_existing: bool = False,
) -> list[Row[Any]]:
    """INSERT many rows (dicts with the same keys) in the session's transaction; `returning` each.

    `skip_existing`: a row whose unique key is taken already (or is being inserted by another
    transaction, which PostgreSQL waits for) is left out, `ON CONFLICT DO NOTHING`, and not
    returned; the rest go in.

    SQLAlchemy sends many rows as multi-row `VALUES` statements with a bound parameter per value
    ("insertmanyvalues", ~20,000 parameters for 1,000 alerts), and psycopg rewrites a statement
    that size in Python every time (it caches only short ones), about 12 µs a parameter; its
    `executemany` instead runs the statement once per row. On PostgreSQL the rows therefore
    travel as one JSON document, unpacked into the table's column types by `json_to_recordset`:
    one statement, a parameter for the document and one for each value all rows share. Values
    go through each column's own type first (aware times stay aware, a None in a JSON column
    stays JSON `null`), so the rows are those the plain form writes, which SQLite keeps.
    Rows come back in no set order: return a key to match them by.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = _insert_from_json(session, table, rows, skip_existing)
        if statement is not None:
            if not returning:
                session.execute(statement)
                return []
            return list(session.execute(statement.returning(*returning)))
    plain = _insert(session, table, skip_existing)
    if not returning:
        session.execute(plain, rows)
        return []
    return list(session.execute(plain.returning(*returning), rows))


def _insert(session: Session, table: Table, skip_existing: bool) -> Insert:
    """`INSERT INTO table`, with `ON CONFLICT DO NOTHING` when `skip_existing`."""
    if not skip_existing:
        return insert(table)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"skip_existing on {dialect}")


def _insert_from_json(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], skip_existing: bool
) -> Insert | None:
    """`INSERT … SELECT … FROM json_to_recordset(:rows)`; None if no column varies."""
    dialect = session.get_bind().dialect
    columns = [table.c[key] for key in rows[0]]
    first = rows[0]
    # A value the same in every row (the time, the actor…) is bound once, as a plain insert
    # binds it; the rest travel in the document.
    same = {c.key for c in columns if all(row[c.key] == first[c.key] for row in rows)}
    varying = [c for c in columns if c.key not in same]
    if not varying:
        return None
    fields = [(c.key, c.name, _to_json(c, dialect)) for c in varying]
    document = [
        {name: row[key] if convert is None else convert(row[key]) for key, name, convert in fields}
        for row in rows
    ]
    incoming = (
        func.json_to_recordset(bindparam("rows", document, type_=JSON))
        .table_valued(*(column(c.name, c.type) for c in varying))
        .render_derived("incoming", with_types=True)
    )
    values = [
        bindparam(None, first[c.key], type_=c.type)
        if c.key in same
        else _from_json(incoming.c[c.name], c)
        for c in columns
    ]
    target = _insert(session, table, skip_existing)
    return target.from_select([c.key for c in columns], select(*values))


def _to_json(target: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a column's value goes into the JSON document `insert_many` sends; None: as it is."""
    if isinstance(target.type, JSON):
        return None  # nested as JSON, exactly the text the column's own serialiser writes
    process = target.type.dialect_impl(dialect).bind_processor(dialect)
    try:
        if process is None and target.type.python_type in (str, int, bool):
            return None
    except NotImplementedError:
        pass

    def convert(value: Any) -> Any:
        if process is not None:
            value = process(value)
        if isinstance(value, date):  # and datetime: ISO-8601, with the offset of an aware time
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    return convert


def _from_json(value: ColumnElement[Any], target: Column[Any]) -> ColumnElement[Any]:
    """The column's value as read from the document."""
    if isinstance(target.type, JSON) and not target.type.none_as_null:
        # json_to_recordset reads a JSON null as SQL NULL; the column keeps None as JSON null.
        return func.coalesce(value, cast(literal("null"), target.type))
    return value


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    # ConfigParser interpolation would eat a literal % in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision(url: str) -> str | None:
    """The newest migration the code ships."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def known_revision(url: str, revision: str) -> bool:
    """Whether `revision` is one of the migrations this code ships (not a newer release's)."""
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config(url)).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise SchemaBehindError, naming the fix, unless the database is at the newest migration."""
    url = engine.url.render_as_string(hide_password=False)
    head, current = head_revision(url), current_revision(engine)
    if current == head:
        return
    if current is None:
        raise SchemaBehindError(
            _("the database has no loanwatch tables yet: run `loanwatch db upgrade` first")
        )
    raise SchemaBehindError(
        _(
            "the database schema is at {current} but this version needs {head}: "
            "run `loanwatch db upgrade`"
        ).format(current=current, head=head)
    )


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database's schema up to `revision` by running the migrations."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
