"""Fixtures every test can use. Database tests run once on SQLite and once on PostgreSQL."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.db import make_engine
from bot.sessions import session_factory
from tests.support.databases import (
    empty_postgres_tables,
    migrated_sqlite_template,
    postgres_database,
    sqlite_copy,
)
from tests.support.logs import restored_logging  # noqa: F401 - a fixture for every test

ALICE = Actor("cli:alice", "cli")

# The workers and `run`s the tests start serve no metrics on the fixed default port (9464):
# never a fixed port in tests. A test that wants them gives a free one.
os.environ.setdefault("LOANWATCH_METRICS_PORT", "0")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        yield sqlite_copy(request.getfixturevalue("_sqlite_template"), tmp_path)
        return
    url = request.getfixturevalue("_postgres_url")
    empty_postgres_tables(url)
    yield url


@pytest.fixture
def postgres_url(_postgres_url: str) -> str:
    """The run's PostgreSQL database, emptied: for tests of what only PostgreSQL promises."""
    empty_postgres_tables(_postgres_url)
    return _postgres_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory like the application's."""
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session; tests commit or flush as the behaviour they pin down needs."""
    with sessions() as session:
        yield session


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for domain calls: 2026-11-28 10:00 in Shanghai."""
    return datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
def alice() -> Actor:
    """Alice, the treasurer, acting from the CLI."""
    return ALICE
