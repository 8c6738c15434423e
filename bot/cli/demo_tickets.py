"""The ticket half of `loanwatch demo`: Jiebei by hand, and ICBC by email to a local mailbox.

- 2026-12-01 09:20  T-1 with Jiebei, which has only in-app customer service: loanwatch prints the
  Chinese text and the usage records to paste; the treasurer marks it sent.
- 2026-12-01 09:30  T-2 with ICBC about the frozen line. The bank's relationship manager for
  icbc-term takes email, so the demo starts a debugging SMTP server on 127.0.0.1 (aiosmtpd),
  points LOANWATCH_SMTP_* at it (no TLS, no login) and shows what that mailbox received: the
  subject, the Chinese text, the attached CSV.
- 2026-12-03 09:00  no answer from ICBC after two business days: the tickets' wake-up (part of
  every check) sends a follow-up, which answers the first mail (In-Reply-To, References).

Also the pieces of the story every demo module uses: its actor, its moments, a check cycle and
delivery, and how it speaks: what the demo says itself (its chapters, `say`) is translated
(`_()`) and printed through `narrate`, the story's moments written as the reader's language
writes them (`story_time`: `12月1日（周二）09:10` in Chinese); a command typed at the prompt
(`shell`) is the same in every language; what another surface renders is printed as it is.
"""

import csv
import email
import email.policy
import io
import socket
import sys
import threading
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import click
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import list_alerts
from bot.alerts.checks import Check
from bot.audit import Actor
from bot.cli import ticket_render
from bot.db import transaction
from bot.i18n import ZH, _, current, ngettext
from bot.i18n.formats import day
from bot.settings import Settings
from bot.tickets.changes import close_ticket, mark_sent
from bot.tickets.contacts import check_contact, set_contact
from bot.tickets.follow_ups import run_ticket_wake_ups
from bot.tickets.opening import open_ticket
from bot.tickets.words import Language, Via, ticket_label
from jobs.cycle import run_check_cycle
from jobs.delivery import DeliveryWorker
from jobs.transports import transport_from

DEMO = Actor("demo:treasurer", "cli")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BANK_MAILBOX = "corporate-rm@icbc.example"
MAIL_FROM = "Finance team <treasury@finance.example>"


def at(text: str) -> datetime:
    """A moment of the story, in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


TICKET_OPENED = at("2026-12-01 09:20")
EMAIL_TICKET_OPENED = at("2026-12-01 09:30")
FOLLOW_UP = at("2026-12-03 09:00")


class DemoMailbox:
    """A debugging SMTP server on 127.0.0.1 (aiosmtpd) that keeps every mail it receives.

    with DemoMailbox() as mailbox:
        mailbox.port       # where LOANWATCH_SMTP_PORT points
        mailbox.mails      # what it received, parsed as a mail client would
    """

    def __init__(self) -> None:
        with socket.socket() as probe:  # a free loopback port, now
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.mails: list[EmailMessage] = []
        self.lock = threading.Lock()
        # server_hostname: the banner's name, so the server never looks up this machine's.
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="mail.demo.invalid"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the mail; the demo prints it."""
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append(mail)  # type: ignore[arg-type]
        return "250 OK: kept in the demo's mailbox"

    def settings(self, database_url: str) -> Settings:
        """The demo's settings: the defaults, whatever .env or the environment say, with
        LOANWATCH_SMTP_* pointing at this server (no TLS, no login) and no Slack."""
        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN=None,
            LOANWATCH_SMTP_HOST="127.0.0.1",
            LOANWATCH_SMTP_PORT=self.port,
            LOANWATCH_SMTP_SECURITY="none",
            LOANWATCH_SMTP_USER=None,
            LOANWATCH_SMTP_PASSWORD=None,
            LOANWATCH_MAIL_FROM=MAIL_FROM,
        )

    def __enter__(self) -> "DemoMailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def deliver(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> None:
    """Deliver everything waiting in the outbox: notices printed on the console, as it words
    them; mail to a platform through the SMTP server the settings name."""
    worker = DeliveryWorker(
        sessions, transport_from(settings, sys.stdout), worker_id="demo", clock=lambda: now
    )
    while worker.step():
        pass


