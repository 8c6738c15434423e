"""Outages: no transient failure ever loses a notice, and the admins hear of it once.

The cast: Alice's alerts go to #finance (C-FINANCE); admin alerts go to #ops (C-OPS) unless a
test sends them to #finance too. Bob acknowledges. The destination is down (connection refused,
5xx, rate limits) until the test says it is back; workers step every 5 s of fake time, as
`loanwatch worker` does.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import outbox_admin
from bot.alerts.actions import acknowledge, resolve
from bot.alerts.policy import AlertPolicy
from bot.audit import Actor
from bot.db import transaction
from bot.models import Alert, OutboxMessage
from jobs.delivery import DeliveryWorker, enqueue
from jobs.transports import OutboxMessageView, TransportError
from tests.conftest import ALICE
from tests.jobs.slack_support import FakeClock

BOB = Actor("slack:U0BOB", "slack")
DANA = Actor("cli:dana", "cli")
FINANCE, OPS = "C-FINANCE", "C-OPS"
STEP = timedelta(seconds=5)
CAP = 300.0

TRANSIENT: dict[str, Callable[[], Exception]] = {
    "refused": lambda: ConnectionRefusedError(111, "Connection refused"),
    "503": lambda: TransportError("Slack says HTTP 503; trying again later"),
    "429": lambda: TransportError("Slack says ratelimited (HTTP 429)", retry_after=30),
    "reset": lambda: TransportError("Slack could not be reached: ConnectionResetError()"),
}


class DownUntil:
    """A Slack that fails every call to its down channels until `back`, then delivers.

    Each failure is one of `kinds` (transient), in turn. Every try is written down with its time.
    """

    name = "slack"

    def __init__(
        self,
        clock: FakeClock,
        back: datetime,
        *,
        down: frozenset[str] = frozenset({FINANCE}),
        kinds: tuple[str, ...] = tuple(TRANSIENT),
    ) -> None:
        self.clock = clock
        self.back = back
        self.down = down
        self.kinds = kinds
        self.tries: dict[int, list[datetime]] = defaultdict(list)
        self.delivered: list[OutboxMessageView] = []

    def send(self, message: OutboxMessageView) -> str | None:
        self.tries[message.id].append(self.clock.now)
        if message.channel in self.down and self.clock.now < self.back:
            kind = self.kinds[sum(map(len, self.tries.values())) % len(self.kinds)]
            raise TRANSIENT[kind]()
        self.delivered.append(message)
        return f"{message.channel}:{message.id}"


def worker(
    sessions: sessionmaker[Session], transport: DownUntil, clock: FakeClock, **options
) -> DeliveryWorker:
    """A worker with the default backoff (30 s doubling to 5 min) and admin alerts to #ops."""
    options.setdefault("policy", AlertPolicy(default_channel=OPS))
    return DeliveryWorker(
        sessions,
        transport,
        worker_id="alpha",
        clock=clock,
        rng=options.pop("rng", random.Random(11)),
        degraded_after=timedelta(minutes=10),
        **options,
    )


def run_for(delivery: DeliveryWorker, clock: FakeClock, length: timedelta) -> None:
    """Deliver what is due every 5 s of fake time for `length`."""
    end = clock.now + length
    while clock.now < end:
        while delivery.step():
            pass
        clock.now += STEP


def notices(sessions: sessionmaker[Session], count: int, now: datetime) -> list[int]:
    """`count` notices for #finance, due now; their ids."""
    with transaction(sessions) as session:
        return [
            enqueue(
                session, kind="notice", channel=FINANCE, payload={"summary": f"#{n}"}, now=now
            ).id
            for n in range(count)
        ]


def states(sessions: sessionmaker[Session], ids: list[int]) -> Counter[str]:
    with sessions() as session:
        return Counter(
            session.scalars(select(OutboxMessage.state).where(OutboxMessage.id.in_(ids))).all()
        )


def admin_alerts(sessions: sessionmaker[Session], check: str) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).where(Alert.check == check).order_by(Alert.id)))


def gaps(tries: list[datetime]) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in pairwise(tries)]


# --- one admin alert per destination, for as long as it lasts ------------------------------------


