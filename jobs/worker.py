"""The worker process: the scheduler (checks, prompt checks, wake-ups, digests) and delivery,
until told to stop.

`loanwatch worker` runs this; any number of workers may share one database, since each slot of
a slotted job is claimed in the database and each outbox row by a conditional UPDATE.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.detection import wake_up
from bot.clock import utcnow
from bot.db import make_engine, require_current_schema, transaction
from bot.digest.sending import send_due_digests
from bot.sessions import session_factory
from bot.settings import Settings
from jobs.cycle import run_check_cycle, run_wake_ups, tell_failed_checks
from jobs.delivery import DeliveryWorker, delivery_options
from jobs.instruments import CountingTransport, count_failures, timed_cycle
from jobs.prompt import prompt_checks_job
from jobs.scheduler import build_scheduler, worker_name
from jobs.transports import Transport

log = logging.getLogger(__name__)


def run_worker(
    settings: Settings,
    transport: Transport,
    stop: threading.Event,
    *,
    clock: Callable[[], datetime] = utcnow,
    delivery_every: timedelta = timedelta(seconds=5),
    real_clock: Callable[[], datetime] = utcnow,
    prompt_every: timedelta = timedelta(seconds=1),
) -> None:
    """Run the scheduled jobs and deliver notifications until `stop` is set; `clock` is the
    checks' time, `real_clock` the prompt checks' debounce's (`jobs.prompt`)."""
    engine = make_engine(settings.database_url)
    require_current_schema(engine)
    sessions = session_factory(engine)
    calendar = settings.calendar()
    me = worker_name()
    digest_options = settings.digest_options()
    delivery = DeliveryWorker(
        sessions,
        CountingTransport(transport),
        worker_id=me,
        clock=clock,
        **delivery_options(settings),
    )

    def checks(now: datetime) -> None:
        with timed_cycle() as cycle, transaction(sessions) as session:
            report = run_check_cycle(session, now=now, settings=settings, calendar=calendar)
            cycle.report = report
        s = report.summary
        log.info(
            "checks at %s: %d findings, %d opened, %d resolved, %d notifications",
            now.isoformat(),
            len(report.findings),
            s.opened,
            s.resolved,
            s.notified,
        )
        deliver()

    def digests(now: datetime) -> None:
        with transaction(sessions) as session:
            sent = send_due_digests(
                session, now=now, calendar=calendar, options=digest_options, worker=me
            )
        if sent:
            log.info("daily digests at %s: %s", now.isoformat(), ", ".join(sent))
            deliver()

    def deliver() -> None:
        while not stop.is_set() and delivery.step():
            pass

    scheduler = build_scheduler(
        sessions,
        check_interval=timedelta(minutes=settings.check_interval_minutes),
        run_checks=checks,
        deliver=deliver,
        wake_up=_wake_up(sessions, settings),
        worker=me,
        clock=clock,
        delivery_every=delivery_every,
        digests=digests,
        prompt_checks=prompt_checks_job(
            sessions, settings, clock=clock, real_clock=real_clock, deliver=deliver
        ),
        prompt_every=prompt_every,
    )
    log.info("worker %s started: checks every %d min", me, settings.check_interval_minutes)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
        log.info("worker %s stopped", me)


def _wake_up(sessions: sessionmaker[Session], settings: Settings) -> Callable[[datetime], None]:
    """The minute's wake-up: snoozes and acks that ran out, ticket follow-ups (due at 09:00),
    escalation steps (due by the minute), the on-call user groups (at a change of who is on
    call)."""
    calendar = settings.calendar()
    policy = settings.alert_policy()

    def wake(now: datetime) -> None:
        with transaction(sessions) as session:
            wake_up(session, now=now, policy=policy)
            # Each apart: one that raises stops no other, and admins are told (check_failed).
            done = run_wake_ups(
                session, now=now, settings=settings, calendar=calendar, written_at=None
            )
            tell_failed_checks(session, done.failed, done.ran_clean, now=now, policy=policy)
        count_failures(done.failed)

    return wake
