"""The Slack app under test: the real HTTP server, a fake Slack Web API, a clock we move."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Facility
from bot.settings import Settings
from tests.support.clock import Clock
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import (
    ALERTS,
    BOB,
    ONCALL_GROUP,
    TEAM_CHANNEL,
    SlackApp,
    app_settings,
)


@pytest.fixture
def clock() -> Clock:
    """2026-12-01 10:00 in Shanghai."""
    return Clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """Slack's Web API on loopback, with #loan-alerts and #finance, and the on-call group."""
    with FakeSlack() as fake:
        fake.add_channel(ALERTS, "loan-alerts")
        fake.add_channel(TEAM_CHANNEL, "finance")
        fake.usergroups[ONCALL_GROUP] = [BOB]
        yield fake


@pytest.fixture
def settings(database_url: str, slack: FakeSlack) -> Settings:
    return app_settings(database_url, slack.api_url)


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> Iterator[SlackApp]:
    """The running server."""
    with SlackApp.start(settings, sessions, clock=clock) as running:
        yield running


@pytest.fixture
def jiebei(sessions: sessionmaker[Session], clock: Clock) -> Facility:
    """jiebei-main: a 200,000 Jiebei line at 0.04 %/day, alerts to #loan-alerts."""
    with sessions.begin() as session:
        facility = add_facility(
            session,
            Actor("cli:dana", "cli"),
            FacilityTerms(
                slug="jiebei-main",
                platform="jiebei",
                limit_amount=Decimal("200000.00"),
                daily_rate=Decimal("0.0004"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
                alert_channel=ALERTS,
            ),
            now=clock(),
        )
        session.flush()
        session.expunge(facility)
    return facility
