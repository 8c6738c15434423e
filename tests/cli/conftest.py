"""What the command-line tests share."""

from datetime import UTC, datetime

import pytest

from tests.support.clock import Clock


@pytest.fixture
def terminal_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The time every command Alice types believes it is (`CliState.now`), until the test moves
    it: Tuesday 2026-12-01 10:00 in Shanghai. A test whose commands stamp what they record with
    the time they are typed asks for it, so it does not change meaning as the wall clock moves
    on; delivery keeps the real clock."""
    clock = Clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    monkeypatch.setattr("bot.cli.context.utcnow", clock)
    return clock
