"""The whole ticket journey through signed Slack requests, the fake Web API and a real SMTP server.

A bill is missing on jiebei-main; Bob (on call) clicks **Open ticket** on the alert, submits the
form; the ticket shows in the alert's thread with the usage records, Jiebei's mailbox receives
the mail; Bob records Jiebei's reply with its case number; the bill shows, the alert resolves,
the thread asks whether to close the ticket, and Alice (treasurer) closes it from there.
"""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import trustme

from bot.audit import Actor
from bot.db import transaction
from bot.models import Ticket, TicketEntry
from bot.slack.blocks import TICKET_ACTION
from bot.slack.ticket_blocks import CLOSE_ACTION, REPLY_ACTION, SENT_ACTION
from bot.tickets.contacts import Contact, set_contact
from bot.tickets.words import Via
from jobs.cycle import run_check_cycle
from jobs.delivery import DeliveryWorker
from jobs.transports import transport_from
from tests.support.slack_app import ALERTS, ALICE, BOB, app_settings
from tests.support.smtp_server import SmtpServer

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
def mailbox(ca):
    """Jiebei's SMTP server on loopback, wanting STARTTLS and a login."""
    with SmtpServer(ca, USERS) as server:
        yield server


@pytest.fixture
def settings(database_url, slack, mailbox):
    return app_settings(
        database_url,
        slack.api_url,
        LOANWATCH_SMTP_HOST="127.0.0.1",
        LOANWATCH_SMTP_PORT=str(mailbox.port),
        LOANWATCH_SMTP_SECURITY="starttls",
        LOANWATCH_SMTP_USER="loanwatch-bot",
        LOANWATCH_SMTP_PASSWORD="correct horse",
        LOANWATCH_MAIL_FROM="Loanwatch <loanwatch@finance.example>",
    )


def deliver(sessions, settings, clock) -> None:
    """The worker until the outbox is empty: Slack, and email to the platform (SMTP)."""
    worker = DeliveryWorker(sessions, transport_from(settings), worker_id="test", clock=clock)
    while worker.step():
        pass


def check(sessions, settings, clock) -> None:
    with transaction(sessions) as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


def the_alert(slack):
    [message] = [m for m in slack.messages(ALERTS) if "bill_missing" in m.text]
    return message


def ticket_message(slack, ts: str):
    """The ticket's own message in the alert's thread (the one with its buttons)."""
    [message] = [m for m in slack.thread(ALERTS, ts) if _is_ticket(m)]
    return message


def _is_ticket(message) -> bool:
    return any(b.get("type") == "header" for b in message.blocks) and message.thread_ts is not None


def thread_texts(slack, ts: str) -> list[str]:
    return [m.text for m in slack.thread(ALERTS, ts)]


def form_values(**typed: str) -> dict:
    return {
        block: {"value": {"type": "plain_text_input", "value": value}}
        for block, value in typed.items()
    }


def last_form(slack) -> dict:
    return [v for v in slack.views if v["method"] == "views.open"][-1]


def set_jiebei_contact(sessions, via: Via, **where) -> None:
    with transaction(sessions) as session:
        set_contact(
            session,
            Actor("cli:dana", "cli"),
            "jiebei",
            Contact(via, **where),
            facility_slug=None,
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )


def missing_bill(app, sessions, settings, clock, slack):
    """Alice's draw on 1 December; by 24 December no bill: the alert, in #loan-alerts."""
    app.command("draw jiebei-main 10,000 12m working capital", user=ALICE)
    clock.now = datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    check(sessions, settings, clock)
    return the_alert(slack)


