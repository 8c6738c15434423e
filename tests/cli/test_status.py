"""`loanwatch status`: what /healthz and /readyz say, for an admin's shell, the worker included.

Dana the admin asks from her shell. The worker serves no HTTP; its scheduler's slots in the
database say whether it runs. The exit status is what a cron job or monitoring agent reads.
"""

import json
import shlex
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.clock import utcnow
from bot.db import head_revision, make_engine
from bot.models import OutboxMessage, SchedulerSlot
from bot.sessions import session_factory


@pytest.fixture
def loanwatch(database_url, capsys):
    """Run a loanwatch command line; returns (status, out, err)."""

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def worker_ran(sessions, minutes_ago: int) -> None:
    """A worker claimed the checks' slot `minutes_ago` minutes ago (and finished it)."""
    at = utcnow() - timedelta(minutes=minutes_ago)
    with sessions.begin() as session:
        session.add(
            SchedulerSlot(job="checks", slot=at, claimed_by="w1", claimed_at=at, finished_at=at)
        )


def test_no_worker_ever_ran_is_not_healthy(loanwatch) -> None:
    """A database no scheduler ever claimed a slot in: status says so and exits 1."""
    status, out, _err = loanwatch("status")

    assert status == 1
    assert "loanwatch: NOT HEALTHY" in out
    assert "scheduler: never ran" in out
    assert "schema:    current" in out


def test_a_worker_that_ran_within_two_intervals_is_healthy(loanwatch, sessions) -> None:
    """The checks ran 20 minutes ago (every 15): healthy, exit 0, the outbox and alerts shown."""
    worker_ran(sessions, 20)
    with sessions.begin() as session:
        waiting = utcnow() - timedelta(minutes=3)
        session.add(
            OutboxMessage(
                kind="alert.opened",
                channel="C0ALERTS",
                payload={},
                next_attempt_at=waiting,
                created_at=waiting,
            )
        )

    status, out, _err = loanwatch("status")

    assert status == 0, out
    assert "loanwatch: healthy" in out
    assert "scheduler: ok" in out
    assert "outbox:    1 pending, oldest" in out
    assert "alerts:    0 open" in out
    assert "failing checks: none" in out


def test_a_worker_silent_for_longer_than_two_intervals_is_stale(loanwatch, sessions) -> None:
    """The last slot 31 minutes ago, checks every 15: stale, exit 1; --json says the same."""
    worker_ran(sessions, 31)

    status, out, _err = loanwatch("status --json")

    report = json.loads(out)
    assert status == 1
    assert (report["ok"], report["healthy"], report["ready"]) == (False, False, False)
    assert report["scheduler"] == "stale"
    assert report["schema"]["current"] is True
    assert report["scheduler_runs"]["checks"]["finished"] is not None


def test_a_database_that_does_not_answer_is_said_so_without_its_password(capsys) -> None:
    """Nothing listens on the URL's port: exit 1, the reason in one line, no password, no
    traceback."""
    url = "postgresql+psycopg://loanwatch:Sekr3t-Passw0rd@127.0.0.1:1/loanwatch"

    status = main(["--database-url", url, "status"])

    out, err = capsys.readouterr()
    assert status == 1
    assert "database:  unreachable: OperationalError" in out
    assert "Connection refused" in out
    assert "Sekr3t-Passw0rd" not in out + err
    assert "Traceback" not in out + err


def test_a_database_never_upgraded_says_to_run_db_upgrade(tmp_path, capsys) -> None:
    """An empty SQLite file: exit 1, reachable, the schema empty and the command that fixes
    it; no "unreachable", no "no such table"."""
    status = main(["--database-url", f"sqlite:///{tmp_path / 'new.db'}", "status"])

    out, err = capsys.readouterr()
    assert status == 1
    assert "database:  ok" in out
    assert "schema:    EMPTY, no loanwatch tables yet (run `loanwatch db upgrade`)" in out
    assert "unreachable" not in out
    assert "no such table" not in out + err


def test_a_schema_newer_than_the_code_says_to_upgrade_loanwatch_itself(
    loanwatch, sessions, database_url
) -> None:
    """A newer release's `db upgrade` ran: the advice is to upgrade loanwatch, never to run
    `db upgrade` (it knows no newer migration)."""
    with sessions.begin() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999_newer_release'"))
    try:
        status, out, _ = loanwatch("status")
    finally:
        with sessions.begin() as session:
            session.execute(
                text("UPDATE alembic_version SET version_num = :v"),
                {"v": head_revision(database_url)},
            )

    assert status == 1
    assert "NEWER than this loanwatch" in out
    assert "upgrade loanwatch itself" in out
    assert "run `loanwatch db upgrade`" not in out
