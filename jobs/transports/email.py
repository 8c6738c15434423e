"""Email to a platform over SMTP: a ticket's first message with its usage records, and follow-ups.

One `ticket.platform` row (channel `email:<platform>`, payload bot.tickets.notices.PlatformMessage)
is one mail: Subject `[T-3] facility: subject`, the text in the platform's language, the CSV of
the usage records attached (UTF-8 with a BOM, the same bytes `ticket open --csv` writes).

- **Message-ID** is made from the ticket event's id and the installation's id, at the domain of
  LOANWATCH_MAIL_FROM: a retry of the row sends the same Message-ID, so a mailbox that got the
  first try keeps one copy. A follow-up carries `In-Reply-To` and `References` naming the first
  message, so the platform's mailbox threads them.
- **Failures**: a refused or dropped connection, a timeout and a 4xx answer are transient (the
  outbox retries with backoff); a 5xx answer and a refused login are permanent: a dead letter,
  with an admin alert that says what to fix (jobs/delivery_health.py), and a `delivery_failed`
  entry on the ticket.
"""

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email import policy as email_policy
from email.headerregistry import HeaderRegistry, MessageIDHeader
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import TYPE_CHECKING

from bot.tickets.notices import PlatformMessage
from bot.tickets.text.usage import csv_bytes
from jobs.transports.base import OutboxMessageView, TransportError

if TYPE_CHECKING:
    from bot.settings import Settings

SECURITY = ("starttls", "ssl", "none")


def _threading_policy() -> email_policy.EmailPolicy:
    """The default policy, with In-Reply-To and References parsed as msg-ids like Message-ID.

    The standard library treats those two as unstructured text: a value over 78 characters is
    folded into RFC 2047 encoded-words (`=?utf-8?q?=3C…?=`), which no mailbox threads on. As
    msg-id headers they are written as they are, `<id@domain>` on one line, however long.
    """
    registry = HeaderRegistry()
    registry.map_to_type("in-reply-to", MessageIDHeader)
    registry.map_to_type("references", MessageIDHeader)
    return email_policy.default.clone(header_factory=registry)


POLICY = _threading_policy()


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes and how: LOANWATCH_SMTP_* and LOANWATCH_MAIL_FROM."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    security: str = "starttls"
    mail_from: str = "loanwatch@localhost"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SmtpConfig":
        """The settings' SMTP server; LOANWATCH_SMTP_HOST must be set."""
        assert settings.smtp_host is not None
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=password.get_secret_value() if password is not None else None,
            security=settings.smtp_security,
            mail_from=settings.mail_from or f"loanwatch@{settings.smtp_host}",
        )

    @property
    def domain(self) -> str:
        """The right-hand side of every Message-ID: the sender's domain."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "loanwatch.invalid"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def message_id(event_id: str, installation_id: str | None, domain: str) -> str:
    """`<event.installation@domain>`: the same for every try of one ticket event."""
    local = f"{event_id}.{installation_id}" if installation_id else event_id
    return f"<{local}@{domain}>"


def build_message(
    sent: PlatformMessage, config: SmtpConfig, installation_id: str | None
) -> EmailMessage:
    """The mail for one platform message: UTF-8 headers and body, the CSV attached."""
    mail = EmailMessage(policy=POLICY)
    mail["From"] = config.mail_from
    mail["To"] = ", ".join(sent.to)
    mail["Subject"] = sent.title
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(sent.event_id, installation_id, config.domain)
    if sent.thread_event_id != sent.event_id:
        first = message_id(sent.thread_event_id, installation_id, config.domain)
        mail["In-Reply-To"] = first
        mail["References"] = first
    mail["X-Loanwatch-Ticket"] = sent.ticket
    mail.set_content(sent.text, charset="utf-8")
    if sent.attachment_name and sent.columns:
        mail.add_attachment(
            csv_bytes(sent.columns, sent.rows),
            maintype="text",
            subtype="csv",
            filename=sent.attachment_name,
        )
    return mail


class EmailTransport:
    """Sends `ticket.platform` rows for email contacts through one SMTP server."""

    name = "email"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect: Callable[[SmtpConfig, ssl.SSLContext], smtplib.SMTP] | None = None,
    ) -> None:
        """`ssl_context` checks the server's certificate (default: the system's CAs, or the
        file SSL_CERT_FILE names)."""
        if config.security not in SECURITY:
            raise ValueError(f"LOANWATCH_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
        self.config = config
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.connect = connect or _connect

    @classmethod
    def from_settings(cls, settings: "Settings") -> "EmailTransport":
        """The transport LOANWATCH_SMTP_* describe."""
        return cls(SmtpConfig.from_settings(settings))

    def send(self, message: OutboxMessageView) -> str | None:
        """Send the row's mail; return its Message-ID."""
        sent = PlatformMessage.from_payload(dict(message.payload))
        if not sent.to:
            raise TransportError(
                f"ticket {sent.ticket}: the email contact of {sent.platform} has no address; "
                f"set one with `loanwatch platform contact {sent.platform} --via email --to …`",
                permanent=True,
            )
        mail = build_message(sent, self.config, message.installation_id)
        try:
            with self.connect(self.config, self.ssl_context) as smtp:
                if self.config.user:
                    smtp.login(self.config.user, self.config.password or "")
                refused = smtp.send_message(mail, to_addrs=sent.to)
        except (smtplib.SMTPException, OSError) as exc:
            raise _failure(exc, self.config, sent, message.id) from exc
        if refused:
            # Some took it, some did not: a retry would send it again to those who have it.
            return f"{mail['Message-ID']} (refused by {', '.join(sorted(refused))})"
        return str(mail["Message-ID"])


