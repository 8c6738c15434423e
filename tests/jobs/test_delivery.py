"""The delivery worker: retries with backoff, dead letters, leases, and once-only across processes.

The cast: worker A ("alpha") and worker B ("bravo") share one database; "charlie" is a worker
that died holding rows.
"""

import functools
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.policy import AlertPolicy
from bot.clock import utcnow
from bot.db import make_engine, transaction
from bot.models import Alert, OutboxMessage
from bot.sessions import session_factory
from jobs.delivery import DeliveryWorker, backoff_seconds, default_dead_letter_handler, enqueue
from jobs.transports import ConsoleTransport, OutboxMessageView, TransportError, render_text

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CeilingRandom(random.Random):
    """Jitter that always picks the top of its range, so backoff waits are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


class ScriptedTransport:
    """Raises the scripted errors in order, then delivers; remembers every try and delivery."""

    def __init__(
        self, *errors: Exception, on_send: Callable[[OutboxMessageView], None] | None = None
    ):
        self.errors = list(errors)
        self.on_send = on_send
        self.tries: list[int] = []
        self.delivered: list[int] = []

    def send(self, message: OutboxMessageView) -> str | None:
        self.tries.append(message.id)
        if self.on_send is not None:
            self.on_send(message)
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(message.id)
        return f"ts-{message.id}"


class DeadLetters:
    """An on_dead_letter that remembers the rows it was told about, and can write in the session."""

    def __init__(self, then: Callable[[Session, OutboxMessage, datetime], None] | None = None):
        self.seen: list[tuple[int, str, int, str | None]] = []
        self.then = then

    def __call__(self, session: Session, message: OutboxMessage, now: datetime) -> None:
        self.seen.append((message.id, message.state, message.attempts, message.last_error))
        if self.then is not None:
            self.then(session, message, now)


@pytest.fixture
def clock(now: datetime) -> FakeClock:
    """Time that moves only when the test says so."""
    return FakeClock(now)


@pytest.fixture
def dead_letters() -> DeadLetters:
    """A recording dead-letter handler."""
    return DeadLetters()


def worker(
    sessions: sessionmaker[Session],
    transport: Any,
    clock: Callable[[], datetime],
    dead_letters: Any,
    *,
    worker_id: str = "alpha",
    **options: Any,
) -> DeliveryWorker:
    """A worker with exact (top-of-range) backoff unless told otherwise."""
    options.setdefault("rng", CeilingRandom())
    return DeliveryWorker(
        sessions,
        transport,
        worker_id=worker_id,
        clock=clock,
        on_dead_letter=dead_letters,
        **options,
    )


def add_messages(sessions: sessionmaker[Session], now: datetime, count: int = 1) -> list[int]:
    """`count` pending alert notices, due at `now`; their ids."""
    with transaction(sessions) as session:
        return [
            enqueue(
                session,
                kind="alert_opened",
                channel="C-FINANCE",
                payload={"summary": f"bill missing #{n}"},
                now=now,
            ).id
            for n in range(count)
        ]


def row(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    """The outbox row as the database has it now."""
    with sessions() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def test_enqueue_writes_a_pending_row_due_now(sessions, now) -> None:
    """A new outbox row is pending, untried and due at once."""
    (message_id,) = add_messages(sessions, now)
    message = row(sessions, message_id)
    assert (message.state, message.attempts, message.next_attempt_at) == ("pending", 0, now)
    assert message.payload == {"summary": "bill missing #0"}


def test_a_message_failing_transiently_is_delivered_once_with_growing_waits(
    sessions, clock, dead_letters
) -> None:
    """Three transient failures wait 30, 60, 120 s, not sooner; the fourth try delivers it once."""
    (message_id,) = add_messages(sessions, clock.now)
    transport = ScriptedTransport(*(TransportError("HTTP 503") for _ in range(3)))
    alpha = worker(sessions, transport, clock, dead_letters)

    waits = []
    for _ in range(3):
        failed_at = clock.now
        assert alpha.step()
        message = row(sessions, message_id)
        assert (message.state, message.last_error) == ("pending", "HTTP 503")
        waits.append((message.next_attempt_at - failed_at).total_seconds())
        clock.now = message.next_attempt_at - timedelta(seconds=1)
        assert not alpha.step()  # one second early: nothing is due
        clock.advance(seconds=1)
    assert alpha.step()
    alpha.step()

    assert waits == [30.0, 60.0, 120.0]
    assert transport.delivered == [message_id]
    assert transport.tries == [message_id] * 4
    message = row(sessions, message_id)
    assert (message.state, message.attempts, message.transport_ref) == (
        "sent",
        4,
        f"ts-{message_id}",
    )
    assert message.sent_at == clock.now
    assert message.claimed_until is None
    assert dead_letters.seen == []


def test_backoff_is_jittered_below_a_doubling_ceiling_capped_at_backoff_max() -> None:
    """Full jitter: each wait is in [0, min(max, base·2^(n−1))]; the ceiling doubles, then caps."""
    ceilings = [backoff_seconds(n, base=30, cap=3600, rng=CeilingRandom()) for n in range(1, 10)]
    assert ceilings == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    rng = random.Random(7)
    for n in range(1, 200):
        wait = backoff_seconds(n, base=30, cap=3600, rng=rng)
        assert 0 <= wait <= min(3600, 30 * 2 ** min(n - 1, 62))


def test_a_transport_retry_after_is_waited_out_instead_of_the_backoff(
    sessions, clock, dead_letters
) -> None:
    """Slack says 'retry after 120 s': the message is not tried again before 120 s have passed."""
    (message_id,) = add_messages(sessions, clock.now)
    transport = ScriptedTransport(TransportError("ratelimited", retry_after=120))
    alpha = worker(sessions, transport, clock, dead_letters)

    alpha.step()
    assert row(sessions, message_id).next_attempt_at == clock.now + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert not alpha.step()
    clock.advance(seconds=1)
    assert alpha.step()
    assert transport.delivered == [message_id]


@pytest.mark.parametrize("retry_after", [float("inf"), 1e308, float("nan"), -5.0])
def test_a_retry_after_never_waits_past_backoff_max_and_never_raises(
    sessions, clock, dead_letters, retry_after
) -> None:
    """Whatever a transport's retry-after says (infinite, huge, not a number, negative), the
    message and the batch handed back with it are due again within `backoff_max` (300 s)."""
    first, second = add_messages(sessions, clock.now, count=2)
    transport = ScriptedTransport(TransportError("ratelimited", retry_after=retry_after))
    alpha = worker(sessions, transport, clock, dead_letters, backoff_max=300.0)

    alpha.step()

    assert row(sessions, first).state == "pending"
    for message_id in (first, second):
        message = row(sessions, message_id)
        if message.state == "pending":
            assert message.next_attempt_at <= clock.now + timedelta(seconds=300)


def test_a_retry_after_hands_the_rest_of_the_batch_back_untried(
    sessions, clock, dead_letters
) -> None:
    """After a rate limit the other claimed messages are not sent; they wait, attempts untouched."""
    first, *others = add_messages(sessions, clock.now, count=3)
    transport = ScriptedTransport(TransportError("ratelimited", retry_after=10))
    alpha = worker(sessions, transport, clock, dead_letters)

    alpha.step()

    assert transport.tries == [first]
    assert row(sessions, first).attempts == 1
    for message_id in others:
        message = row(sessions, message_id)
        assert (message.state, message.attempts, message.claimed_by) == ("pending", 0, None)
        assert message.next_attempt_at == clock.now + timedelta(seconds=10)


def test_an_unexpected_exception_from_a_transport_counts_as_transient(
    sessions, clock, dead_letters
) -> None:
    """A transport bug or dropped connection is retried later, its repr stored on the row."""
    (message_id,) = add_messages(sessions, clock.now)
    alpha = worker(
        sessions, ScriptedTransport(ConnectionResetError("peer gone")), clock, dead_letters
    )

    alpha.step()

    message = row(sessions, message_id)
    assert (message.state, message.permanent) == ("pending", False)
    assert message.last_error == "ConnectionResetError('peer gone')"


def test_a_permanent_failure_is_a_dead_letter_reported_once(sessions, clock, dead_letters) -> None:
    """channel_not_found: dead at once, permanent, the error kept; the handler hears of it once."""
    (message_id,) = add_messages(sessions, clock.now)
    transport = ScriptedTransport(TransportError("channel_not_found", permanent=True))
    alpha = worker(sessions, transport, clock, dead_letters)

    alpha.step()
    clock.advance(days=2)
    assert not alpha.step()

    message = row(sessions, message_id)
    assert (message.state, message.permanent, message.attempts) == ("dead", True, 1)
    assert message.last_error == "channel_not_found"
    assert dead_letters.seen == [(message_id, "dead", 1, "channel_not_found")]
    assert transport.tries == [message_id]


def test_a_message_that_keeps_failing_transiently_is_never_a_dead_letter(
    sessions, clock, dead_letters
) -> None:
    """Forty 502s over hours: still pending, tries never more than five minutes apart, then sent."""
    (message_id,) = add_messages(sessions, clock.now)
    transport = ScriptedTransport(*(TransportError("HTTP 502") for _ in range(40)))
    # No admin alert in the way: this is about the one row.
    alpha = worker(sessions, transport, clock, dead_letters, degraded_after=timedelta(days=1))

    waits = []
    for _ in range(40):
        failed_at = clock.now
        assert alpha.step()
        message = row(sessions, message_id)
        assert (message.state, message.permanent) == ("pending", False)
        waits.append((message.next_attempt_at - failed_at).total_seconds())
        clock.now = message.next_attempt_at
    assert alpha.step()

    assert waits[:5] == [30, 60, 120, 240, 300]
    assert max(waits) == 300
    message = row(sessions, message_id)
    assert (message.state, message.attempts) == ("sent", 41)
    assert dead_letters.seen == []
    assert transport.delivered == [message_id]


def test_the_dead_letter_handler_writes_in_the_same_transaction(sessions, clock) -> None:
    """What the handler adds commits with the dead letter; a handler that fails undoes both."""

    def notify_admins(session: Session, message: OutboxMessage, now: datetime) -> None:
        enqueue(session, kind="admin_notice", channel="C-ADMIN", payload={}, now=now)

    def broken(session: Session, message: OutboxMessage, now: datetime) -> None:
        notify_admins(session, message, now)
        raise RuntimeError("lifecycle bug")

    kept, undone = add_messages(sessions, clock.now, count=2)
    fails = ScriptedTransport(*(TransportError("not_allowed", permanent=True) for _ in range(2)))
    worker(sessions, fails, clock, DeadLetters(notify_admins), batch_size=1).step()
    with pytest.raises(RuntimeError, match="lifecycle bug"):
        worker(sessions, fails, clock, DeadLetters(broken), batch_size=1).step()

    with sessions() as session:
        notices = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "admin_notice"))
        assert len(notices.all()) == 1
    assert row(sessions, kept).state == "dead"
    # Not dead, not forgotten: still claimed, so it comes back when the lease runs out.
    assert row(sessions, undone).state == "sending"


def test_a_row_whose_lease_expired_is_reclaimed_and_delivered(
    sessions, clock, dead_letters
) -> None:
    """Charlie died holding a row; once his lease is over, Alpha takes it and delivers it."""
    (message_id,) = add_messages(sessions, clock.now)
    with transaction(sessions) as session:
        message = session.get(OutboxMessage, message_id)
        message.state, message.claimed_by = "sending", "charlie"
        message.claimed_until = clock.now + timedelta(seconds=30)
    transport = ScriptedTransport()
    alpha = worker(sessions, transport, clock, dead_letters)

    assert not alpha.step()  # Charlie's lease still runs
    clock.advance(seconds=31)
    assert alpha.step()

    message = row(sessions, message_id)
    assert (message.state, message.claimed_by) == ("sent", "alpha")
    assert transport.delivered == [message_id]


def test_a_worker_that_lost_its_lease_mid_batch_leaves_the_rest_to_the_new_owner(
    sessions, clock, dead_letters
) -> None:
    """Alpha stalls past its lease in a send; Bravo takes the batch; Alpha sends nothing more."""
    in_flight, rest = add_messages(sessions, clock.now, count=2)
    bravo_transport = ScriptedTransport()
    bravo = worker(sessions, bravo_transport, clock, dead_letters, worker_id="bravo")

    def stall_past_the_lease(message: OutboxMessageView) -> None:
        if message.id == in_flight:
            clock.advance(seconds=61)
            bravo.step()

    alpha_transport = ScriptedTransport(on_send=stall_past_the_lease)
    alpha = worker(sessions, alpha_transport, clock, dead_letters, lease=timedelta(seconds=60))
    alpha.step()

    assert alpha_transport.tries == [in_flight]  # it did not send the row Bravo now holds
    assert bravo_transport.delivered == [in_flight, rest]
    # The message in flight when the lease ran out went out twice: the documented at-least-once.
    assert (row(sessions, in_flight).state, row(sessions, in_flight).claimed_by) == (
        "sent",
        "bravo",
    )
    assert (row(sessions, rest).state, row(sessions, rest).claimed_by) == ("sent", "bravo")


def test_a_slow_batch_renews_its_lease_so_no_one_takes_it_over(
    sessions, clock, dead_letters
) -> None:
    """Each send takes 40 s of a 60 s lease: Alpha renews before the second, Bravo finds nothing."""
    first, second = add_messages(sessions, clock.now, count=2)
    bravo_transport = ScriptedTransport()
    bravo = worker(sessions, bravo_transport, clock, dead_letters, worker_id="bravo")
    bravo_found: list[bool] = []

    def take_40_seconds(message: OutboxMessageView) -> None:
        clock.advance(seconds=40)
        if message.id == second:
            bravo_found.append(bravo.step())  # 80 s after the claim: past the original lease

    alpha_transport = ScriptedTransport(on_send=take_40_seconds)
    worker(sessions, alpha_transport, clock, dead_letters, lease=timedelta(seconds=60)).step()

    assert bravo_found == [False]
    assert bravo_transport.tries == []
    assert alpha_transport.delivered == [first, second]
    assert row(sessions, second).claimed_by == "alpha"


def test_a_row_another_worker_holds_is_left_alone(sessions, clock, dead_letters) -> None:
    """While Alpha is sending under a live claim, Bravo neither sends the row nor sees work."""
    (message_id,) = add_messages(sessions, clock.now)
    bravo_transport = ScriptedTransport()
    bravo = worker(sessions, bravo_transport, clock, dead_letters, worker_id="bravo")
    bravo_found: list[bool] = []
    alpha_transport = ScriptedTransport(on_send=lambda message: bravo_found.append(bravo.step()))

    worker(sessions, alpha_transport, clock, dead_letters).step()

    assert bravo_found == [False]
    assert bravo_transport.tries == []
    assert alpha_transport.delivered == [message_id]


def test_a_sent_row_is_never_sent_again(sessions, clock, dead_letters) -> None:
    """Days later, a delivered message is not due for anyone."""
    add_messages(sessions, clock.now)
    transport = ScriptedTransport()
    alpha = worker(sessions, transport, clock, dead_letters)
    alpha.step()
    clock.advance(days=30)
    assert not alpha.step()
    assert not worker(sessions, transport, clock, dead_letters, worker_id="bravo").step()
    assert len(transport.delivered) == 1


def test_run_delivers_until_it_is_told_to_stop(sessions, dead_letters) -> None:
    """The loop delivers what is due, rests when there is nothing, and ends when stop is set."""
    message_ids = add_messages(sessions, utcnow(), count=3)
    stop = threading.Event()
    transport = ScriptedTransport(RuntimeError("flaky once"))
    alpha = DeliveryWorker(
        sessions,
        transport,
        worker_id="alpha",
        on_dead_letter=dead_letters,
        backoff_base=0.01,
        poll=0.01,
    )
    thread = threading.Thread(target=alpha.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while sorted(transport.delivered) != message_ids and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert sorted(transport.delivered) == message_ids


def _delivery_failed_alert(session: Session, now: datetime) -> Alert:
    alert = Alert(
        fingerprint="delivery_failed:-:outbox-1",
        check="delivery_failed",
        subject="outbox-1",
        severity="critical",
        state="open",
        summary="Outbox message 1 was not delivered",
        facts={},
        opened_at=now,
        last_seen_at=now,
    )
    session.add(alert)
    session.flush()
    return alert


def test_a_dead_notice_of_a_delivery_failure_raises_no_further_alert(sessions, clock) -> None:
    """If the admins' own delivery_failed notice dies, it is logged, not alerted on again."""
    with transaction(sessions) as session:
        alert = _delivery_failed_alert(session, clock.now)
        notice = enqueue(
            session,
            kind="alert_opened",
            channel="C-ADMIN",
            payload={},
            now=clock.now,
            alert_id=alert.id,
        )
    transport = ScriptedTransport(TransportError("channel_not_found", permanent=True))
    worker(sessions, transport, clock, default_dead_letter_handler).step()

    assert row(sessions, notice.id).state == "dead"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_dead_letter_opens_a_delivery_failed_alert_for_admins(sessions, clock) -> None:
    """With the production handler, a dead letter opens a critical delivery_failed alert."""
    (message_id,) = add_messages(sessions, clock.now)
    transport = ScriptedTransport(TransportError("channel_not_found", permanent=True))
    to_admins = functools.partial(
        default_dead_letter_handler, policy=AlertPolicy(default_channel="C-ADMIN")
    )
    worker(sessions, transport, clock, to_admins).step()

    with sessions() as session:
        alert = session.scalars(
            select(Alert).where(Alert.fingerprint == f"delivery_failed:-:outbox-{message_id}")
        ).one()
        assert (alert.check, alert.severity, alert.state) == ("delivery_failed", "critical", "open")
        assert f"Outbox message {message_id}" in alert.summary
        assert alert.facts["Error"] == "channel_not_found"
        notices = session.scalars(select(OutboxMessage).where(OutboxMessage.alert_id == alert.id))
        assert [notice.channel for notice in notices] == ["C-ADMIN"]
    assert row(sessions, message_id).state == "dead"


