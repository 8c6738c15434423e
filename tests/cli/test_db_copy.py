"""`loanwatch db copy` and `db backup`: a team on the embedded SQLite file moves to PostgreSQL
without losing its history, and backs the file up while loanwatch runs.

The history is the demo's portfolio, checked once on SQLite (alerts opened, notices queued).
"""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.cli.demo import build_portfolio
from bot.db import make_engine
from bot.sessions import session_factory
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_json,
    loanwatch_on,
    ok,
)
from tests.support.databases import postgres_database, sqlite_copy

FIRST_CHECK = "2026-12-01T09:00:00+08:00"  # after the portfolio's last record: a real run
NEXT_DAY = "2026-12-02T09:00:00+08:00"


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """The team's SQLite file: the demo portfolio, checked once."""
    url = sqlite_copy(_sqlite_template, tmp_path)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        build_portfolio(session)
    engine.dispose()
    return url


@pytest.fixture
def empty_postgres() -> str:
    """A PostgreSQL database with nothing in it, not even loanwatch's tables."""
    with postgres_database(migrated=False) as url:
        yield url


def on(url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    return loanwatch_on(url, capsys)


@pytest.mark.postgres
def test_the_copy_carries_the_history_and_checks_the_same(
    sqlite_url: str, empty_postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the move, the alerts, the ledger and the next check's findings are the same."""
    old, new = on(sqlite_url, capsys), on(empty_postgres, capsys)
    ok(old(f"check --at {FIRST_CHECK}"))

    copied = ok(old(f"db copy --to {empty_postgres}"))

    assert "every table read back and matched" in copied.out
    alerts_line = next(line for line in copied.out.splitlines() if line.split()[0] == "alerts")
    assert int(alerts_line.split()[1]) > 0
    for listing in (
        "alert list --state all",
        "facility list",
        "export installments",
        "export bills",
    ):
        assert ok(new(listing)).out == ok(old(listing)).out, listing
    after_old = ok(old(f"check --at {NEXT_DAY}")).out
    after_new = ok(new(f"check --at {NEXT_DAY}")).out
    assert after_new == after_old
    assert ok(new("alert list --state all")).out == ok(old("alert list --state all")).out
    # New rows get fresh ids: the sequences moved past the copied ones.
    ok(new("draw add jiebei-main 1000 --months 3 --on 2026-12-02 --note after-move"))
    ok(new("repay add jiebei-main 100 --on 2026-12-02"))
    notes = [draw["note"] for draw in export_json(new, "draws")]
    assert notes.count("after-move") == 1
    assert len(notes) == len(export_json(old, "draws")) + 1


@pytest.mark.postgres
def test_a_target_with_data_is_refused_and_left_as_it_was(
    sqlite_url: str, empty_postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = on(sqlite_url, capsys), on(empty_postgres, capsys)
    ok(old(f"db copy --to {empty_postgres}"))
    before = ok(new("alert list --state all")).out

    again = old(f"db copy --to {empty_postgres}")

    assert again.status == 2
    assert "is not empty" in again.err
    assert ok(new("alert list --state all")).out == before


@pytest.mark.postgres
def test_a_database_of_another_application_is_refused(
    sqlite_url: str, empty_postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = create_engine(empty_postgres)
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id integer primary key)"))
    other.dispose()

    refused = on(sqlite_url, capsys)(f"db copy --to {empty_postgres}")

    assert refused.status == 2
    assert "not loanwatch's" in refused.err


def test_the_password_is_not_shown(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A target that cannot be reached is a clear error without the password in it."""
    refused = on(sqlite_url, capsys)(
        "db copy --to postgresql+psycopg://loanwatch:hunter2secret@127.0.0.1:1/nowhere"
    )

    assert refused.status == 2
    assert "cannot reach" in refused.err
    assert "hunter2secret" not in refused.err + refused.out


def test_a_backup_is_a_whole_database_taken_while_it_is_in_use(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = on(sqlite_url, capsys)
    ok(old(f"check --at {FIRST_CHECK}"))
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    writer.execute("BEGIN IMMEDIATE")  # `loanwatch run` in the middle of writing
    backup = tmp_path / "loanwatch-backup.db"

    done = ok(old(f"db backup {backup}"))
    writer.rollback()
    writer.close()

    assert "integrity checked" in done.out
    restored = on(f"sqlite:///{backup}", capsys)
    assert ok(restored("alert list --state all")).out == ok(old("alert list --state all")).out

    refused = old(f"db backup {backup}")
    assert refused.status == 2
    assert "already exists" in refused.err


@pytest.mark.postgres
def test_postgresql_is_backed_up_with_its_own_tools(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = on(postgres_url, capsys)(f"db backup {tmp_path / 'x.db'}")

    assert refused.status == 2
    assert "pg_dump" in refused.err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("postgresql+psycopg://lw:PwLeak111@127.0.0.1:abc/x", "not a database URL"),
        ("PwLeak333isnotaurl", "not a database URL"),
        ("mysql://lw:PwLeak222@127.0.0.1/x", "no database driver for 'mysql'"),
    ],
)
def test_a_bad_target_url_is_one_line_without_its_password(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], target: str, said: str
) -> None:
    """A --to that is no URL, has a bad port or no driver here: exit 2, one line, nothing of
    what was typed that could be a password."""
    refused = on(sqlite_url, capsys)(f"db copy --to {target}")

    assert refused.status == 2
    assert said in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert "PwLeak" not in refused.err + refused.out


@pytest.mark.postgres
def test_a_row_postgresql_cannot_hold_is_named_and_nothing_is_committed(
    sqlite_url: str, empty_postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A draw's note with a NUL character (SQLite takes it, PostgreSQL's text cannot): exit 2
    naming the table and the draw's id, without the row's values; the target stays empty."""
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE draws SET note = 'before' || char(0) || 'after' WHERE id = 1")
        raw.execute("UPDATE draws SET note = 'https://hooks.example/Secret99' WHERE id = 2")
    raw.close()

    refused = on(sqlite_url, capsys)(f"db copy --to {empty_postgres}")

    assert refused.status == 2
    assert "table draws, id 1" in refused.err
    assert "NUL" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert "Secret99" not in refused.err + refused.out
    target = create_engine(empty_postgres)
    with target.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM facilities")) == 0
    target.dispose()
