"""Two delivery workers on PostgreSQL drain one outbox: each ticket event reaches its platform once.

Jiebei takes webhooks, Weilidai email. Every first try fails (the webhook answers 503, the SMTP
server is not up yet), so the platforms' messages wait in the outbox; then two workers, each in
its own thread with its own engine (its own connections), start together with a clock an hour
ahead and deliver until nothing is left. The receivers count what arrived by Idempotency-Key and
by Message-ID.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
import trustme
from sqlalchemy import select

from bot.clock import utcnow
from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.settings import Settings
from jobs.delivery import DeliveryWorker
from jobs.transports import transport_from
from tests.support.smtp_server import SmtpServer, free_port
from tests.support.webhook_receiver import WebhookReceiver
from tests.tickets.conftest import ok

SECRET = "whsec-jiebei-two-workers"
TICKETS_EACH = 4


def _platform_rows(database_url: str) -> list[OutboxMessage]:
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


class _Counted:
    """The real transport (Slack-less: console, SMTP, webhook), noting which worker sent what."""

    def __init__(self, name: str, sent_by: list[str]) -> None:
        self.inner = transport_from(Settings())
        self.name = name
        self.sent_by = sent_by

    def send(self, message):  # type: ignore[no-untyped-def]
        ref = self.inner.send(message)
        if message.kind == "ticket.platform":
            self.sent_by.append(self.name)
        return ref


def _drain_with_two_workers(database_url: str) -> list[str]:
    """Two workers, separate engines, a barrier so they start together, one row per claim;
    returns which worker sent each platform message."""
    later = utcnow() + timedelta(hours=1)
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    sent_by: list[str] = []

    def run(name: str) -> None:
        engine = make_engine(database_url)
        try:
            worker = DeliveryWorker(
                session_factory(engine),
                _Counted(name, sent_by),
                worker_id=name,
                clock=lambda: later,
                batch_size=1,
            )
            start.wait()
            while worker.step():
                pass
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(f"worker-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    return sent_by


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_workers_send_each_email_and_webhook_event_once(
    loanwatch, clock, database_url, monkeypatch, tmp_path
) -> None:
    """Four tickets each way plus their follow-ups: every Message-ID and Idempotency-Key once."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    smtp_port = free_port()
    for name, value in {
        "LOANWATCH_SMTP_HOST": "127.0.0.1",
        "LOANWATCH_SMTP_PORT": str(smtp_port),
        "LOANWATCH_SMTP_SECURITY": "starttls",
        "LOANWATCH_SMTP_USER": "loanwatch-bot",
        "LOANWATCH_SMTP_PASSWORD": "correct horse",
        "LOANWATCH_MAIL_FROM": "Loanwatch <loanwatch@finance.example>",
        "JIEBEI_HOOK_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)

    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("facility add weilidai-ops --platform weilidai --limit 100,000"))
    mails = []
    # 503 while the tickets open (a later command may retry an earlier row on a slow machine).
    with WebhookReceiver(SECRET, answers=[503] * 100) as hook:
        ok(loanwatch(
            f"platform contact jiebei --via webhook --url {hook.url} "
            "--secret-env JIEBEI_HOOK_SECRET"
        ))  # fmt: skip
        ok(loanwatch("platform contact weilidai --via email --to cs@weilidai.example"))
        for n in range(TICKETS_EACH):
            ok(loanwatch(f"ticket open jiebei-main --subject 'hook case {n}'"))
            ok(loanwatch(f"ticket open weilidai-ops --subject 'mail case {n}'"))
        rows = _platform_rows(database_url)
        assert [r.state for r in rows] == ["pending"] * 2 * TICKETS_EACH  # every first try failed
        hook.answers.clear()
        with SmtpServer(authority, {"loanwatch-bot": "correct horse"}, port=smtp_port) as mailbox:
            first_round = _drain_with_two_workers(database_url)
        mails += mailbox.mails
        assert len(mails) == TICKETS_EACH

        # Two business days later `check` follows every ticket up, and its own try fails again
        # (the mail server is down, the webhook answers 503): the two workers race once more.
        hook.answers[:] = [503] * 100
        clock.now += timedelta(days=2)
        ok(loanwatch(f"check --at {clock.now.isoformat()}"))
        assert len(_platform_rows(database_url)) == 4 * TICKETS_EACH
        hook.answers.clear()
        with SmtpServer(authority, {"loanwatch-bot": "correct horse"}, port=smtp_port) as mailbox:
            second_round = _drain_with_two_workers(database_url)
        mails += mailbox.mails

    assert set(first_round) == set(second_round) == {"worker-1", "worker-2"}  # both sent some
    rows = _platform_rows(database_url)
    assert len(rows) == 4 * TICKETS_EACH  # a first message and a follow-up per ticket
    assert {r.state for r in rows} == {"sent"}
    by_key = Counter(key for key, _ in hook.deliveries)
    by_message_id = Counter(str(mail["Message-ID"]) for mail in mails)
    webhook_events = {r.payload["event_id"] for r in rows if r.channel == "webhook:jiebei"}
    email_refs = {r.transport_ref for r in rows if r.channel == "email:weilidai"}
    assert set(by_key) == webhook_events
    assert set(by_message_id) == email_refs
    assert len(by_key) == len(by_message_id) == 2 * TICKETS_EACH
    assert set(by_key.values()) == {1}, by_key
    assert set(by_message_id.values()) == {1}, by_message_id
    assert hook.rejected == []