def test_the_console_transport_prints_the_message_as_a_finance_person_reads_it() -> None:
    """Header, summary, the facts as `label: value` lines, and who acted; machine keys stay off."""
    view = OutboxMessageView(
        id=7,
        kind="alert_opened",
        channel="C-FINANCE",
        payload={
            "summary": "expected 899.75 due 2026-12-10, no bill seen",
            "facts": {"Facility": "jiebei-main", "Due": "2026-12-10"},
            "severity": "critical",
            "acknowledged_by": "cli:alice",
        },
        attempts=0,
    )
    stream = io.StringIO()

    assert ConsoleTransport(stream).send(view) is None

    assert stream.getvalue() == render_text(view)
    assert render_text(view) == (
        "── alert_opened → #C-FINANCE (outbox 7) ──\n"
        "expected 899.75 due 2026-12-10, no bill seen\n"
        "  Facility: jiebei-main\n"
        "  Due: 2026-12-10\n"
        "  Acknowledged by: cli:alice\n"
    )


def test_the_console_transport_prints_a_reading_request_as_its_owner_reads_it() -> None:
    """Without Slack, the owner's question is on the console in the words of the direct message
    (the last reading beside it) with the buttons it offers, not just the row's kind."""
    view = OutboxMessageView(
        id=12,
        kind="reading.request",
        channel="U0DANA",
        payload={
            "request_id": 3,
            "facility": "jiebei-main",
            "platform": "借呗",
            "currency": "CNY",
            "zone": "Asia/Shanghai",
            "asked_at": "2026-12-02T10:00:00+08:00",
            "last": {
                "limit": "300000.00",
                "available": "216689.32",
                "status": "active",
                "observed_at": "2026-12-01T10:04:00+08:00",
            },
        },
        attempts=0,
    )

    assert render_text(view) == (
        "── reading.request → #U0DANA (outbox 12) ──\n"
        "借呗 jiebei-main: what does the platform show now? Last reading ¥300,000 limit, "
        "¥216,689.32 available (yesterday 10:04)\n"
        "  [Same as last]  [Changed…]  [Can't see it]\n"
    )