def test_a_destination_down_ten_minutes_raises_one_delivery_degraded_alert_resolved_on_return(
    sessions, clock
) -> None:
    """#finance is down 25 min: one alert opens at 10 min, resolves when a send gets through."""
    ids = notices(sessions, 3, clock.now)
    started = clock.now
    transport = DownUntil(clock, back=started + timedelta(minutes=25))
    delivery = worker(sessions, transport, clock)

    run_for(delivery, clock, timedelta(minutes=9, seconds=55))
    assert admin_alerts(sessions, "delivery_degraded") == []
    run_for(delivery, clock, timedelta(minutes=5))
    (alert,) = admin_alerts(sessions, "delivery_degraded")
    assert (alert.state, alert.fingerprint) == ("open", "delivery_degraded:-:slack:C-FINANCE")
    assert alert.facts["Failing since"] == f"{started:%Y-%m-%d %H:%M} UTC"
    assert "Nothing is lost" in alert.summary
    run_for(delivery, clock, timedelta(minutes=20))

    (alert,) = admin_alerts(sessions, "delivery_degraded")
    assert alert.state == "resolved"
    assert alert.resolve_reason == "a notification to slack:C-FINANCE was delivered"
    assert states(sessions, ids) == Counter({"sent": 3})
    assert Counter(v.id for v in transport.delivered if v.channel == FINANCE) == Counter(
        dict.fromkeys(ids, 1)
    )
    # The admins in #ops heard it open and heard it resolve.
    assert [v.kind for v in transport.delivered if v.channel == OPS] == [
        "alert.opened",
        "alert.resolved",
    ]
    assert admin_alerts(sessions, "delivery_failed") == []


def test_the_degraded_alerts_own_notice_to_the_dead_destination_raises_nothing_more(
    sessions, clock
) -> None:
    """Admin alerts go to #finance too: one alert, its notice waits, no alert about that notice."""
    ids = notices(sessions, 2, clock.now)
    transport = DownUntil(clock, back=clock.now + timedelta(minutes=30))
    delivery = worker(sessions, transport, clock, policy=AlertPolicy(default_channel=FINANCE))

    run_for(delivery, clock, timedelta(minutes=40))

    (alert,) = admin_alerts(sessions, "delivery_degraded")
    assert alert.state == "resolved"
    assert admin_alerts(sessions, "delivery_failed") == []
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.alert_id == alert.id).order_by("id")
        ).all()
    # Its "opened" notice waited like the others; it went out on the return (or, had the
    # alert resolved before its next try, gave way to the resolved one). Either way the one
    # message ends saying "resolved", and nothing else was raised about it.
    assert [r.kind for r in rows] == ["alert.opened", "alert.resolved"]
    assert rows[-1].state == "sent"
    assert [v.kind for v in transport.delivered if v.payload.get("alert_id") == alert.id][
        -1
    ] == "alert.resolved"
    assert states(sessions, ids) == Counter({"sent": 2})


class Scripted:
    """#finance answers each send with the next outcome: "500" (transient), "gone" (the
    channel was deleted: permanent), then "ok" once the script runs out."""

    name = "slack"

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = list(outcomes)

    def send(self, message: OutboxMessageView) -> str | None:
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if outcome == "500":
            raise TransportError("Slack says HTTP 500; trying again later")
        if outcome == "gone":
            raise TransportError("Slack says channel_not_found", permanent=True)
        return f"{message.channel}:{message.id}"


def dead_letter(sessions, delivery: DeliveryWorker, clock: FakeClock, row: int) -> None:
    """The row's next try meets a deleted channel: a dead letter."""
    run_for(delivery, clock, timedelta(minutes=1))


def admin_drops(sessions, delivery: DeliveryWorker, clock: FakeClock, row: int) -> None:
    with transaction(sessions) as session:
        outbox_admin.drop(session, DANA, row, "channel rebuilt", now=clock.now)


STREAK_ENDS = {
    "a dead letter": ("gone", dead_letter),
    "an admin's drop": ("500", admin_drops),
}


@pytest.mark.parametrize(("then", "ending"), STREAK_ENDS.values(), ids=STREAK_ENDS.keys())
def test_one_blip_weeks_after_a_streak_ended_raises_no_delivery_degraded(
    sessions, clock, then, ending
) -> None:
    """A 500 to #finance, then the streak ends (however it ends); three weeks later one more
    500: no delivery_degraded alert. A streak of failures from then on still raises one."""
    (first,) = notices(sessions, 1, clock.now)
    transport = Scripted("500", then)
    delivery = worker(sessions, transport, clock)
    delivery.step()
    ending(sessions, delivery, clock, first)

    clock.now += timedelta(days=21)
    notices(sessions, 1, clock.now)
    transport.outcomes = ["500"]
    delivery.step()
    assert admin_alerts(sessions, "delivery_degraded") == []

    transport.outcomes = ["500"] * 1000
    run_for(delivery, clock, timedelta(minutes=20))
    (degraded,) = admin_alerts(sessions, "delivery_degraded")
    assert "C-FINANCE" in degraded.summary


