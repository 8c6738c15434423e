"""Slack down for 40 minutes of fake time: nothing lost, nothing posted twice, one admin alert.

Alice's 30 alerts are written just as Slack goes away. For the first 10 minutes nothing answers
(connection refused); for the next 30, every Web API call fails: 429 with Retry-After, 500, or
the connection dropped before or after Slack did the work. Meanwhile Bob acknowledges five
alerts and five clear (two of them acknowledged). The worker steps every 5 s of fake time, as
`loanwatch worker` does, with the default backoff (30 s doubling to 5 minutes) and
`delivery_degraded` after 10 minutes.
"""

import random
import socket
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.detection import apply_findings
from bot.alerts.policy import AlertPolicy
from bot.db import transaction
from bot.models import Alert
from bot.slack.blocks import alert_message
from jobs.delivery import DeliveryWorker
from jobs.transports import OutboxMessageView
from jobs.transports.slack import SlackTransport
from tests.jobs.slack_support import (
    ALERTS,
    FakeClock,
    Naps,
    alert_of,
    bob_acknowledges,
    missing_bill,
    open_alerts,
    outbox,
    slack_transport,
)
from tests.support.fake_slack import FakeSlack, FaultPlan

STORM_FREE = AlertPolicy(default_channel=ALERTS, storm_threshold=1000)
EVERY_METHOD = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "conversations.history",
        "conversations.replies",
        "conversations.join",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }
)


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlackOutage:
    """Slack as the worker meets it: refusing connections, then failing every call, then back.

    Writes down when each outbox row was tried.
    """

    name = "slack"

    def __init__(self, slack: FakeSlack, clock: FakeClock, start: datetime) -> None:
        self.clock = clock
        self.refused_until = start + timedelta(minutes=10)
        self.back = start + timedelta(minutes=40)
        naps = Naps()
        self.unreachable = SlackTransport(
            "xoxb-test", f"http://127.0.0.1:{closed_port()}/api/", timeout=5, sleep=naps
        )
        self.slack = slack_transport(slack, naps=naps)
        self.plan = FaultPlan(share=1.0, methods=EVERY_METHOD, retry_after=1)
        slack.faults = lambda method: self.plan(method) if clock.now < self.back else None
        self.tries: dict[int, list[datetime]] = {}

    def send(self, message: OutboxMessageView) -> str | None:
        self.tries.setdefault(message.id, []).append(self.clock.now)
        if self.clock.now < self.refused_until:
            return self.unreachable.send(message)
        return self.slack.send(message)


def step_for(delivery: DeliveryWorker, clock: FakeClock, minutes: float) -> None:
    end = clock.now + timedelta(minutes=minutes)
    while clock.now < end:
        while delivery.step():
            pass
        clock.advance(seconds=5)


def clear(sessions: sessionmaker[Session], alert_ids: list[int], now: datetime) -> None:
    """A check run that finds every missing bill again except those of `alert_ids`."""
    with transaction(sessions) as session:
        alerts = session.scalars(select(Alert).where(Alert.check == "bill_missing")).all()
        findings = [
            missing_bill(a.facility_id, datetime.fromisoformat(a.subject).date())
            for a in alerts
            if a.id not in alert_ids
        ]
        apply_findings(session, findings, now=now, policy=STORM_FREE, checks_run={"bill_missing"})


def test_slack_down_for_forty_minutes_loses_nothing_and_posts_nothing_twice(
    sessions, slack, clock
) -> None:
    """Every alert ends with one message in its final state; one delivery_degraded, resolved."""
    alert_ids = open_alerts(sessions, clock.now, count=30, policy=STORM_FREE)
    # Two of Bob's five clear too: their acknowledgement never reaches Slack, their end does.
    acked, cleared = alert_ids[:5], alert_ids[3:5] + alert_ids[-3:]
    start = clock.now
    outage = SlackOutage(slack, clock, start)
    delivery = DeliveryWorker(
        sessions, outage, worker_id="alpha", clock=clock, policy=STORM_FREE, rng=random.Random(5)
    )

    step_for(delivery, clock, 12)
    for alert_id in acked:
        bob_acknowledges(sessions, alert_id, clock.now)
    step_for(delivery, clock, 8)
    clear(sessions, cleared, clock.now)
    step_for(delivery, clock, 20)  # Slack is back at 40 minutes
    step_for(delivery, clock, 10)

    rows = outbox(sessions)
    with sessions() as session:
        (degraded,) = session.scalars(select(Alert).where(Alert.check == "delivery_degraded"))
        failed = session.scalars(select(Alert).where(Alert.check == "delivery_failed")).all()
    tried = list(outage.tries.values())
    widest = max(
        (later - earlier).total_seconds() for times in tried for earlier, later in pairwise(times)
    )
    print(
        f"\nSlack down 40 min: {len(rows)} notices ({Counter(r.state for r in rows)}), "
        f"{sum(len(t) for t in tried)} tries ({sum(r.attempts for r in rows)} recorded "
        f"attempts), widest gap between tries {widest:.0f} s, faults injected "
        f"{Counter(kind for _, kind in outage.plan.injected)}; the last notice went out "
        f"{(max(r.sent_at for r in rows if r.sent_at) - outage.back).total_seconds():.0f} s "
        "after Slack came back"
    )

    # Nothing lost: no dead letter; what was dropped gave way to its alert's final state.
    assert {r.state for r in rows} <= {"sent", "dropped"}
    assert all(
        (r.dropped_reason or "").startswith("superseded by outbox")
        for r in rows
        if r.state == "dropped"
    )
    assert failed == []
    # Nothing twice: one message per alert (and one for the admins' alert), in its final state.
    messages = slack.messages(ALERTS)
    assert Counter(alert_of(m) for m in messages) == Counter(
        dict.fromkeys([*alert_ids, degraded.id], 1)
    )
    final = {r.alert_id: r for r in rows if r.state == "sent" and r.alert_id}
    for message in messages:
        alert_id = alert_of(message)
        assert message.blocks == alert_message(final[alert_id].payload)[1], alert_id
        lines = [reply.text for reply in slack.thread(ALERTS, message.ts)]
        assert len(lines) == len(set(lines)), alert_id
    for alert_id in set(acked) - set(cleared):
        (message,) = [m for m in messages if alert_of(m) == alert_id]
        assert "Acknowledged by <@U0BOB>" in str(message.blocks)
    for alert_id in [*cleared, degraded.id]:
        (message,) = [m for m in messages if alert_of(m) == alert_id]
        assert "actions" not in {block["type"] for block in message.blocks}
    # One admin alert, opened while it lasted and resolved when Slack answered again.
    assert degraded.state == "resolved"
    assert start + timedelta(minutes=10) <= degraded.opened_at <= start + timedelta(minutes=15)
    assert degraded.resolved_at is not None
    assert degraded.resolved_at >= outage.back
    # The backoff is at most five minutes; the worker steps every 5 s; and a 429 hands the rest
    # of its batch back for Slack's Retry-After (1 s here, so until the next step), which under
    # this many rate limits can happen to one row a few times in a row.
    assert widest <= 300 + 5 + 4 * 5