def test_the_console_transport_prints_a_bill_request_and_its_reminder_as_the_owner_reads_them() -> (
    None
):
    """A bill request's question with its three buttons; its reminder leads with the line saying
    when it was first asked (in the facility's zone)."""
    payload = {
        "request_id": 4,
        "facility": "icbc-term",
        "platform": "工行",
        "currency": "CNY",
        "zone": "Asia/Shanghai",
        "due_date": "2026-12-21",
        "expected": "1209.59",
    }
    question = (
        "工行 icbc-term: has the bill for 2026-12-21 appeared? The ledger expects ¥1,209.59\n"
        "  [Yes, as expected]  [Different amount…]  [Not yet]\n"
    )

    first = OutboxMessageView(id=20, kind="bill.request", channel="U0DANA", payload=payload,
                              attempts=0)  # fmt: skip
    reminder = OutboxMessageView(
        id=21,
        kind="bill.request",
        channel="U0DANA",
        payload={**payload, "reminder_of": "2026-12-07T01:00:00+00:00"},
        attempts=0,
    )

    assert render_text(first) == "── bill.request → #U0DANA (outbox 20) ──\n" + question
    assert render_text(reminder) == (
        "── bill.request → #U0DANA (outbox 21) ──\n"
        "Reminder: this was asked at 09:00 (Monday 2026-12-07) and is not answered yet.\n"
        + question
    )


