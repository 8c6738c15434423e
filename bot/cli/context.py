"""What every CLI command shares: settings, the database, who is acting, and now."""

import getpass
import io
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import datetime
from functools import cached_property

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.clock import utcnow
from bot.db import make_engine, require_current_schema, transaction
from bot.sessions import session_factory
from bot.settings import Settings


class CliState:
    """Built once per invocation; the database is opened only by commands that need it."""

    def __init__(self, database_url: str | None = None) -> None:
        self._database_url = database_url
        self._engine: Engine | None = None

    @cached_property
    def settings(self) -> Settings:
        """The settings, with --database-url taking precedence over the environment."""
        if self._database_url:
            return Settings(DATABASE_URL=self._database_url)
        return Settings()

    @property
    def engine(self) -> Engine:
        """The engine, created on first use."""
        if self._engine is None:
            self._engine = make_engine(
                self.settings.database_url, timeout=self.settings.database_timeout_seconds
            )
        return self._engine

    @cached_property
    def actor(self) -> Actor:
        """The person at the terminal, as the audit trail names them."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return Actor(f"cli:{user}", "cli")

    @cached_property
    def now(self) -> datetime:
        """One `now` for the whole command, so every row it writes agrees on the time."""
        return utcnow()

    @cached_property
    def _sessions(self) -> sessionmaker[Session]:
        require_current_schema(self.engine)
        return session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the command succeeds, else rolled back.

        What the command prints inside it reaches the terminal only after the commit. Printed
        at once, an answer ("drawn …") could be read and then undone: a reader that stops early
        (`loanwatch draw add … | head -1`) breaks the pipe on the next line, and the error
        rolled the draw back after its answer had been shown. Held, the answer is shown for what
        was committed, and a change rolled back shows nothing but its error (on stderr, which is
        not held)."""
        held = io.StringIO()
        with redirect_stdout(held), transaction(self._sessions) as session:
            yield session
        click.echo(held.getvalue(), nl=False)

    @contextmanager
    def rolled_back(self) -> Iterator[Session]:
        """A session in one transaction that is always rolled back: a run that must change
        nothing (a replay of the checks as of the past) works as usual, then leaves no trace."""
        with self._sessions() as session, session.begin() as outer:
            yield session
            outer.rollback()

    def close(self) -> None:
        """Release database connections."""
        if self._engine is not None:
            self._engine.dispose()
