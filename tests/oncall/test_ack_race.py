"""A step falls due while someone presses Acknowledge: the step is never sent after the ack.

Two real PostgreSQL connections, one per thread, interleaved deterministically: the engine's
run (a worker's wake-up) and a person's Acknowledge. Jiebei's critical alert opened at 10:00
and its first step (0m: mention Ann) ran; the second (15m: DM Ann) is due at 10:15, and at
10:16 the wake-up runs while Ann acknowledges.
"""

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import acknowledge
from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.db import make_engine
from bot.models import EscalationStep, OutboxMessage
from bot.oncall.engine import run_escalations
from bot.oncall.words import ESCALATION_KIND
from bot.sessions import session_factory
from tests.conftest import ALICE
from tests.oncall.test_escalation import CALENDAR, CONFIG, OPENED, POLICY, _open, _setup, _wake

pytestmark = pytest.mark.postgres

NOW = OPENED + timedelta(minutes=16)
WAIT = 30  # seconds a thread may take before the test gives up on it (never reached when sound)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[Engine, sessionmaker[Session], int]]:
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with sessions() as session:
        alert = _open(
            session, _setup(session, OPENED), Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED
        )
        _wake(session, OPENED)  # the 0m step runs
        alert_id = alert.id
    yield engine, sessions, alert_id
    engine.dispose()


def _escalate(sessions: sessionmaker[Session], errors: list[BaseException]) -> None:
    try:
        with sessions() as session:
            run_escalations(session, now=NOW, calendar=CALENDAR, config=CONFIG, policy=POLICY)
            session.commit()
    except BaseException as exc:  # reported by the test's thread
        errors.append(exc)


def _told(sessions: sessionmaker[Session], alert_id: int) -> list[tuple[int, str]]:
    """(step, action) of each escalation notice in the outbox, and of each step row."""
    with sessions() as session:
        notices = [
            (row.payload["step"], row.payload["action"])
            for row in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == ESCALATION_KIND, OutboxMessage.alert_id == alert_id)
                .order_by(OutboxMessage.id)
            )
        ]
        steps = [
            (row.step, row.action)
            for row in session.execute(
                select(EscalationStep.step, EscalationStep.action)
                .where(EscalationStep.alert_id == alert_id)
                .order_by(EscalationStep.step)
            )
        ]
    assert notices == steps
    return notices


def test_an_ack_committed_between_the_engines_read_and_its_claim_stops_the_step(pg) -> None:
    """The engine has read the alert as open; Ann's Acknowledge commits; then the engine goes
    on to claim the 15m step: it must see the ack and send nothing."""
    engine, sessions, alert_id = pg
    read, acked = threading.Event(), threading.Event()
    escalating: list[threading.Thread] = []

    def pause_after_reading_alerts(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        mine = threading.current_thread() in escalating
        if mine and not read.is_set() and "FROM alerts" in statement:
            read.set()
            assert acked.wait(WAIT)

    errors: list[BaseException] = []
    escalating.append(threading.Thread(target=_escalate, args=(sessions, errors)))
    event.listen(engine, "after_cursor_execute", pause_after_reading_alerts)
    try:
        escalating[0].start()
        assert read.wait(WAIT)
        with sessions() as session:
            acknowledge(session, ALICE, alert_id, now=NOW, policy=POLICY)
            session.commit()
        acked.set()
        escalating[0].join(WAIT)
    finally:
        event.remove(engine, "after_cursor_execute", pause_after_reading_alerts)
    assert errors == []
    assert _told(sessions, alert_id) == [(0, "oncall")]


def test_an_ack_in_progress_across_the_engines_claim_stops_the_step(pg) -> None:
    """Ann's Acknowledge has updated the alert and not committed yet while the engine runs
    whole; it commits afterwards. The step is not sent, then or at the next minute."""
    engine, sessions, alert_id = pg
    errors: list[BaseException] = []
    worker = threading.Thread(target=_escalate, args=(sessions, errors))
    with sessions() as session:
        acknowledge(session, ALICE, alert_id, now=NOW, policy=POLICY)
        session.flush()
        worker.start()
        # The engine either finishes or waits for this transaction's lock: either way it has
        # made its claim (or is making it) while the ack is held open.
        assert _until_done_or_waiting(engine, worker) in ("done", "waiting")
        session.commit()
    worker.join(WAIT)
    assert errors == []
    with sessions() as session:
        _wake(session, NOW + timedelta(minutes=1))
    assert _told(sessions, alert_id) == [(0, "oncall")]


def _until_done_or_waiting(engine: Engine, worker: threading.Thread) -> str:
    """ "done" once `worker` has finished, "waiting" once a connection waits for a row lock."""
    with engine.connect() as conn:
        for _ in range(WAIT * 100):
            worker.join(0.01)
            if not worker.is_alive():
                return "done"
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar()
            if waiting:
                return "waiting"
    raise AssertionError("the thread neither finished nor waited")


def test_an_ack_pressed_while_the_engine_claims_waits_for_the_step_to_be_committed(pg) -> None:
    """The engine has claimed the 15m step and not committed yet when Ann presses Acknowledge:
    her ack waits for the engine's commit, so the DM is written (and told) before her ack,
    never after it."""
    engine, sessions, alert_id = pg
    claimed, release = threading.Event(), threading.Event()
    escalating: list[threading.Thread] = []

    def hold_before_commit(conn: Any) -> None:
        if threading.current_thread() in escalating and not claimed.is_set():
            claimed.set()
            assert release.wait(WAIT)

    errors: list[BaseException] = []

    def ack() -> None:
        try:
            with sessions() as session:
                acknowledge(session, ALICE, alert_id, now=NOW, policy=POLICY)
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    escalating.append(threading.Thread(target=_escalate, args=(sessions, errors)))
    acking = threading.Thread(target=ack)
    event.listen(engine, "commit", hold_before_commit)
    try:
        escalating[0].start()
        assert claimed.wait(WAIT)
        acking.start()
        assert _until_done_or_waiting(engine, acking) == "waiting"
        release.set()
        escalating[0].join(WAIT)
        acking.join(WAIT)
    finally:
        release.set()
        event.remove(engine, "commit", hold_before_commit)
    assert errors == []
    assert _told(sessions, alert_id) == [(0, "oncall"), (1, "dm")]
    with sessions() as session:
        _wake(session, NOW + timedelta(minutes=30))  # acknowledged: the ladder has stopped
    assert _told(sessions, alert_id) == [(0, "oncall"), (1, "dm")]