def test_the_console_transport_prints_an_arrival_request_as_the_drawer_reads_it() -> None:
    """Did the money arrive, with the draw's facility and when it was logged; Yes and No."""
    view = OutboxMessageView(
        id=22,
        kind="draw.request",
        channel="U0WEI",
        payload={
            "request_id": 5,
            "facility": "weilidai-ops",
            "platform": "微粒贷",
            "currency": "CNY",
            "zone": "Asia/Shanghai",
            "draw": 9,
            "amount": "60000.00",
            "logged_at": "2026-12-07T01:20:00+00:00",
        },
        attempts=0,
    )

    assert render_text(view) == (
        "── draw.request → #U0WEI (outbox 22) ──\n"
        "Did the ¥60,000 arrive? (微粒贷 weilidai-ops, drawn 2026-12-07 09:20)\n"
        "  [Yes]  [No]\n"
    )


# The rows of one alert, and the alert's own message -------------------------------------------


class RecordingTransport(ScriptedTransport):
    """A ScriptedTransport that also keeps every view it was handed."""

    def __init__(self, *errors: Exception) -> None:
        self.views: list[OutboxMessageView] = []
        super().__init__(*errors, on_send=self.views.append)


def _bill_alert(session: Session, now: datetime, subject: str = "2026-12-10") -> Alert:
    alert = Alert(
        fingerprint=f"bill_missing:1:{subject}",
        check="bill_missing",
        subject=subject,
        severity="warning",
        state="open",
        summary=f"expected 899.75 due {subject}, no bill seen",
        facts={},
        opened_at=now,
        last_seen_at=now,
    )
    session.add(alert)
    session.flush()
    return alert