def test_an_admins_retry_starts_the_count_again(sessions, clock) -> None:
    """#finance fails from 10:00; Dana retries the notice at 10:08: at 10:14 no
    delivery_degraded yet (six minutes since the retry); ten minutes after the retry, one."""
    (row,) = notices(sessions, 1, clock.now)
    delivery = worker(sessions, Scripted(*["500"] * 1000), clock)
    run_for(delivery, clock, timedelta(minutes=8))
    with transaction(sessions) as session:
        outbox_admin.retry(session, DANA, row, now=clock.now)
    retried = clock.now

    run_for(delivery, clock, timedelta(minutes=6))
    assert admin_alerts(sessions, "delivery_degraded") == []
    run_for(delivery, clock, timedelta(minutes=10))
    (degraded,) = admin_alerts(sessions, "delivery_degraded")
    assert degraded.facts["Failing since"] == f"{retried:%Y-%m-%d %H:%M} UTC"


# --- an alert resolved meanwhile needs only its final state --------------------------------------


def bill_alert(session: Session, now: datetime, *, posted: bool = False) -> Alert:
    """A bill_missing alert and its "opened" notice: pending, or already `posted` in #finance."""
    alert = Alert(
        fingerprint="bill_missing:1:2026-12-10",
        check="bill_missing",
        subject="2026-12-10",
        severity="warning",
        state="open",
        summary="expected 899.75 due 2026-12-10, no bill seen",
        facts={},
        opened_at=now,
        last_seen_at=now,
        last_notified_at=now,
        message_ref=f"{FINANCE}:1700000001.000100" if posted else None,
    )
    session.add(alert)
    session.flush()
    opened = enqueue(
        session, kind="alert.opened", channel=FINANCE, payload={}, now=now, alert_id=alert.id
    )
    if posted:
        opened.state, opened.sent_at = "sent", now
    return alert


def ack_then_resolve_during_an_outage(
    sessions: sessionmaker[Session], clock: FakeClock, *, posted: bool
) -> tuple[DownUntil, list[OutboxMessage]]:
    """#finance goes down; Bob acks (that notice fails), then Alice resolves; 30 min later."""
    with transaction(sessions) as session:
        alert_id = bill_alert(session, clock.now, posted=posted).id
    transport = DownUntil(clock, back=clock.now + timedelta(minutes=20))
    delivery = worker(sessions, transport, clock)
    with transaction(sessions) as session:
        acknowledge(session, BOB, alert_id, now=clock.now, policy=AlertPolicy())
    run_for(delivery, clock, timedelta(minutes=5))
    with transaction(sessions) as session:
        resolve(session, ALICE, alert_id, "bill arrived", now=clock.now)
    run_for(delivery, clock, timedelta(minutes=30))
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.alert_id == alert_id)
            .order_by(OutboxMessage.id)
        ).all()
    return transport, list(rows)


def test_a_failed_update_whose_alert_resolved_meanwhile_gives_way_to_the_resolved_one(
    sessions, clock
) -> None:
    """Posted alert: Bob's ack fails until Alice resolves; only "resolved" updates the message."""
    transport, (opened, acked, resolved) = ack_then_resolve_during_an_outage(
        sessions, clock, posted=True
    )

    assert [(r.kind, r.state) for r in (opened, acked, resolved)] == [
        ("alert.opened", "sent"),
        ("alert.updated", "dropped"),
        ("alert.resolved", "sent"),
    ]
    assert acked.dropped_reason == (
        f"superseded by outbox {resolved.id}: the alert resolved before this could be "
        "delivered, and that row carries its final state"
    )
    assert [v.id for v in transport.delivered if v.channel == FINANCE] == [resolved.id]