def _connect(config: SmtpConfig, context: ssl.SSLContext) -> smtplib.SMTP:
    """An open SMTP session, upgraded to TLS unless LOANWATCH_SMTP_SECURITY=none."""
    if config.security == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.security == "starttls":
            smtp.ehlo()
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _failure(exc: Exception, config: SmtpConfig, sent: PlatformMessage, row: int) -> TransportError:
    """What a failure means: retry later (transient) or a person must fix something."""
    where = f"the SMTP server {config.where}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TransportError(
            f"{where} refused the login of {config.user} ({_said(exc)}): check "
            f"LOANWATCH_SMTP_USER and LOANWATCH_SMTP_PASSWORD, then `loanwatch outbox retry {row}`",
            permanent=True,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TransportError(
            f"{where} does not offer {exc}: check LOANWATCH_SMTP_SECURITY "
            f"({config.security}) and LOANWATCH_SMTP_PORT, then `loanwatch outbox retry {row}`",
            permanent=True,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(
            f"{where} showed a certificate this machine does not trust ({exc.verify_message}): "
            "fix its certificate or point SSL_CERT_FILE at its CA, then "
            f"`loanwatch outbox retry {row}`",
            permanent=True,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        said = "; ".join(f"{to}: {code}" for to, (code, _) in exc.recipients.items())
        if codes and all(code >= 500 for code in codes):
            return TransportError(
                f"{where} refused every address of ticket {sent.ticket} ({said}): correct the "
                f"contact with `loanwatch platform contact {sent.platform} --via email --to …` "
                f"(its open tickets follow), then `loanwatch outbox retry {row}`",
                permanent=True,
            )
        return TransportError(f"{where} refused the addresses for now ({said})")
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500:
        return TransportError(
            f"{where} rejected ticket {sent.ticket}'s mail ({_said(exc)}): check "
            "LOANWATCH_MAIL_FROM and the contact's addresses (correct them with "
            f"`loanwatch platform contact {sent.platform} --via email --to …`; its open tickets "
            f"follow), then `loanwatch outbox retry {row}`",
            permanent=True,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransportError(f"{where} answered {_said(exc)}; trying again later")
    return TransportError(f"{where} could not be reached ({exc!r}); trying again later")


def _said(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{exc.smtp_code} {words}".strip()
