"""Each channel's digest goes out at LOANWATCH_DIGEST_TIME on business days, once, however many
workers run; the worker runs it on its own."""

import io
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.db import transaction
from bot.digest.sending import send_due_digests
from bot.models import OutboxMessage
from bot.settings import Settings
from jobs.transports import ConsoleTransport
from jobs.worker import run_worker
from tests.digest.conftest import ALERTS, TEAM

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


def _digests(sessions) -> list[tuple[str, datetime]]:
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id)
        ).all()
        return [(row.channel, row.created_at) for row in rows]


def _run_day(sessions, portfolio, day: date, worker: str = "w1", step_minutes: int = 15) -> None:
    """The digest job as a worker runs it, every `step_minutes` over a whole day."""
    options = portfolio.settings.digest_options()
    for minutes in range(0, 24 * 60, step_minutes):
        now = _at(day, 0) + timedelta(minutes=minutes)
        with transaction(sessions) as session:
            send_due_digests(
                session, now=now, calendar=portfolio.calendar, options=options, worker=worker
            )


def test_each_channel_gets_one_digest_at_nine_on_a_working_monday(portfolio, sessions) -> None:
    """#loan-alerts (the Jiebei lines) and #finance (ICBC) each get theirs at 09:00, once."""
    _run_day(sessions, portfolio, date(2026, 12, 7))

    nine = _at(date(2026, 12, 7), 9)
    assert sorted(_digests(sessions)) == [(ALERTS, nine), (TEAM, nine)]


def test_no_digest_on_a_weekend_or_a_holiday_but_one_on_a_make_up_workday(
    portfolio, sessions
) -> None:
    """Saturday and National Day (a Thursday) are days off; a make-up weekend day (调休) is a
    working day and gets its digest."""
    calendar = portfolio.calendar
    make_up = next(
        day
        for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
        if day.weekday() >= 5 and calendar.is_business_day(day)
    )
    for day in (date(2026, 12, 12), date(2026, 10, 1)):
        _run_day(sessions, portfolio, day, step_minutes=60)
    assert _digests(sessions) == []

    _run_day(sessions, portfolio, make_up, step_minutes=60)
    assert sorted(channel for channel, _ in _digests(sessions)) == [ALERTS, TEAM]


def test_the_digest_time_is_a_setting(portfolio, sessions, database_url) -> None:
    """LOANWATCH_DIGEST_TIME=17:30: nothing in the morning, the digest at 17:30."""
    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        LOANWATCH_DEFAULT_ALERT_CHANNEL=ALERTS,
        LOANWATCH_DIGEST_TIME="17:30",
    )
    monday = date(2026, 12, 7)
    with transaction(sessions) as session:
        for now in (_at(monday, 9), _at(monday, 17, 29), _at(monday, 17, 30)):
            send_due_digests(
                session,
                now=now,
                calendar=portfolio.calendar,
                options=settings.digest_options(),
                worker="w1",
            )
    assert {created for _, created in _digests(sessions)} == {_at(monday, 17, 30)}


@pytest.mark.parametrize("typed", ["9am", "25:00", "09:60", ""])
def test_a_digest_time_that_is_not_hh_mm_is_refused(typed) -> None:
    """The setting says how to write it."""
    with pytest.raises(ValidationError, match="HH:MM"):
        Settings(_env_file=None, LOANWATCH_DIGEST_TIME=typed)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_over_a_day_send_each_channels_digest_once(portfolio, sessions) -> None:
    """Two workers run the digest job at the same minutes all day on PostgreSQL: each channel's
    digest is written once, by one of them."""
    options = portfolio.settings.digest_options()
    monday = date(2026, 12, 7)
    steps = [_at(monday, 8, 0) + timedelta(minutes=5 * n) for n in range(36)]  # 08:00–10:55
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for now in steps:
                barrier.wait(timeout=30)
                with transaction(sessions) as session:
                    send_due_digests(
                        session, now=now, calendar=portfolio.calendar, options=options, worker=name
                    )
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(channel for channel, _ in _digests(sessions)) == [ALERTS, TEAM]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_sends_the_mornings_digest_on_its_own(portfolio, sessions) -> None:
    """`loanwatch worker` started at 09:05 on a working day writes and delivers both digests.

    The day is in the past (Monday 30 November): APScheduler runs a job at once when its first
    time has come by the real clock, and the worker's own clock is this fixed morning."""
    out = io.StringIO()
    stop = threading.Event()
    runner = threading.Thread(
        target=run_worker,
        args=(portfolio.settings, ConsoleTransport(out), stop),
        kwargs={"clock": lambda: _at(date(2026, 11, 30), 9, 5)},
    )
    runner.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while len(_digests(sessions)) < 2 and datetime.now(UTC) < deadline:
            stop.wait(0.2)
    finally:
        stop.set()
        runner.join(timeout=30)

    assert sorted(channel for channel, _ in _digests(sessions)) == [ALERTS, TEAM]
    assert f"── digest → #{TEAM}" in out.getvalue()
    assert "icbc-loan (工行经营贷)" in out.getvalue()
