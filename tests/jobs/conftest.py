"""Fixtures of the jobs' tests: a fake Slack and a clock that moves only when told (delivery),
and Alice's Jiebei line with its draw (the checks run as of a moment T)."""

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.models import Draw, Facility
from tests.jobs.slack_support import ALERTS, FakeClock
from tests.jobs.test_checks import at
from tests.ledger.cast import jiebei_line, log_draw
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


@pytest.fixture
def line(session: Session, alice: Actor) -> Facility:
    """Alice's Jiebei line (Asia/Shanghai), set up on 2026-11-01."""
    return jiebei_line(session, alice, at("2026-11-01 09:00"))


@pytest.fixture
def draw(session: Session, alice: Actor, line: Facility) -> Draw:
    """10,000.00 over 12 months drawn 2026-11-10, logged at noon: 899.75 due on the 10th of
    each month from 2026-12-10."""
    return log_draw(
        session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
    )