def add_alert_rows(
    sessions: sessionmaker[Session], now: datetime, *kinds: str, subject: str = "2026-12-10"
) -> tuple[int, list[int]]:
    """One alert and an outbox row about it per kind, in that order; the alert's and rows' ids."""
    with transaction(sessions) as session:
        alert = _bill_alert(session, now, subject)
        rows = [
            enqueue(
                session,
                kind=kind,
                channel="C-FINANCE",
                payload={"alert_id": alert.id},
                now=now,
                alert_id=alert.id,
            ).id
            for kind in kinds
        ]
        return alert.id, rows


def message_ref(sessions: sessionmaker[Session], alert_id: int) -> str | None:
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.message_ref


def test_a_later_row_of_an_alert_waits_while_an_earlier_one_is_retried(
    sessions, clock, dead_letters
) -> None:
    """'Acknowledged' is not sent while 'opened' waits for a retry, and goes once 'opened' is."""
    _, (opened, acked) = add_alert_rows(sessions, clock.now, "alert.opened", "alert.updated")
    transport = ScriptedTransport(TransportError("HTTP 503"))
    alpha = worker(sessions, transport, clock, dead_letters)

    alpha.step()
    assert transport.tries == [opened]
    message = row(sessions, acked)
    assert (message.state, message.attempts) == ("pending", 0)
    clock.advance(hours=1)
    while alpha.step():
        pass

    assert transport.delivered == [opened, acked]


