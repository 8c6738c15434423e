"""Throwaway databases: a migrated SQLite file per test, a random PostgreSQL database per run.

PostgreSQL is found at LOANWATCH_TEST_POSTGRES_URL (default: the local trust-auth server). Under
CI=true a missing server fails the run; on a laptop without one, PostgreSQL tests skip and say why.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db import make_engine, upgrade
from bot.models import Base

ADMIN_URL = os.environ.get(
    "LOANWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def in_ci() -> bool:
    """True when running under CI, where PostgreSQL tests must run, never skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def migrated_sqlite_template(directory: Path) -> Path:
    """A SQLite file brought to the newest migration, to copy for each test."""
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """A fresh copy of the migrated template; returns its URL."""
    path = directory / f"loanwatch-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@contextmanager
def postgres_database(*, migrated: bool = True) -> Iterator[str]:
    """Create a randomly named PostgreSQL database, migrate it (unless told not to), and drop it
    afterwards."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"loanwatch_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {ADMIN_URL}: {exc.__class__.__name__}: {exc}"
        if in_ci():
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_postgres_tables(url: str) -> None:
    """Remove every row (keeping the schema and its migration stamp) between tests."""
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
