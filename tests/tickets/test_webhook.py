"""A platform's webhook on loopback: signed JSON, one delivery per ticket event, retried.

Jiebei's webhook (`--secret-env JIEBEI_HOOK_SECRET`) is a receiver in a thread that checks every
POST's signature as the platform would. `ticket open` tries once before it exits; a worker with
a clock ahead of the real one tries the rest.
"""

import json
import re
import threading
import time
from collections import Counter
from datetime import timedelta
from email.utils import formatdate

import pytest
from sqlalchemy import select

from bot.clock import utcnow
from bot.db import make_engine
from bot.models import OutboxMessage, TicketEntry
from bot.sessions import session_factory
from jobs.delivery import DeliveryWorker
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.webhook import WebhookTransport
from tests.support.webhook_receiver import WebhookReceiver
from tests.tickets.conftest import ok

SECRET = "whsec-jiebei-0123"


def _contact(loanwatch, url: str) -> None:
    ok(loanwatch(
        f"platform contact jiebei --via webhook --url {url} --secret-env JIEBEI_HOOK_SECRET"
    ))  # fmt: skip


def _rows(database_url: str) -> list[OutboxMessage]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "ticket.platform")
            .order_by(OutboxMessage.id)
        ).all()
        session.expunge_all()
    engine.dispose()
    return list(rows)


def _sent_event_id(database_url: str) -> str:
    """The id of the ticket's `sent` entry: the event the platform is told about."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        [event_id] = session.scalars(
            select(TicketEntry.event_id).where(TicketEntry.kind == "sent")
        ).all()
    engine.dispose()
    return event_id


def _worker(database_url: str, name: str, clock) -> tuple[DeliveryWorker, object]:
    engine = make_engine(database_url)
    worker = DeliveryWorker(
        session_factory(engine), WebhookTransport(), worker_id=name, clock=clock
    )
    return worker, engine


def test_the_webhook_gets_one_signed_delivery_after_two_500s(
    loanwatch, missing_bill, database_url, monkeypatch
) -> None:
    """500, 500, then 200: three tries with the same Idempotency-Key, one delivery, the ticket
    and its records in the JSON, every signature good."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", SECRET)
    with WebhookReceiver(SECRET, answers=[500, 500]) as hook:
        _contact(loanwatch, hook.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        later = [utcnow()]
        worker, engine = _worker(database_url, "worker-1", lambda: later[0])
        for _ in range(4):
            later[0] += timedelta(minutes=10)
            worker.step()
        engine.dispose()
    assert len(hook.requests) == 3
    assert hook.rejected == []
    keys = {r["headers"]["Idempotency-Key"] for r in hook.requests}
    [(key, body)] = hook.deliveries
    assert keys == {key}
    assert body["ticket"] == {
        "id": "T-1", "facility": "jiebei-main", "platform": "jiebei", "language": "zh"
    }  # fmt: skip
    assert body["event"]["id"] == key
    assert body["event"]["kind"] == "sent"
    assert body["title"] == "[T-1] jiebei-main: 账单缺失"
    assert "贵平台账单缺失" in body["summary"]
    rows = body["records"]["rows"]
    assert any(row[0] == "借款" and "20000.00" in row for row in rows)
    assert any("2026-12-08" in row for row in rows)
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("sent", 3)


def test_a_wrong_secret_is_caught_by_the_receiver_and_is_a_dead_letter(
    loanwatch, missing_bill, database_url, monkeypatch
) -> None:
    """The receiver refuses the signature (401): not retried; the admins and the ticket hear."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", "not-the-secret")
    with WebhookReceiver(SECRET) as hook:
        _contact(loanwatch, hook.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        ok(loanwatch("check"))
    assert len(hook.rejected) == 1
    assert hook.deliveries == []
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("dead", 1)
    assert "answered 401" not in row.last_error
    assert "refused ticket T-1's sent with 401" in row.last_error
    show = ok(loanwatch("ticket show T-1"))
    assert "delivery_failed" in show
    assert "check the URL and the secret (JIEBEI_HOOK_SECRET)" in show


def test_a_missing_secret_is_a_dead_letter_that_names_the_variable(
    loanwatch, missing_bill, database_url, monkeypatch
) -> None:
    """JIEBEI_HOOK_SECRET unset: nothing is posted; the admin alert says what to set."""
    monkeypatch.delenv("JIEBEI_HOOK_SECRET", raising=False)
    with WebhookReceiver(SECRET) as hook:
        _contact(loanwatch, hook.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    assert hook.requests == []
    [row] = _rows(database_url)
    assert row.state == "dead"
    alerts = json.loads(ok(loanwatch("export alerts --format json")))
    [admin] = [a for a in alerts if a["check"] == "delivery_failed"]
    assert "environment variable JIEBEI_HOOK_SECRET, which is not set" in json.dumps(
        admin, ensure_ascii=False
    )


def test_a_rate_limit_says_how_long_to_wait() -> None:
    """429 with Retry-After: 120 is transient and asks for 120 seconds (the worker caps it)."""
    payload = {
        "event": "sent", "event_id": "e1", "thread_event_id": "e1", "ticket": "T-1",
        "ticket_id": 1, "facility": "f", "platform": "jiebei", "via": "webhook",
        "language": "zh", "title": "t", "text": "x", "summary": "s",
        "secret_env": "HOOK", "url": "",
    }  # fmt: skip
    with WebhookReceiver("s", answers=[429], headers={"Retry-After": "120"}) as hook:
        transport = WebhookTransport(environ={"HOOK": "s"})
        view = OutboxMessageView(
            1, "ticket.platform", "webhook:jiebei", payload | {"url": hook.url}, 0
        )
        with pytest.raises(TransportError) as limited:
            transport.send(view)
    assert not limited.value.permanent
    assert limited.value.retry_after == 120.0


# Two workers at once need PostgreSQL (SQLite runs one writer at a time).
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_workers_send_each_ticket_event_once(
    loanwatch, missing_bill, database_url, monkeypatch
) -> None:
    """Five tickets' first messages wait after a failed try; two workers on PostgreSQL start
    together: the webhook gets each event exactly once."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", SECRET)
    # 503 for as long as the tickets open: on a slow machine a later `ticket open` may retry an
    # earlier row once its backoff is over, and that try must fail too.
    with WebhookReceiver(SECRET, answers=[503] * 100) as hook:
        _contact(loanwatch, hook.url)
        for n in range(5):
            ok(loanwatch(f"ticket open jiebei-main --subject 'case {n}'"))
        assert [r.state for r in _rows(database_url)] == ["pending"] * 5
        hook.answers.clear()
        later = utcnow() + timedelta(hours=1)
        start = threading.Barrier(2)

        def run(name: str) -> None:
            worker, engine = _worker(database_url, name, lambda: later)
            worker.batch_size = 1
            start.wait()
            while worker.step():
                pass
            engine.dispose()

        threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    counts = Counter(key for key, _ in hook.deliveries)
    assert len(counts) == 5
    assert set(counts.values()) == {1}
    assert {r.state for r in _rows(database_url)} == {"sent"}