def test_a_dead_earlier_row_no_longer_holds_back_the_later_ones(
    sessions, clock, dead_letters
) -> None:
    """'Opened' is a dead letter: the alert's next row goes out anyway."""
    _, (opened, acked) = add_alert_rows(sessions, clock.now, "alert.opened", "alert.updated")
    transport = ScriptedTransport(TransportError("channel_not_found", permanent=True))
    alpha = worker(sessions, transport, clock, dead_letters)

    while alpha.step():
        pass

    assert row(sessions, opened).state == "dead"
    assert transport.delivered == [acked]


def test_rows_of_other_alerts_do_not_wait_for_one_alerts_retry(
    sessions, clock, dead_letters
) -> None:
    """One alert's failing row holds back only that alert's rows, not another alert's."""
    _, (stuck, held) = add_alert_rows(sessions, clock.now, "alert.opened", "alert.updated")
    _, (free,) = add_alert_rows(sessions, clock.now, "alert.opened", subject="2027-01-10")
    transport = ScriptedTransport(TransportError("HTTP 503"))

    worker(sessions, transport, clock, dead_letters).step()

    assert transport.tries == [stuck, free]
    assert transport.delivered == [free]
    assert row(sessions, held).attempts == 0


def test_the_first_reference_sent_becomes_the_alerts_message_and_later_rows_carry_it(
    sessions, clock, dead_letters
) -> None:
    """'Opened' is sent as ts-N: the alert keeps it, and the next row's view has alert_ref ts-N;
    a row sent to update ts-N that answers with another reference (its message was posted again)
    makes that one the alert's."""
    alert_id, (opened, acked) = add_alert_rows(sessions, clock.now, "alert.opened", "alert.updated")
    transport = RecordingTransport()
    alpha = worker(sessions, transport, clock, dead_letters)

    while alpha.step():
        pass

    assert [(v.id, v.alert_ref) for v in transport.views] == [
        (opened, None),
        (acked, f"ts-{opened}"),
    ]
    assert message_ref(sessions, alert_id) == f"ts-{acked}"