def test_an_alert_never_posted_is_posted_once_then_shown_resolved(sessions, clock) -> None:
    """Its "opened" failed: it still posts (or finds) the one message; "resolved" updates it."""
    transport, (opened, acked, resolved) = ack_then_resolve_during_an_outage(
        sessions, clock, posted=False
    )

    assert [(r.kind, r.state) for r in (opened, acked, resolved)] == [
        ("alert.opened", "sent"),
        ("alert.updated", "dropped"),
        ("alert.resolved", "sent"),
    ]
    assert acked.id not in transport.tries  # never tried: it waited behind "opened"
    assert [v.id for v in transport.delivered if v.channel == FINANCE] == [opened.id, resolved.id]


def test_notices_on_time_are_all_sent_so_the_thread_keeps_its_story(sessions, clock) -> None:
    """Nothing failed: opened, acknowledged and resolved each go out, in order."""
    with transaction(sessions) as session:
        alert_id = bill_alert(session, clock.now).id
        acknowledge(session, BOB, alert_id, now=clock.now, policy=AlertPolicy())
        resolve(session, ALICE, alert_id, "bill arrived", now=clock.now)
    transport = DownUntil(clock, back=clock.now)

    run_for(worker(sessions, transport, clock), clock, timedelta(minutes=1))

    assert [v.kind for v in transport.delivered] == [
        "alert.opened",
        "alert.updated",
        "alert.resolved",
    ]


# --- the chance of losing a notice ---------------------------------------------------------------


@pytest.mark.parametrize("minutes", [10, 30, 60])
def test_no_notice_is_lost_to_an_outage_of_any_length(sessions, clock, minutes: int) -> None:
    """12 notices, #finance down 10/30/60 min: none dead, each sent once, tries ≤ 5 min apart.

    Connections refused, 503s and resets; a rate limit (429) adds the wait Slack asks for, and
    the next test covers it.
    """
    ids = notices(sessions, 12, clock.now)
    back = clock.now + timedelta(minutes=minutes)
    transport = DownUntil(clock, back=back, kinds=("refused", "503", "reset"))
    delivery = worker(sessions, transport, clock, rng=random.Random(minutes))

    run_for(delivery, clock, timedelta(minutes=minutes + 10))

    lost = states(sessions, ids)["dead"]
    widest = max(gap for i in ids for gap in gaps(transport.tries[i]))
    late = max(transport.tries[i][-1] - back for i in ids)
    print(
        f"\noutage {minutes} min: lost {lost}/{len(ids)} (probability {lost / len(ids):.0%}), "
        f"tries {sum(len(transport.tries[i]) for i in ids)}, widest gap {widest:.0f} s, "
        f"last one out {late.total_seconds():.0f} s after the return"
    )
    assert lost == 0
    assert states(sessions, ids) == Counter({"sent": 12})
    assert Counter(v.id for v in transport.delivered if v.channel == FINANCE) == Counter(
        dict.fromkeys(ids, 1)
    )
    assert widest <= CAP + STEP.total_seconds()
    assert late <= timedelta(seconds=CAP) + STEP


def run_to(
    delivery: DeliveryWorker, clock: FakeClock, sessions: sessionmaker[Session], end: datetime
) -> None:
    """Deliver what is due, jumping the clock from one due row to the next, until `end`."""
    while clock.now < end:
        while delivery.step():
            pass
        with sessions() as session:
            upcoming = session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.state == "pending"
                )
            )
        clock.now = max(min(upcoming or end, end), clock.now + STEP)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    minutes=st.integers(min_value=1, max_value=90),
    kinds=st.lists(st.sampled_from(sorted(TRANSIENT)), min_size=1, max_size=4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_whatever_mix_of_transient_failures_a_notice_is_never_a_dead_letter(
    sessions, now, minutes: int, kinds: list[str], seed: int
) -> None:
    """Up to 90 min of refusals, 5xx, 429s and resets, in any mix: every notice goes, once."""
    clock = FakeClock(now)  # every example starts with all earlier ones' notices sent
    ids = notices(sessions, 2, clock.now)
    back = clock.now + timedelta(minutes=minutes)
    transport = DownUntil(clock, back=back, kinds=tuple(kinds))
    delivery = worker(sessions, transport, clock, rng=random.Random(seed))

    run_to(delivery, clock, sessions, back + timedelta(seconds=CAP) + STEP)

    assert states(sessions, ids) == Counter({"sent": 2})
    assert Counter(v.id for v in transport.delivered if v.id in ids) == Counter(
        dict.fromkeys(ids, 1)
    )
