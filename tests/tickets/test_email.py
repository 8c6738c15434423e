"""Email to a platform over a real SMTP server on loopback (aiosmtpd, STARTTLS and AUTH required).

Jiebei is reached by email; Alice opens a ticket about the missing December bill with
`loanwatch ticket open`, which delivers before it exits. The server's certificate comes from a
throwaway CA made in the test (trustme), which loanwatch trusts through SSL_CERT_FILE only.
"""

import csv
import email
import email.policy
import io
import json
import socket
import ssl
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.clock import utcnow
from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.settings import Settings
from jobs.delivery import DeliveryWorker
from jobs.transports import transport_from
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.email import EmailTransport, SmtpConfig
from tests.support.smtp_server import SmtpServer, free_port
from tests.tickets.conftest import ok

USERS = {"loanwatch-bot": "correct horse"}


@pytest.fixture
def ca(tmp_path, monkeypatch) -> trustme.CA:
    """A CA made for this test; loanwatch's TLS trusts it (and nothing else) via SSL_CERT_FILE."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


@pytest.fixture
def smtp_env(monkeypatch):
    """LOANWATCH_SMTP_* for a server on `port`, logging in as loanwatch-bot with `password`."""

    def configure(port: int, password: str = "correct horse") -> None:
        monkeypatch.setenv("LOANWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LOANWATCH_SMTP_PORT", str(port))
        monkeypatch.setenv("LOANWATCH_SMTP_SECURITY", "starttls")
        monkeypatch.setenv("LOANWATCH_SMTP_USER", "loanwatch-bot")
        monkeypatch.setenv("LOANWATCH_SMTP_PASSWORD", password)
        monkeypatch.setenv("LOANWATCH_MAIL_FROM", "Loanwatch <loanwatch@finance.example>")

    return configure


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


def _attachment_rows(mail) -> list[list[str]]:
    [part] = list(mail.iter_attachments())
    data = part.get_content() if part.get_content_maintype() != "text" else None
    raw = part.get_payload(decode=True) if data is None or isinstance(data, str) else data
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_platform_receives_the_mail_with_the_records_and_follow_ups_thread(
    loanwatch, clock, missing_bill, ca, smtp_env, database_url
) -> None:
    """STARTTLS and a login; the zh subject and body; the CSV with the draw and the due date;
    the follow-up two business days later answers the first mail (In-Reply-To, References)."""
    with SmtpServer(ca, USERS) as server:
        smtp_env(server.port)
        ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
        out = ok(
            loanwatch(f"ticket open jiebei-main --subject 十二月账单缺失 --alert {missing_bill}")
        )
        assert out.startswith("T-1 opened; sending it by email to cs@jiebei.example")
        assert "T-1: delivered by email to cs@jiebei.example" in out
        [first] = server.mails
        assert server.logins == [("loanwatch-bot", True)]
        assert server.tls_sessions == 1
        assert server.envelopes[0].rcpt_tos == ["cs@jiebei.example"]
        assert first["Subject"] == "[T-1] jiebei-main: 十二月账单缺失"
        assert first["From"] == "Loanwatch <loanwatch@finance.example>"
        body = first.get_body(preferencelist=("plain",)).get_content()
        assert "贵平台账单缺失：我司于2026年11月8日借款¥20,000.00（借款编号#1）" in body
        assert "按合同应于2026年12月8日出账" in body
        rows = _attachment_rows(first)
        assert rows[0][0] == "记录类型"
        assert any(row[0] == "借款" and "20000.00" in row for row in rows)
        assert any("2026-12-08" in row for row in rows[1:])
        first_id = first["Message-ID"]
        assert first_id.endswith("@finance.example>")

        clock.now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 two business days later
        ok(loanwatch("check --at 2026-12-03T09:00+08:00"))
        [_, follow_up] = server.mails
        first_raw, follow_up_raw = (_raw_headers(e.content) for e in server.envelopes)
    # What a mailbox threads on are the raw header lines: msg-ids, never RFC 2047 encoded-words.
    assert f"Message-ID: {first_id}" in first_raw
    assert f"In-Reply-To: {first_id}" in follow_up_raw
    assert f"References: {first_id}" in follow_up_raw
    assert f"Message-ID: {follow_up['Message-ID']}" in follow_up_raw
    assert "=?" not in "".join(
        line for line in follow_up_raw if not line.startswith(("Subject:", " ", "\t"))
    )
    assert follow_up["In-Reply-To"] == first_id
    assert follow_up["References"] == first_id
    assert follow_up["Message-ID"] != first_id
    assert "这是我方第1次跟进" in follow_up.get_content()
    assert list(follow_up.iter_attachments()) == []
    assert [row.state for row in _rows(database_url)] == ["sent", "sent"]


def _raw_headers(content: bytes) -> list[str]:
    """The header lines of a mail exactly as the SMTP server received them."""
    head = content.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    return head.decode("ascii").split("\n")


def test_a_server_down_at_first_gets_the_mail_exactly_once_when_it_is_up(
    loanwatch, missing_bill, ca, smtp_env, database_url
) -> None:
    """Refused connections are retried with backoff; the retry sends the same Message-ID."""
    port = free_port()
    smtp_env(port)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    out = ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    # It says what happened, not what was hoped: the mail is queued, and where to watch it.
    assert "delivered" not in out.replace("not delivered yet", "")
    assert f"T-1: queued, not delivered yet (the SMTP server 127.0.0.1:{port} could not" in out
    assert "; loanwatch will retry it (outbox " in out
    assert "— see `loanwatch outbox list`" in out
    engine = make_engine(database_url)
    later = [utcnow()]
    worker = DeliveryWorker(
        session_factory(engine),
        transport_from(Settings()),
        worker_id="worker-1",
        clock=lambda: later[0],
    )
    later[0] += timedelta(minutes=10)
    worker.step()  # the second try: still down
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("pending", 2)
    assert "could not be reached" in row.last_error
    with SmtpServer(ca, USERS, port=port) as server:
        for _ in range(3):
            later[0] += timedelta(minutes=10)
            worker.step()
        [mail] = server.mails
    engine.dispose()
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("sent", 3)
    assert row.transport_ref == mail["Message-ID"]
    assert mail["Subject"] == "[T-1] jiebei-main: 账单缺失"


def test_a_refused_login_is_a_dead_letter_that_tells_the_admins_what_to_fix(
    loanwatch, missing_bill, ca, smtp_env, database_url
) -> None:
    """A wrong password: one try, a dead letter, an admin alert naming the settings to check,
    the ticket's timeline says the platform was not reached; later runs do not try again."""
    with SmtpServer(ca, USERS) as server:
        smtp_env(server.port, password="wrong")
        ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
        tried = list(server.logins)  # smtplib tries PLAIN, then LOGIN
        assert tried
        assert not any(accepted for _, accepted in tried)
        ok(loanwatch("check"))
        ok(loanwatch("check"))
        assert server.logins == tried  # not tried again
        assert server.mails == []
    [row] = _rows(database_url)
    assert (row.state, row.attempts, row.permanent) == ("dead", 1, True), row.last_error
    admin = _admin_text(loanwatch)
    assert "refused the login of loanwatch-bot" in admin
    assert "check LOANWATCH_SMTP_USER and LOANWATCH_SMTP_PASSWORD" in admin
    show = ok(loanwatch("ticket show T-1"))
    assert "delivery_failed" in show
    assert "refused the login of loanwatch-bot" in show


