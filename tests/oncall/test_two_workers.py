"""Two workers on one PostgreSQL database over a day of fake time: each step runs once.

Both wake every fake minute at the same moment (a barrier lines them up), as if the wake-up
slot claim were missing or a `loanwatch check` ran beside the worker: only the unique
(alert, round, step) row keeps a step from running twice.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.alerts.actions import acknowledge
from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.db import make_engine
from bot.models import AuditRecord, EscalationStep, OutboxMessage
from bot.oncall.words import ESCALATION_KIND
from bot.sessions import session_factory
from tests.conftest import ALICE
from tests.oncall.test_escalation import OPENED, POLICY, _open, _setup, _wake


@pytest.mark.postgres
def test_two_workers_over_a_day_run_each_step_once(postgres_url) -> None:
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with sessions() as session:
        facility_id = _setup(session, OPENED)
        alerts = [
            _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "a"),
            _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "b"),
            _open(session, facility_id, Check.LIMIT_DROPPED, Severity.WARNING, OPENED, "c"),
            _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "d"),
        ]
        owned = alerts[-1].id
    minutes = 24 * 60
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def worker() -> None:
        with sessions() as session:
            for minute in range(minutes + 1):
                barrier.wait()
                try:
                    _wake(session, OPENED + timedelta(minutes=minute))
                except BaseException as exc:
                    session.rollback()
                    failures.append(exc)
                barrier.wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    with sessions() as session:
        for minute in range(minutes + 1):
            if minute == 20:  # between two minutes: Dan acknowledges alert d
                acknowledge(
                    session, ALICE, owned, now=OPENED + timedelta(minutes=20), policy=POLICY
                )
                session.commit()
            barrier.wait()
            barrier.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []

    with sessions() as session:
        steps = session.execute(
            select(EscalationStep.alert_id, EscalationStep.round, EscalationStep.step)
        ).all()
        notices = [
            (row.alert_id, row.payload["round"], row.payload["step"])
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == ESCALATION_KIND)
            )
        ]
        audited = session.scalar(select(func.count()).where(AuditRecord.action == "alert.escalate"))
    engine.dispose()
    per_alert = Counter(alert_id for alert_id, _, _ in notices)
    # Critical: six rungs in 4h30m; the warning: five by 16:00; alert d: two before its ack.
    assert [per_alert[a.id] for a in alerts] == [6, 6, 5, 2]
    assert Counter(notices).most_common(1)[0][1] == 1, "a step was told twice"
    assert sorted(notices) == sorted(tuple(s) for s in steps)
    assert audited == len(notices) == 19
