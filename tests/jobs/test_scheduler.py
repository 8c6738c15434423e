"""The scheduler's slots: each runs once across processes, and a restart catches up once."""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.db import make_engine
from bot.models import SchedulerSlot
from jobs.scheduler import build_scheduler, run_once_per_slot, slot_start

ROOT = Path(__file__).resolve().parents[2]
QUARTER = timedelta(minutes=15)


def test_slots_are_floored_to_the_interval() -> None:
    """10:07 and 10:14:59 are in the 10:00 slot of a 15-minute job; 10:15 starts the next."""
    at = datetime(2026, 11, 28, 10, 7, tzinfo=UTC)
    assert slot_start(at, QUARTER) == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert slot_start(at.replace(minute=14, second=59), QUARTER) == slot_start(at, QUARTER)
    assert slot_start(at.replace(minute=15), QUARTER) == datetime(2026, 11, 28, 10, 15, tzinfo=UTC)


def test_a_slot_runs_once_however_often_it_is_asked(sessions) -> None:
    """Two claims of one slot: the first runs the work, the second does nothing."""
    ran: list[datetime] = []
    at = datetime(2026, 11, 28, 10, 7, tzinfo=UTC)
    first = run_once_per_slot(sessions, "checks", QUARTER, "a", ran.append, clock=lambda: at)
    second = run_once_per_slot(sessions, "checks", QUARTER, "b", ran.append, clock=lambda: at)
    assert (first, second, ran) == (True, False, [at])
    with sessions() as session:
        slot = session.scalars(select(SchedulerSlot)).one()
    assert slot.claimed_by == "a"
    assert slot.finished_at is not None


@pytest.mark.postgres
def test_two_scheduler_processes_run_each_slot_once(postgres_url) -> None:
    """Two processes walking the same 300 slots on one PostgreSQL database: 300 runs, no repeats."""
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE slot_runs (slot integer, worker text)"))
    slots = 300
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.scheduler_child", postgres_url, name, str(slots)],
            cwd=ROOT,
        )
        for name in ("alpha", "beta")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]

    with engine.begin() as connection:
        runs = connection.execute(text("SELECT slot, worker FROM slot_runs")).all()
        connection.execute(text("DROP TABLE slot_runs"))
    engine.dispose()
    per_slot = [slot for slot, _ in runs]
    assert sorted(per_slot) == list(range(slots))
    assert {worker for _, worker in runs} == {"alpha", "beta"}, "both processes won some slots"


def test_after_downtime_a_restart_runs_one_catch_up_not_a_burst(sessions) -> None:
    """A scheduler started after hours down runs the checks once at start, for the current slot."""
    runs: list[datetime] = []
    scheduler = build_scheduler(
        sessions,
        check_interval=QUARTER,
        run_checks=runs.append,
        deliver=lambda: None,
        wake_up=lambda now: None,
        worker="restart",
    )
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not runs and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        scheduler.shutdown(wait=True)
    assert len(runs) == 1
    with sessions() as session:
        claimed = session.scalar(
            select(func.count()).select_from(SchedulerSlot).where(SchedulerSlot.job == "checks")
        )
    assert claimed == 1