def test_alert_to_ticket_to_mail_to_reply_to_resolved_to_closed(
    app, jiebei, sessions, settings, clock, slack, mailbox
):
    set_jiebei_contact(sessions, Via.EMAIL, to=("cs@jiebei.example",))
    alert = missing_bill(app, sessions, settings, clock, slack)

    # 1. Bob clicks Open ticket: a form prefilled from the alert.
    assert app.click(alert, ALERTS, TICKET_ACTION, user=BOB).status == 200
    form = last_form(slack)
    assert form["callback_id"] == "ticket_open_modal"
    shown = json.dumps(form["blocks"], ensure_ascii=False)
    assert "cs@jiebei.example" in shown  # the contact it goes to
    assert "2027-01-01" in shown  # what the platform is told: the missing bill's due date
    [subject] = [b for b in form["blocks"] if b.get("block_id") == "subject"]
    assert subject["element"]["initial_value"]
    [days] = [b for b in form["blocks"] if b.get("block_id") == "days"]
    assert days["element"]["initial_value"] == "90"

    # 2. He submits it: T-1 in the alert's thread, with the usage records file.
    typed = form_values(subject="十二月账单缺失", days="90", body="")
    assert app.submit(form, typed, user=BOB).status == 200
    deliver(sessions, settings, clock)
    ticket = ticket_message(slack, alert.ts)
    assert "T-1" in ticket.text
    assert "waiting on 借呗 Jiebei (Alipay)" in ticket.text
    [shared] = [f for m in slack.thread(ALERTS, alert.ts) for f in m.files]
    assert shared["title"] == "T-1-usage-records.csv"
    rows = list(csv.reader(io.StringIO(shared["content"].lstrip("\ufeff"))))
    assert any("10000.00" in row for row in rows)  # the draw
    assert any("2027-01-01" in " ".join(row) for row in rows)  # the installment with no bill
    # The alert's message says so, in place.
    alert = the_alert(slack)
    assert "Ticket T-1 · waiting on 借呗 Jiebei (Alipay)" in json.dumps(
        alert.blocks, ensure_ascii=False
    )
    assert TICKET_ACTION not in json.dumps(alert.blocks)
    # 3. Jiebei's mailbox got the mail, with the same records attached.
    [mail] = mailbox.mails
    assert mail["Subject"] == "[T-1] jiebei-main: 十二月账单缺失"
    assert [p.get_filename() for p in mail.iter_attachments()] == ["T-1-usage-records.csv"]
    assert SENT_ACTION not in json.dumps(ticket.blocks)  # email: nobody sends it by hand

    # 4. Jiebei answers; Bob records the reply with its case number.
    clock.advance(hours=2)
    app.click(ticket, ALERTS, REPLY_ACTION, user=BOB)
    form = last_form(slack)
    assert form["callback_id"] == "ticket_reply_modal"
    answer = app.submit(form, form_values(text="已转交账单部门", case="CS-20261224-7"), user=BOB)
    assert answer.status == 200
    deliver(sessions, settings, clock)
    ticket = ticket_message(slack, alert.ts)
    assert ticket.edited >= 1
    assert "answered by 借呗 Jiebei (Alipay)" in ticket.text
    assert "CS-20261224-7" in json.dumps(ticket.blocks)
    assert any(
        "recorded 借呗 Jiebei (Alipay)'s reply (case CS-20261224-7)" in t
        for t in thread_texts(slack, alert.ts)
    )

    # 5. The bill shows; the next check resolves the alert and the thread asks to close T-1.
    app.command("bill jiebei-main 2027-01-01 899.75", user=BOB)
    clock.advance(minutes=15)
    check(sessions, settings, clock)
    [question] = [m for m in slack.thread(ALERTS, alert.ts) if "Close T-1?" in m.text]
    assert CLOSE_ACTION in json.dumps(question.blocks)

    # 6. Alice closes it from the question.
    app.click(question, ALERTS, CLOSE_ACTION, user=ALICE)
    form = last_form(slack)
    assert form["callback_id"] == "ticket_close_modal"
    assert app.submit(form, form_values(text="账单已补出"), user=ALICE).status == 200
    deliver(sessions, settings, clock)
    ticket = ticket_message(slack, alert.ts)
    assert "closed" in ticket.text
    assert REPLY_ACTION not in json.dumps(ticket.blocks)
    assert any("closed T-1" in t for t in thread_texts(slack, alert.ts))
    with sessions() as session:
        [row] = session.query(Ticket).all()
        assert row.state == "closed"
        assert row.case_ref == "CS-20261224-7"
        kinds = [e.kind for e in session.query(TicketEntry).order_by(TicketEntry.id)]
    assert kinds == ["opened", "sent", "replied", "alert_resolved", "closed"]
    assert len(mailbox.mails) == 1  # the reply stopped the chasing: no follow-up went
    # One message for the ticket the whole way through.
    assert len([m for m in slack.thread(ALERTS, alert.ts) if _is_ticket(m)]) == 1
