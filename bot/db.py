"""Engine, sessions and the schema-version guard.

The schema changes only by Alembic migration (`loanwatch db upgrade`). Commands other than the
upgrade itself call :func:`require_current_schema` first, so a database that is behind is
reported with the command that fixes it instead of failing somewhere deep in a query.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Registers the flush hook that keeps the checks' summaries in step with every write.
import bot.ledger.summaries  # noqa: F401


class SchemaBehindError(RuntimeError):
    """The database is not at the schema this code needs."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a busy timeout."""
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

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # JIT compiling pays off for long analytical queries; ours are short and many, and the
        # check-cycle benchmark ran about 1 s of 17 s faster without it (bench/README.md).
        kwargs.setdefault("connect_args", {"options": "-c jit=off"})
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the CLI prints them)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll everything back if it raises."""
    with factory() as session, session.begin():
        yield session


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
            "the database has no loanwatch tables yet: run `loanwatch db upgrade` first"
        )
    raise SchemaBehindError(
        f"the database schema is at {current} but this version needs {head}: "
        "run `loanwatch db upgrade`"
    )


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database's schema up to `revision` by running the migrations."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