def test_a_grouped_row_gives_no_alert_a_message(sessions, clock, dead_letters) -> None:
    """A storm's row has no alert_id: its alerts keep no message_ref of their own."""
    with transaction(sessions) as session:
        alert_id = _bill_alert(session, clock.now).id
        enqueue(session, kind="alert.group", channel="C-FINANCE", payload={}, now=clock.now)

    worker(sessions, ScriptedTransport(), clock, dead_letters).step()

    assert message_ref(sessions, alert_id) is None


def test_a_row_taken_back_after_its_lease_ran_out_says_it_may_have_been_sent(
    sessions, clock, dead_letters
) -> None:
    """Charlie died holding a row: the view Alpha hands the transport is marked reclaimed."""
    first, second = add_messages(sessions, clock.now, count=2)
    with transaction(sessions) as session:
        message = session.get(OutboxMessage, first)
        message.state, message.claimed_by = "sending", "charlie"
        message.claimed_until = clock.now - timedelta(seconds=1)
    transport = RecordingTransport()

    worker(sessions, transport, clock, dead_letters).step()

    assert [(v.id, v.reclaimed, v.maybe_sent) for v in transport.views] == [
        (first, True, True),
        (second, False, False),
    ]


# Several processes, real clock ----------------------------------------------------------------


