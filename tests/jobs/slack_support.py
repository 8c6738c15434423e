"""The cast and helpers of the delivery tests that go through the Slack transport.

Alice, the treasurer, runs the Jiebei line whose alerts go to #loan-alerts (C0ALERTS); Bob, on
call, acknowledges them. Workers run on a `FakeClock` and deliver to a `FakeSlack`; no client
here ever talks to slack.com.
"""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import acknowledge, list_alerts
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.audit import Actor
from bot.db import transaction
from bot.installation import this_installation
from bot.models import Alert, OutboxMessage
from jobs.delivery import DeliveryWorker, default_dead_letter_handler
from jobs.transports.slack import EVENT_TYPE, SlackTransport
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line
from tests.support.clock import Clock as FakeClock
from tests.support.fake_slack import FakeSlack, Fault, Message

BOB = Actor("slack:U0BOB", "slack")
ALERTS = "C0ALERTS"
POLICY = AlertPolicy(default_channel=ALERTS)


class Naps(list[float]):
    """A sleep that only writes down how long it was asked to sleep."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def slack_transport(
    slack: FakeSlack, token: str = "xoxb-test", naps: Naps | None = None
) -> SlackTransport:
    """The production transport on the fake; its retries of safe calls sleep in `naps`."""
    return SlackTransport(
        token,
        slack.api_url,
        timeout=5,
        retry_interval=FixedValueRetryIntervalCalculator(0.25),
        sleep=naps if naps is not None else Naps(),
    )


def delivery(
    sessions: sessionmaker[Session],
    transport: Any,
    clock: FakeClock,
    worker_class: type[DeliveryWorker] = DeliveryWorker,
    **options: Any,
) -> DeliveryWorker:
    """A worker with short, seeded backoff; dead letters raise admin alerts in #loan-alerts."""
    options.setdefault("backoff_base", 1.0)
    options.setdefault("backoff_max", 2.0)
    return worker_class(
        sessions,
        transport,
        worker_id=options.pop("worker_id", "alpha"),
        clock=clock,
        rng=random.Random(3),
        on_dead_letter=partial(default_dead_letter_handler, policy=POLICY),
        **options,
    )


def deliver_all(worker: DeliveryWorker, clock: FakeClock, steps: int = 50) -> None:
    """Step the worker, a second of fake time apart, until nothing more is due."""
    for _ in range(steps):
        if not worker.step():
            clock.advance(seconds=5)
            if not worker.step():
                return
        clock.advance(seconds=1)
    raise AssertionError(f"still delivering after {steps} steps")


def missing_bill(facility_id: int, due: date) -> Finding:
    """What the bill_missing check reports for an installment due on `due` with no bill."""
    return Finding(
        check="bill_missing",
        facility_id=facility_id,
        subject=due.isoformat(),
        severity=Severity.WARNING,
        summary=f"expected 899.75 due {due}, no bill seen",
        facts={"Expected": "899.75", "Due": due.isoformat()},
    )


def open_alerts(
    sessions: sessionmaker[Session],
    now: datetime,
    count: int = 1,
    *,
    channel: str | None = ALERTS,
    policy: AlertPolicy = POLICY,
) -> list[int]:
    """Alice's Jiebei line (alerts to `channel`) with `count` missing bills; the alert ids."""
    with transaction(sessions) as session:
        facility = jiebei_line(session, ALICE, now)
        facility.alert_channel = channel
        findings = [
            missing_bill(facility.id, date(2026, 12, 10) + timedelta(days=n)) for n in range(count)
        ]
        apply_findings(session, findings, now=now, policy=policy)
        return [alert.id for alert in list_alerts(session)]


def bob_acknowledges(sessions: sessionmaker[Session], alert_id: int, now: datetime) -> None:
    with transaction(sessions) as session:
        acknowledge(session, BOB, alert_id, now=now, policy=POLICY)


def get_alert(sessions: sessionmaker[Session], alert_id: int) -> Alert:
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert


def outbox(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def installation_id(sessions: sessionmaker[Session]) -> str:
    """This database's installation id."""
    with transaction(sessions) as session:
        return this_installation(session).installation_id


def alert_of(message: Message) -> int | None:
    """The alert id in a message's loanwatch metadata."""
    assert message.metadata is not None
    assert message.metadata["event_type"] == EVENT_TYPE
    return message.metadata["event_payload"].get("alert_id")


def fail_once(method: str, kind: int | str) -> Callable[[str], Fault | None]:
    """A fault plan that misbehaves on the first call to `method` only."""
    done: list[bool] = []

    def plan(called: str) -> Fault | None:
        if called != method or done:
            return None
        done.append(True)
        return Fault(kind)

    return plan