def _view(url: str) -> OutboxMessageView:
    payload = {
        "event": "sent", "event_id": "e1", "thread_event_id": "e1", "ticket": "T-1",
        "ticket_id": 1, "facility": "f", "platform": "jiebei", "via": "webhook",
        "language": "zh", "title": "t", "text": "x", "summary": "s",
        "secret_env": "HOOK", "url": url,
    }  # fmt: skip
    return OutboxMessageView(1, "ticket.platform", "webhook:jiebei", payload, 0)


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(408, False), (429, False), (500, False), (502, False), (503, False), (504, False),
     (400, True), (404, True), (409, True), (410, True), (422, True), (301, True)],
)  # fmt: skip
def test_408_429_and_5xx_are_retried_and_any_other_answer_is_a_dead_letter(
    status, permanent
) -> None:
    """What each answer means; a dead letter names the status and says what to check."""
    headers = {"Location": "http://127.0.0.1:9/elsewhere"} if status == 301 else {}
    with (
        WebhookReceiver("s", answers=[status], headers=headers) as hook,
        pytest.raises(TransportError) as failed,
    ):
        WebhookTransport(environ={"HOOK": "s"}).send(_view(hook.url))
    assert len(hook.requests) == 1  # a redirect is not followed
    assert failed.value.permanent is permanent
    if permanent:
        assert f"refused ticket T-1's sent with {status}" in failed.value.message
        assert "check the URL and the secret (HOOK)" in failed.value.message
    else:
        assert f"answered {status}; trying again later" in failed.value.message


def test_a_retry_after_given_as_an_http_date_is_honoured() -> None:
    """Retry-After: an HTTP-date two minutes after the transport's clock asks for 120 s; one in
    the past asks for no wait."""
    now = 1_796_000_000.0  # 2026-11-30 (UTC)
    for when, expected in ((now + 120, 120.0), (now - 60, 0.0)):
        date = formatdate(when, usegmt=True)
        with WebhookReceiver("s", answers=[503], headers={"Retry-After": date}) as hook:
            transport = WebhookTransport(environ={"HOOK": "s"}, clock=lambda: now)
            with pytest.raises(TransportError) as limited:
                transport.send(_view(hook.url))
        assert not limited.value.permanent
        assert limited.value.retry_after == expected, date


