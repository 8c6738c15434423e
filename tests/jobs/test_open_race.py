"""A prompt run and a check cycle that open the same alert at the same moment: the one that
commits second finds it open, as a run after the first would, and nobody hears of a failure.

It happens at every worker start with readings waiting (the start-up cycle and the first prompt
run go together), and whenever a reading lands just before a cycle or two workers split them.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from bot.db import make_engine
from bot.ledger.facilities import get_facility
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.models import Alert, OutboxMessage
from bot.sessions import session_factory
from jobs.cycle import run_check_cycle
from jobs.prompt import PromptOptions, prompt_step
from tests.jobs.prompt_support import DANA, START, add_line
from tests.support.slack_app import app_settings

NOW_OPTIONS = PromptOptions(delay=timedelta(0), max_wait=timedelta(0))


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


@pytest.mark.postgres
def test_a_cycle_and_a_prompt_run_opening_one_alert_tell_it_once(postgres_url) -> None:
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    settings = app_settings(postgres_url, "http://127.0.0.1:9/api/")
    add_line(sessions, "jiebei-main", START)
    with sessions.begin() as session:
        zero = Decimal("0.00")
        line = get_facility(session, "jiebei-main")
        record_limit_reading(
            session,
            DANA,
            line,
            limit_amount=zero,
            available=zero,
            status=LimitStatus.FROZEN,
            now=START,
        )
    now = START + timedelta(minutes=1)

    with sessions() as cycle, ThreadPoolExecutor(1) as pool:
        cycle.begin()
        run_check_cycle(cycle, now=now, settings=settings, calendar=settings.calendar())
        cycle.flush()  # the cycle's alert is in, not yet committed
        prompt = pool.submit(
            prompt_step,
            sessions,
            now=now,
            real_now=datetime.now(UTC),
            settings=settings,
            calendar=settings.calendar(),
            options=NOW_OPTIONS,
        )
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(engine):  # the prompt run waits on the cycle's alert
            assert time.monotonic() < deadline, "the prompt run never reached the alert"
            assert not prompt.done(), prompt.result()
            time.sleep(0.05)
        cycle.commit()
        report = prompt.result(timeout=30)

    assert report is not None
    assert report.failed == {}
    assert report.held_back == []
    with sessions() as session:
        alerts = session.execute(select(Alert.check, Alert.state)).all()
        told = session.scalars(select(OutboxMessage.kind)).all()
    assert [check for check, _ in alerts] == ["limit_frozen"]
    assert len(told) == 1, told
    engine.dispose()
