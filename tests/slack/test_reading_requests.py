"""Reading requests in Slack: the direct message at the scheduled minute and its buttons.

The cast: Dana owns jiebei-main's readings (asked at 10:00 on working days, set Monday
2026-11-30 at 11:00, after that day's slot); the platform showed ¥300,000 limit and
¥216,689.32 available on Monday at 10:04. The clock starts Tuesday 2026-12-01 09:59 Shanghai.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.audit import Actor
from bot.ledger.observations import record_limit_reading
from bot.ledger.reading_requests import set_readings
from bot.models import Facility
from bot.slack.reading_blocks import CHANGED_ACTION, SAME_ACTION, UNAVAILABLE_ACTION
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver
from tests.support.slack_app import DANA

SHANGHAI = ZoneInfo("Asia/Shanghai")
DANA_DM = "D" + DANA[1:]
QUESTION = (
    "借呗 jiebei-main: what does the platform show now? Last reading ¥300,000 limit, "
    "¥216,689.32 available (yesterday 10:04)"
)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def owned(sessions, jiebei: Facility, clock) -> Facility:
    """jiebei-main asks Dana at 10:00 on working days; Monday's reading is the last one."""
    admin = Actor("cli:alice", "cli")
    with sessions.begin() as session:
        facility = session.get(Facility, jiebei.id)
        set_readings(
            session,
            admin,
            facility,
            owner=DANA,
            readings="workdays 10:00",
            now=shanghai(2026, 11, 30, 11, 0),
        )
        record_limit_reading(
            session,
            admin,
            facility,
            limit_amount=Decimal(300000),
            available=Decimal("216689.32"),
            now=shanghai(2026, 11, 30, 10, 4),
        )
    clock.now = shanghai(2026, 12, 1, 9, 59)
    return jiebei


def cycle(sessions, settings, clock) -> None:
    """One check cycle at the clock's time (what `check` and the worker's minute do), delivered."""
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


def test_the_owner_gets_the_question_at_the_scheduled_minute_once(
    app, owned, sessions, settings, clock, slack
) -> None:
    """09:59 nothing; 10:00 one DM with the last reading and three buttons; 10:01 no second."""
    cycle(sessions, settings, clock)
    assert slack.messages(DANA_DM) == []
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    assert dm.text == QUESTION
    shown = json.dumps(dm.blocks, ensure_ascii=False)
    for button, action in (
        ("Same as last", SAME_ACTION),
        ("Changed…", CHANGED_ACTION),
        ("Can't see it", UNAVAILABLE_ACTION),
    ):
        assert button in shown
        assert action in shown
