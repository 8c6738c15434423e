"""How an outbox message leaves the building: one interface, a transport per destination.

- `base`: what a transport sees of a row (`OutboxMessageView`), the one error type
  (`TransportError`: permanent or not, retry after how long) and the `Transport` protocol;
- `console`: text blocks on stdout, for `loanwatch check` without Slack;
- `slack`: one message per alert, updated in place, its story in a thread
  (`slack_errors`: what each Slack error code means for a retry);
- `routing`: a ticket's rows for a platform (`email:…`, `webhook:…`) go by their own transport:
  `email` (SMTP) and `webhook` (signed JSON POSTs).

    transport = transport_from(settings)   # Slack with SLACK_BOT_TOKEN, else the console
"""

from typing import TYPE_CHECKING, TextIO

from jobs.transports.base import OutboxMessageView, Transport, TransportError
from jobs.transports.console import ConsoleTransport, render_text
from jobs.transports.routing import ByChannel, NotConfigured

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "ConsoleTransport",
    "OutboxMessageView",
    "Transport",
    "TransportError",
    "render_text",
    "transport_from",
]


def transport_from(settings: "Settings", stream: TextIO | None = None) -> Transport:
    """Slack when a bot token is set (SLACK_BOT_TOKEN), else the console (`stream`, or stdout).

    A ticket's rows for a platform go by their own transports (`routing`): a webhook always by
    HTTP; an email by SMTP when LOANWATCH_SMTP_HOST is set, else it waits in the outbox (with
    or without Slack) until the host is set, saying so.
    """
    # Imported here so a process that sends no such row never loads smtplib or urllib.
    from jobs.transports.email import EmailTransport
    from jobs.transports.webhook import WebhookTransport

    if settings.slack_bot_token is None:  # a blank SLACK_BOT_TOKEN is read as unset
        main: Transport = ConsoleTransport(stream)
    else:
        # Imported here so the console path (tests, the CLI without Slack) never loads slack_sdk.
        from jobs.transports.slack import SlackTransport

        main = SlackTransport.from_settings(settings)
    email: Transport
    if settings.smtp_host is not None:
        email = EmailTransport.from_settings(settings)
    else:  # never "delivered" to a console: it waits until a mail server is configured
        email = NotConfigured("email", "set LOANWATCH_SMTP_HOST (and LOANWATCH_MAIL_FROM)")
    return ByChannel(main, {"email": email, "webhook": WebhookTransport()})