def _admin_text(loanwatch) -> str:
    """The summary of the admins' delivery_failed alert, as `export alerts` gives it."""
    alerts = json.loads(ok(loanwatch("export alerts --format json")))
    [admin] = [a for a in alerts if a["check"] == "delivery_failed"]
    return json.dumps(admin, ensure_ascii=False)


class _Answers:
    """An SMTP handler that takes each mail and answers `answer` (a 4xx or 5xx)."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.got: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.got.append(envelope.content)
        return self.answer


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [("554 5.7.1 rejected as spam", True), ("451 4.3.0 try again later", False)],
)
def test_over_implicit_tls_a_5xx_is_final_and_a_4xx_is_retried(answer, permanent) -> None:
    """LOANWATCH_SMTP_SECURITY=ssl (TLS from the first byte): the server's 5xx makes a dead
    letter that says what to check; its 4xx is tried again later."""
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    handler, port = _Answers(answer), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_tls)
    config = SmtpConfig("127.0.0.1", port, security="ssl", mail_from="bot@finance.example")
    payload = {
        "event": "sent", "event_id": "e1", "thread_event_id": "e1", "ticket": "T-1",
        "ticket_id": 1, "facility": "jiebei-main", "platform": "jiebei", "via": "email",
        "language": "zh", "title": "[T-1] jiebei-main: 账单缺失", "text": "您好", "summary": "",
        "to": ["cs@jiebei.example"],
    }  # fmt: skip
    controller.start()
    try:
        with pytest.raises(TransportError) as failed:
            EmailTransport(config, ssl_context=client_tls).send(
                OutboxMessageView(1, "ticket.platform", "email:jiebei", payload, 0)
            )
    finally:
        controller.stop()
    assert len(handler.got) == 1
    assert failed.value.permanent is permanent
    assert answer in failed.value.message
    if permanent:
        assert "check LOANWATCH_MAIL_FROM and the contact's addresses" in failed.value.message


class _Mailbox:
    """A plain SMTP server's handler (no TLS, no login) that answers `answers` first, then 250."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.got: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.got.append(envelope.content)
        return self.answers.pop(0) if self.answers else "250 OK"

    def message_ids(self) -> list[str]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]
            for raw in self.got
        ]


@pytest.fixture
def plain_smtp(monkeypatch):
    """Start a plain SMTP server with `handler` and point LOANWATCH_SMTP_* at it."""
    started = []

    def start(handler, port: int | None = None) -> int:
        port = port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        monkeypatch.setenv("LOANWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LOANWATCH_SMTP_PORT", str(port))
        monkeypatch.setenv("LOANWATCH_SMTP_SECURITY", "none")
        monkeypatch.delenv("LOANWATCH_SMTP_USER", raising=False)
        monkeypatch.setenv("LOANWATCH_MAIL_FROM", "Loanwatch <loanwatch@finance.example>")
        return port

    yield start
    for controller in started:
        controller.stop()


