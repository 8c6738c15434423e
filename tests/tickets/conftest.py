"""The cast and props of the ticket tests.

Alice runs the commands at her terminal on a clock the test sets (`clock.now`); Jiebei is
reached by hand, Weilidai by email. Each command runs through the real CLI (`bot.cli.main`).
"""

import shlex
from datetime import UTC, datetime

import pytest

from bot.cli import main


class FrozenClock:
    """The time every command believes it is (`CliState.now`), until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    """Alice's clock; delivery keeps the real one."""
    frozen = FrozenClock()
    monkeypatch.setattr("bot.cli.context.utcnow", frozen)
    return frozen


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch, clock):
    """Run a loanwatch command line as Alice; returns (status, out, err)."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def ok(result: tuple[int, str, str]) -> str:
    """The output of a command that must succeed."""
    status, out, err = result
    assert status == 0, err
    return out


@pytest.fixture
def missing_bill(loanwatch, clock) -> int:
    """Alice drew ¥20,000.00 on jiebei-main on 2026-11-08; by 2026-12-01 no December bill has
    shown, and the check opened a bill_missing alert. Returns its id."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    clock.now = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
    ok(loanwatch("draw add jiebei-main 20,000 --months 12 --on 2026-11-08"))
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    ok(loanwatch("check"))
    out = ok(loanwatch("alert list"))
    [line] = [row for row in out.splitlines() if "bill_missing" in row]
    return int(line.split()[0])