def test_the_outbox_waits_as_long_as_the_webhooks_retry_after_says(
    loanwatch, missing_bill, database_url, monkeypatch
) -> None:
    """429 with Retry-After as an HTTP-date 200 s ahead: the row is next tried 200 s later,
    not after the 30 s backoff; then the delivery goes through, signed, keyed by the event."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", SECRET)
    retry_at = formatdate(time.time() + 200, usegmt=True)
    with WebhookReceiver(SECRET, answers=[429], headers={"Retry-After": retry_at}) as hook:
        _contact(loanwatch, hook.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        [row] = _rows(database_url)
        assert (row.state, row.attempts) == ("pending", 1)
        waited = (row.next_attempt_at - utcnow()).total_seconds()
        assert 185 <= waited <= 201, waited
        later = [row.next_attempt_at - timedelta(seconds=1)]
        worker, engine = _worker(database_url, "worker-1", lambda: later[0])
        worker.step()
        assert len(hook.requests) == 1  # not before the time it asked for
        later[0] += timedelta(seconds=2)
        worker.step()
        engine.dispose()
    [(key, body)] = hook.deliveries
    signed = hook.requests[-1]["headers"]["X-Loanwatch-Signature"]
    assert re.fullmatch(r"t=[0-9]+,v1=[0-9a-f]{64}", signed)
    assert key == body["event"]["id"] == _sent_event_id(database_url)


def test_the_dead_letters_fix_works_the_retry_and_the_follow_ups_go_to_the_corrected_url(
    loanwatch, clock, missing_bill, database_url, monkeypatch
) -> None:
    """The webhook's URL was wrong (404): the dead letter says to correct the contact and retry
    it. The admin does just that: the retried first message and the follow-up reach the
    corrected URL, the wrong one hears nothing more, and the ticket's timeline says it moved."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", SECRET)
    with WebhookReceiver(SECRET, answers=[404] * 5) as wrong, WebhookReceiver(SECRET) as right:
        _contact(loanwatch, wrong.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        [dead] = _rows(database_url)
        assert dead.state == "dead"
        fix = "`loanwatch platform contact jiebei --via webhook --url … --secret-env …`"
        assert fix in dead.last_error
        assert f"then `loanwatch outbox retry {dead.id}`" in dead.last_error

        _contact(loanwatch, right.url)
        out = ok(loanwatch(f"outbox retry {dead.id}"))
        assert f"outbox {dead.id} (T-1) now goes to {right.url}" in out
        ok(loanwatch("check"))
        [(_, first)] = right.deliveries
        assert first["event"]["kind"] == "sent"
        assert first["records"]["rows"]

        clock.now = clock.now + timedelta(days=2, hours=-1)  # 09:00, two business days on
        ok(loanwatch("check --at 2026-12-03T09:00+08:00"))
        assert [body["event"]["kind"] for _, body in right.deliveries] == ["sent", "reminder"]
    assert len(wrong.requests) == 1
    show = ok(loanwatch("ticket show T-1"))
    assert "contact_changed" in show
    assert f"was corrected: {wrong.url} → {right.url}" in show
    assert show.count("contact_changed") == 1


def test_no_follow_up_goes_under_a_first_message_the_platform_never_got(
    loanwatch, clock, missing_bill, database_url, monkeypatch
) -> None:
    """The first message is a dead letter: when the follow-up falls due the team is reminded
    that it failed, and nothing is sent to the platform; once it is retried and delivered the
    follow-ups resume, threaded under it."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", SECRET)
    with WebhookReceiver(SECRET, answers=[403]) as hook:
        _contact(loanwatch, hook.url)
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        [dead] = _rows(database_url)
        assert dead.state == "dead"
        clock.now = clock.now + timedelta(days=2, hours=-1)  # 09:00, two business days on
        ok(loanwatch("check --at 2026-12-03T09:00+08:00"))
        assert len(hook.requests) == 1
        assert [row.id for row in _rows(database_url)] == [dead.id]
        show = ok(loanwatch("ticket show T-1"))
        assert f"was not delivered (outbox {dead.id} is a dead letter)" in show
        assert "no follow-up was sent" in show

        ok(loanwatch(f"outbox retry {dead.id}"))
        ok(loanwatch("check --at 2026-12-03T09:00+08:00"))
        ok(loanwatch("check --at 2026-12-07T09:00+08:00"))  # Monday: two business days on
    kinds = [(body["event"]["kind"], body["event"]["follow_up"]) for _, body in hook.deliveries]
    assert kinds == [("sent", 0), ("reminder", 1)]
    [(first_key, _), (_, follow_up)] = hook.deliveries
    assert follow_up["event"]["thread_id"] == first_key