def test_a_4xx_is_retried_later_with_the_same_message_id(
    loanwatch, missing_bill, plain_smtp, database_url
) -> None:
    """451 on the first try: the row waits its backoff, then the same mail (same Message-ID)
    goes again and is accepted; the mailbox holds one copy of that Message-ID as delivered."""
    mailbox = _Mailbox("451 4.3.0 mailbox busy, try again later")
    plain_smtp(mailbox)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "answered 451 4.3.0 mailbox busy" in row.last_error
    assert row.next_attempt_at > utcnow()  # after a backoff (full jitter), not at once
    engine = make_engine(database_url)
    now = [utcnow()]
    worker = DeliveryWorker(
        session_factory(engine), transport_from(Settings()), worker_id="w", clock=lambda: now[0]
    )
    worker.step()  # still backing off: not tried
    assert len(mailbox.got) == 1
    now[0] = row.next_attempt_at
    worker.step()
    engine.dispose()
    first, second = mailbox.message_ids()
    assert first == second
    [row] = _rows(database_url)
    assert (row.state, row.attempts, row.transport_ref) == ("sent", 2, first)


def test_a_5xx_rejection_is_a_dead_letter_that_is_not_retried(
    loanwatch, missing_bill, plain_smtp, database_url
) -> None:
    """550 to the mail: one try, a dead letter, an admin alert saying what to check, the
    ticket's timeline says so; later checks do not send it again."""
    mailbox = _Mailbox("550 5.7.1 sender not allowed")
    plain_smtp(mailbox)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    ok(loanwatch("check"))
    ok(loanwatch("check"))
    assert len(mailbox.got) == 1
    [row] = _rows(database_url)
    assert (row.state, row.attempts, row.permanent) == ("dead", 1, True), row.last_error
    admin = _admin_text(loanwatch)
    assert "rejected ticket T-1's mail (550 5.7.1 sender not allowed)" in admin
    assert "check LOANWATCH_MAIL_FROM and the contact's addresses" in admin
    show = ok(loanwatch("ticket show T-1"))
    assert "delivery_failed" in show


def test_a_server_that_times_out_is_retried_with_backoff_then_delivered_once(
    loanwatch, missing_bill, plain_smtp, database_url
) -> None:
    """A server that takes the connection and never greets: a timeout, tried again after a
    backoff (not before); once a server answers, the mail arrives once."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never says a word
    mailbox = _Mailbox()
    plain_smtp(mailbox)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    config = SmtpConfig("127.0.0.1", silent.getsockname()[1], security="none",
                        mail_from="bot@finance.example", timeout=0.5)  # fmt: skip
    engine = make_engine(database_url)
    now = [utcnow()]
    silent_worker = DeliveryWorker(
        session_factory(engine), EmailTransport(config), worker_id="w", clock=lambda: now[0]
    )
    # The command's own try finds nothing listening at all (refused).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOANWATCH_SMTP_PORT", str(free_port()))
        ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "could not be reached" in row.last_error
    now[0] = row.next_attempt_at
    silent_worker.step()  # the silent server: the connection opens, the greeting never comes
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("pending", 2)
    assert "could not be reached" in row.last_error
    assert "timed out" in row.last_error
    assert row.next_attempt_at > now[0]  # after a backoff
    silent_worker.step()
    assert _rows(database_url)[0].attempts == 2  # not before its backoff
    now[0] = row.next_attempt_at
    silent_worker.step()
    [row] = _rows(database_url)
    assert (row.state, row.attempts) == ("pending", 3)
    assert "timed out" in row.last_error
    silent.close()
    now[0] = row.next_attempt_at
    DeliveryWorker(
        session_factory(engine), transport_from(Settings()), worker_id="w", clock=lambda: now[0]
    ).step()
    engine.dispose()
    assert len(mailbox.got) == 1
    assert _rows(database_url)[0].state == "sent"


def test_a_mail_opened_before_smtp_was_configured_goes_once_it_is(
    loanwatch, missing_bill, ca, smtp_env, database_url, monkeypatch
) -> None:
    """No LOANWATCH_SMTP_HOST when the ticket opens: nothing is printed as if mailed; the row
    waits, and once the admin configures the server the platform gets the mail, once."""
    monkeypatch.delenv("LOANWATCH_SMTP_HOST", raising=False)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    out = ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    assert "set LOANWATCH_SMTP_HOST" in out
    [row] = _rows(database_url)
    assert row.state == "pending"
    with SmtpServer(ca, USERS) as server:
        smtp_env(server.port)
        engine = make_engine(database_url)
        later = [utcnow()]
        worker = DeliveryWorker(
            session_factory(engine),
            transport_from(Settings()),
            worker_id="w",
            clock=lambda: later[0],
        )
        for _ in range(3):
            later[0] += timedelta(minutes=10)
            worker.step()
        engine.dispose()
        [mail] = server.mails
    assert mail["Subject"] == "[T-1] jiebei-main: 账单缺失"
    [row] = _rows(database_url)
    assert row.state == "sent"
