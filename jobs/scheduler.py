"""The clock: APScheduler 3 runs the checks, the prompt checks, the delivery loop and the wake-ups.

Any number of processes may run this scheduler against one database. Each run of a job belongs
to a *slot* (its start time, floored to the job's interval), and a process runs a slot only if
it wins the INSERT of that slot's row (the unique key on job + slot lets exactly one win). After
downtime the scheduler runs once at start-up, for the current slot, and not once per slot
missed: a catch-up, not a burst.
"""

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.db import through_outages
from bot.models import SchedulerSlot
from jobs.instruments import stamped
from jobs.replay import CHECKS_JOB

log = logging.getLogger(__name__)

T = TypeVar("T")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def worker_name() -> str:
    """A name for this process in claims and logs: host, pid-ish suffix."""
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:6]}"


def slot_start(now: datetime, interval: timedelta) -> datetime:
    """The start of the slot `now` falls in: slots are `interval` long, counted from the epoch."""
    slots = (now - EPOCH) // interval
    return EPOCH + slots * interval


def claim_slot(sessions: sessionmaker[Session], job: str, slot: datetime, worker: str) -> bool:
    """Insert the slot's row; True when this process won it and must run the job.

    The row may be there already because this process put it there: a claim whose commit
    went through while the connection broke (the database restarting) raised, and was tried
    again. That slot is still this process's to run, unless it ran it already.
    """
    try:
        with sessions.begin() as session:
            session.add(SchedulerSlot(job=job, slot=slot, claimed_by=worker, claimed_at=utcnow()))
    except IntegrityError:
        with sessions() as session:
            mine = session.scalar(
                select(func.count())
                .select_from(SchedulerSlot)
                .where(
                    SchedulerSlot.job == job,
                    SchedulerSlot.slot == slot,
                    SchedulerSlot.claimed_by == worker,
                    SchedulerSlot.finished_at.is_(None),
                )
            )
        return bool(mine)
    return True


def finish_slot(sessions: sessionmaker[Session], job: str, slot: datetime) -> None:
    """Record that the slot's run completed (the health check reads the newest one)."""
    with sessions.begin() as session:
        session.execute(
            update(SchedulerSlot)
            .where(SchedulerSlot.job == job, SchedulerSlot.slot == slot)
            .values(finished_at=utcnow())
        )


def run_once_per_slot(
    sessions: sessionmaker[Session],
    job: str,
    interval: timedelta,
    worker: str,
    work: Callable[[datetime], object],
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
) -> bool:
    """Run `work(now)` if this process claims the current slot of `job`; report whether it ran.

    The database may be unavailable for a moment (restarted, failing over): the claim, the
    work and the finish are each tried again (`bot.db.through_outages`) while the slot lasts,
    until `stop` is set, so a slot is neither skipped for a dropped connection nor left
    claimed and never run. `work` must be one transaction for that (the checks' cycle is);
    what it does after its commit must not raise for an outage.
    """
    now = clock()
    slot = slot_start(now, interval)
    left = max((slot + interval - now).total_seconds(), 1.0)
    deadline = time.monotonic() + left

    def again(what: str, step: Callable[[], T]) -> T:
        within = max(deadline - time.monotonic(), 0.0)
        return through_outages(step, what=f"{job} {what}", within=within, stop=stop)

    if not again("claim", lambda: claim_slot(sessions, job, slot, worker)):
        log.debug("slot %s of %s already claimed elsewhere", slot.isoformat(), job)
        return False
    again("run", lambda: work(now))
    again("finish", lambda: finish_slot(sessions, job, slot))
    return True


def build_scheduler(
    sessions: sessionmaker[Session],
    *,
    check_interval: timedelta,
    run_checks: Callable[[datetime], object],
    deliver: Callable[[], object],
    wake_up: Callable[[datetime], object],
    worker: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    delivery_every: timedelta = timedelta(seconds=5),
    wake_every: timedelta = timedelta(minutes=1),
    digests: Callable[[datetime], object] | None = None,
    prompt_checks: Callable[[], object] | None = None,
    prompt_every: timedelta = timedelta(seconds=1),
    stop: threading.Event | None = None,
) -> BackgroundScheduler:
    """A scheduler with the jobs; call `.start()` on it, `.shutdown()` to stop.

    The checks and the wake-ups are slotted (once per slot across all processes); delivery is
    not, because the outbox claims each row itself and several senders are welcome. Nor are the
    daily digests (`digests(now)`, every minute): each channel's day is claimed by the digest
    itself (`bot.digest.sending`), so a worker that runs them late or twice sends none twice.
    Nor are the prompt checks (`prompt_checks()`, every `prompt_every`, `jobs.prompt`): each
    facility's mark is claimed by one worker's run, in the run's transaction.

    `stop`, set when the process stops, ends a slotted job's wait through a database outage.

    Each job's last finished run is a metric (`jobs.instruments.stamped`): a worker that goes
    silent shows there before anyone misses an alert.
    """
    me = worker or worker_name()
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    # APScheduler keeps its schedule by the real clock, whatever `clock` the jobs run as of: a
    # first run time taken from a test's fake clock, months behind, made it walk every missed
    # interval since on each pass (millions for a 5-second job), and one ahead held jobs back.
    start = utcnow()
    scheduler.add_job(
        stamped(CHECKS_JOB, run_once_per_slot),
        IntervalTrigger(seconds=check_interval.total_seconds(), timezone=UTC),
        args=[sessions, CHECKS_JOB, check_interval, me, run_checks, clock],
        kwargs={"stop": stop},
        id=CHECKS_JOB,
        next_run_time=start,  # the catch-up run at start-up
    )
    scheduler.add_job(
        stamped("wake-ups", run_once_per_slot),
        IntervalTrigger(seconds=wake_every.total_seconds(), timezone=UTC),
        args=[sessions, "wake-ups", wake_every, me, wake_up, clock],
        kwargs={"stop": stop},
        id="wake-ups",
        next_run_time=start,
    )
    if digests is not None:
        scheduler.add_job(
            stamped("digests", lambda: digests(clock())),
            IntervalTrigger(seconds=wake_every.total_seconds(), timezone=UTC),
            id="digests",
            next_run_time=start,
        )
    if prompt_checks is not None:
        scheduler.add_job(
            stamped("prompt-checks", prompt_checks),
            IntervalTrigger(seconds=prompt_every.total_seconds(), timezone=UTC),
            id="prompt-checks",
            next_run_time=start,
        )
    scheduler.add_job(
        stamped("delivery", deliver),
        IntervalTrigger(seconds=delivery_every.total_seconds(), timezone=UTC),
        id="delivery",
        next_run_time=start,
    )
    return scheduler