def check(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> None:
    """One check cycle as of `now`, its notifications printed, then a one-line summary."""
    with transaction(sessions) as session:
        report = run_check_cycle(session, now=now, settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, now)
    s = report.summary
    said = _("→ {opened} opened, {updated} still firing, {resolved} resolved, "
             "{notified} notifications")  # fmt: skip
    say(said.format(opened=s.opened, updated=s.updated, resolved=s.resolved,
                    notified=s.notified) + "\n")  # fmt: skip


def narrate(text: str) -> None:
    """Print the demo's own words. Everything the demo says itself (not what a command or a
    message it runs says) passes here, already in the reader's language: the pseudo-locale
    test (tests/cli/test_demo_languages.py) listens here."""
    click.echo(text)


def say(text: str) -> None:
    """A line of the story's narration, already translated."""
    narrate(text)


def shell(command: str, *, before: str = "$") -> None:
    """A command as typed at the prompt (`$ loanwatch …`), the same in every language; `before`
    is what precedes it: the prompt, when it was typed and the prompt, or a hint's indent."""
    click.echo(f"{before} {command}")


def story_time(when: datetime) -> str:
    """A moment of the story: `2026-12-01 09:10`; in Chinese `12月1日（周二）09:10`."""
    if current() != ZH:
        return f"{when:%Y-%m-%d %H:%M}"
    return f"{day(when.date(), near=when.date())}{when:%H:%M}"


def story_date(value: date) -> str:
    """A day of the story: `2026-12-03`; in Chinese `12月3日（周四）`."""
    if current() != ZH:
        return value.isoformat()
    return day(value, near=value)


def story_day(value: date) -> str:
    """A day of the story said in passing: `12-21`; in Chinese `12月21日（周一）`."""
    if current() != ZH:
        return f"{value:%m-%d}"
    return day(value, near=value)


def taps(who: str, button: str, line: str) -> None:
    """Someone taps a message's button (its English label, translated here); what the message
    says then."""
    said = _("{who} taps [{button}]; the message now says: {line}")
    say(said.format(who=who, button=_(button), line=line))


def story_day_time(when: datetime) -> str:
    """A moment of the story said in passing: `12-03 09:30`; in Chinese `12月3日（周四）09:30`."""
    if current() != ZH:
        return f"{when:%m-%d %H:%M}"
    return f"{story_day(when.date())}{when:%H:%M}"


def heading(text: str) -> None:
    """A chapter of the story, already translated: when, and what happens."""
    narrate(f"\n=== {text} ===\n")


def chapter(when: datetime, what: str) -> None:
    """A chapter at one moment: `2026-12-01 09:10: what happens` in the reader's language."""
    heading(_("{when}: {what}").format(when=story_time(when), what=what))


def open_manual_ticket(sessions: sessionmaker[Session], settings: Settings, alert_id: int) -> None:
    """T-1 about the missing bill: the text and the records to paste, then marked as sent."""
    with transaction(sessions) as session:
        result = open_ticket(session, DEMO, "jiebei-main", "十二月账单缺失", now=TICKET_OPENED,
                             calendar=settings.calendar(), alert_ids=[alert_id])  # fmt: skip
        click.echo(ticket_render.opened(result))
        click.echo(ticket_render.manual_bundle(result))
        sent = mark_sent(session, DEMO, result.ticket.number, now=TICKET_OPENED,
                         calendar=settings.calendar())  # fmt: skip
        due = ticket_render.local_time(sent.next_follow_up_at, SHANGHAI)
        say("\n" + _("{ticket} marked as sent; first follow-up due {due}").format(
            ticket=result.label, due=due))  # fmt: skip
    deliver(sessions, settings, TICKET_OPENED)


def close_manual_ticket(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> None:
    """Jiebei fixed it: T-1 closes."""
    with transaction(sessions) as session:
        closed = close_ticket(session, DEMO, 1, _("Jiebei issued the bill"), now=now)
        click.echo(ticket_render.closed(ticket_label(1), closed.open_alerts))
    deliver(sessions, settings, now)


def open_email_ticket(
    sessions: sessionmaker[Session], settings: Settings, mailbox: DemoMailbox
) -> None:
    """icbc-term's relationship manager takes email: T-2 about the frozen line goes there."""
    now = EMAIL_TICKET_OPENED
    contact = check_contact(Via.EMAIL, to=BANK_MAILBOX, url=None, secret_env=None,
                            language=Language.ZH, follow_up_days=2)  # fmt: skip
    with transaction(sessions) as session:
        set_contact(session, DEMO, "icbc", contact, facility_slug="icbc-term", now=now)
        [frozen] = [a for a in list_alerts(session, "open") if a.check == Check.LIMIT_FROZEN]
        result = open_ticket(session, DEMO, "icbc-term", "授信额度被冻结", now=now,
                             calendar=settings.calendar(), alert_ids=[frozen.id])  # fmt: skip
        say(_("{facility}'s contact at {platform}: email to {address}").format(
            facility="icbc-term", platform="icbc", address=BANK_MAILBOX))  # fmt: skip
        click.echo(ticket_render.opened(result))
        due = ticket_render.local_time(result.ticket.next_follow_up_at, SHANGHAI)
    say(_("first follow-up due {due} unless the bank answers").format(due=due) + "\n")
    deliver(sessions, settings, now)
    show_mail(mailbox, 0)


def follow_up(sessions: sessionmaker[Session], settings: Settings, mailbox: DemoMailbox) -> None:
    """Two business days without an answer: the wake-up sends ICBC a follow-up in the thread."""
    with transaction(sessions) as session:
        run = run_ticket_wake_ups(session, now=FOLLOW_UP, calendar=settings.calendar())
    if run.reminded:
        say(_("followed up: {tickets}").format(tickets=", ".join(run.reminded)) + "\n")
    else:
        say(_("followed up: nothing due") + "\n")
    deliver(sessions, settings, FOLLOW_UP)
    show_mail(mailbox, 1)


def show_mail(mailbox: DemoMailbox, index: int) -> None:
    """What the bank's mailbox received: headers, the text's first lines, the attachment."""
    with mailbox.lock:
        mails = list(mailbox.mails)
    holds = ngettext(
        "📬 the mailbox of {address} (the demo's SMTP server) now holds {count} mail; the newest:",
        "📬 the mailbox of {address} (the demo's SMTP server) now holds {count} mails; the newest:",
        len(mails),
    )
    say("\n" + holds.format(address=BANK_MAILBOX, count=len(mails)))
    mail = mails[index]
    _headers(mail, mails[0])
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    lines = [line for line in body.get_content().splitlines() if line.strip()]
    click.echo("\n".join(f"  | {line}" for line in lines[:4]))
    if len(lines) > 4:
        more = len(lines) - 4
        say(ngettext("  | … ({more} more line)", "  | … ({more} more lines)", more).format(
            more=more))  # fmt: skip
    for part in mail.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        said = _("  Attached: {name} ({rows} rows of usage records, columns {columns}, …)")
        columns = ", ".join(rows[0][:4])
        say(said.format(name=part.get_filename(), rows=len(rows) - 1, columns=columns))


def _headers(mail: EmailMessage, first: EmailMessage) -> None:
    """The mail's From, To and Subject, and which mail it answers."""
    say(_("  From: {value}").format(value=mail["From"]))
    say(_("  To: {value}").format(value=mail["To"]))
    say(_("  Subject: {value}").format(value=mail["Subject"]))
    if mail["In-Reply-To"] is None:
        return
    if mail["In-Reply-To"] == first["Message-ID"]:
        said = _("  In-Reply-To: the first mail's Message-ID ({subject})")
    else:
        said = _("  In-Reply-To: another Message-ID ({subject})")
    say(said.format(subject=first["Subject"]))
