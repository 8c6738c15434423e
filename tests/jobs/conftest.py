"""Fixtures of the delivery tests: a fake Slack and a clock that moves only when told."""

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.jobs.slack_support import ALERTS, FakeClock
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack with #loan-alerts, which the bot has joined."""
    with FakeSlack() as fake:
        fake.add_channel(ALERTS, "loan-alerts")
        yield fake


@pytest.fixture
def clock(now: datetime) -> FakeClock:
    """The workers' clock."""
    return FakeClock(now)