def _bulk_enqueue(url: str, count: int) -> list[int]:
    """`count` due rows, inserted in one statement; their ids."""
    engine = make_engine(url)
    due = utcnow() - timedelta(seconds=1)
    rows = [
        {
            "kind": "alert_opened",
            "channel": "C-FINANCE",
            "payload": {"n": n},
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": due,
            "permanent": False,
            "created_at": due,
        }
        for n in range(count)
    ]
    with session_factory(engine)() as session, session.begin():
        session.execute(insert(OutboxMessage), rows)
        ids = list(session.scalars(select(OutboxMessage.id)))
    engine.dispose()
    return ids


def _child(url: str, log: Path, worker_id: str, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.delivery_child", url, str(log), worker_id, *options],
        cwd=ROOT,
    )


def _deliveries(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [(int(i), w) for i, w in (line.split() for line in log.read_text().splitlines())]


def _states(url: str) -> Counter[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    engine.dispose()
    return Counter(dict(rows))


@pytest.mark.postgres
def test_two_worker_processes_deliver_1000_rows_exactly_once(postgres_url, tmp_path) -> None:
    """Two processes started together over 1,000 rows: every row delivered once, none twice."""
    ids = _bulk_enqueue(postgres_url, 1000)
    log, go = tmp_path / "deliveries.log", tmp_path / "go"
    names = ("alpha", "bravo")
    children = [
        _child(postgres_url, log, name, "--ready", str(tmp_path / name), "--go", str(go))
        for name in names
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / name).exists() for name in names):
        assert time.monotonic() < deadline, "workers never became ready"
        time.sleep(0.01)
    started = time.monotonic()
    go.touch()
    assert [child.wait(timeout=60) for child in children] == [0, 0]
    elapsed = time.monotonic() - started

    deliveries = _deliveries(log)
    per_id = Counter(i for i, _ in deliveries)
    per_worker = Counter(w for _, w in deliveries)
    duplicates = sum(n - 1 for n in per_id.values())
    missing = len(set(ids) - set(per_id))
    print(
        f"\n1000 rows, 2 processes: {elapsed:.2f} s, per worker {dict(per_worker)}, "
        f"duplicates {duplicates}, missing {missing}"
    )
    assert (duplicates, missing) == (0, 0)
    assert all(per_worker[name] > 0 for name in names), "one worker did all the work: no race"
    assert _states(postgres_url) == Counter({"sent": 1000})


def test_a_worker_killed_mid_batch_loses_nothing_once_another_takes_over(
    database_url, tmp_path
) -> None:
    """kill -9 while sending; a new worker reclaims after the 1 s lease: every row ends sent."""
    ids = _bulk_enqueue(database_url, 300)
    log = tmp_path / "deliveries.log"
    alpha = _child(database_url, log, "alpha", "--lease", "1", "--sleep", "0.005", "--batch", "25")
    deadline = time.monotonic() + 30
    while len(_deliveries(log)) < 60:
        assert alpha.poll() is None, "alpha ended before it could be killed"
        assert time.monotonic() < deadline, "alpha delivered too slowly"
        time.sleep(0.005)
    os.kill(alpha.pid, signal.SIGKILL)
    assert alpha.wait(timeout=10) == -signal.SIGKILL
    at_kill = _states(database_url)

    bravo = _child(database_url, log, "bravo", "--lease", "1", "--batch", "25")
    assert bravo.wait(timeout=60) == 0

    per_id = Counter(i for i, _ in _deliveries(log))
    duplicates = sorted(i for i, n in per_id.items() if n > 1)
    missing = set(ids) - set(per_id)
    print(
        f"\nkilled with {at_kill['sending']} rows claimed, {at_kill['sent']} sent; "
        f"after restart: missing {len(missing)}, duplicates {duplicates}"
    )
    assert missing == set()
    assert _states(database_url) == Counter({"sent": 300})
    # Only the message in flight at the kill can go out twice (sent, not yet recorded).
    assert len(duplicates) <= 1
