"""The worker process: the scheduler (checks, prompt checks, wake-ups, digests) and delivery,
until told to stop.

`loanwatch worker` runs this; any number of workers may share one database, since each slot of
a slotted job is claimed in the database and each outbox row by a conditional UPDATE.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.detection import wake_up
from bot.calendar import BusinessCalendar
from bot.clock import utcnow
from bot.db import database_unavailable, make_engine, require_current_schema, transaction
from bot.digest.sending import send_due_digests
from bot.sessions import session_factory
from bot.settings import Settings
from bot.startup import wait_for_database
from jobs.cycle import run_check_cycle, run_wake_ups, tell_failed_checks
from jobs.delivery import DeliveryWorker, delivery_options
from jobs.heartbeat import Heartbeat
from jobs.instruments import CountingTransport, count_failures, timed_cycle
from jobs.prompt import prompt_checks_job
from jobs.scheduler import build_scheduler, worker_name
from jobs.switch import delivery_failing
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
    engine = make_engine(settings.database_url, timeout=settings.database_timeout_seconds)
    if not wait_for_database(engine, stop=stop):
        return
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

    heartbeat = Heartbeat(settings.heartbeat_url)

    def checks(now: datetime) -> None:
        _check_cycle(sessions, settings, calendar, now, heartbeat)
        deliver()

    def digests(now: datetime) -> None:
        with transaction(sessions) as session:
            sent = send_due_digests(
                session, now=now, calendar=calendar, options=digest_options, worker=me
            )
        if sent:
            log.info("daily digests at %s: %s", now.isoformat(), ", ".join(sent))
            deliver()

    deliver = _deliverer(delivery, stop)

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
        stop=stop,
    )
    log.info("worker %s started: checks every %d min", me, settings.check_interval_minutes)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        heartbeat.close()
        engine.dispose()
        log.info("worker %s stopped", me)


def _check_cycle(
    sessions: sessionmaker[Session],
    settings: Settings,
    calendar: BusinessCalendar,
    now: datetime,
    heartbeat: Heartbeat,
) -> None:
    """One check cycle, logged, and told to the dead man's switch: clean, or failed (it
    raised, or a check in it did: the admins hear of that by a check_failed alert; or
    delivery is failing, `jobs.switch`)."""
    try:
        with timed_cycle() as cycle, transaction(sessions) as session:
            report = run_check_cycle(session, now=now, settings=settings, calendar=calendar)
            cycle.report = report
    except Exception:
        heartbeat.cycle_done(ok=False)
        raise
    _tell_switch(sessions, settings, now, heartbeat, cycle_failed=report.failed)
    s = report.summary
    log.info(
        "checks at %s: %d findings, %d opened, %d resolved, %d notifications",
        now.isoformat(),
        len(report.findings),
        s.opened,
        s.resolved,
        s.notified,
    )


def _tell_switch(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    heartbeat: Heartbeat,
    *,
    cycle_failed: bool,
) -> None:
    """Ping the dead man's switch: `/fail` when the cycle failed or delivery is failing
    (`jobs.switch`). Never raises: the cycle is committed, and must not run again."""
    if heartbeat.url is None:
        return
    why = "a check in the cycle failed" if cycle_failed else None
    if why is None:
        try:
            with sessions() as session:
                why = delivery_failing(
                    session,
                    now,
                    interval=timedelta(minutes=settings.check_interval_minutes),
                    degraded_after=timedelta(minutes=settings.delivery_degraded_after_minutes),
                )
        except Exception as exc:
            why = f"delivery's health could not be read ({type(exc).__name__})"
    if why is not None:
        log.warning("heartbeat: pinging /fail: %s", why)
    heartbeat.cycle_done(ok=why is None)


def _deliverer(delivery: DeliveryWorker, stop: threading.Event) -> Callable[[], None]:
    """Deliver what is due until nothing is or the worker stops. Run after a check cycle or
    a prompt run has committed, it must not raise for a database outage: the slot would run
    its cycle again (jobs.scheduler). The delivery job comes back within seconds."""

    def deliver() -> None:
        try:
            while not stop.is_set() and delivery.step():
                pass
        except DBAPIError as exc:
            if not database_unavailable(exc):
                raise
            log.warning("delivery stopped for now: the database is unavailable")

    return deliver


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
