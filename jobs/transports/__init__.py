"""How an outbox message leaves the building: one interface, a transport per destination.

- `base`: what a transport sees of a row (`OutboxMessageView`), the one error type
  (`TransportError`: permanent or not, retry after how long) and the `Transport` protocol;
- `console`: text blocks on stdout, for `loanwatch check` without Slack;
- `slack`: one message per alert, updated in place, its story in a thread
  (`slack_errors`: what each Slack error code means for a retry);
- `routing`: a ticket's rows for a platform (`email:…`, `webhook:…`) go by their own transport.

    transport = transport_from(settings)   # Slack with SLACK_BOT_TOKEN, else the console
"""

from typing import TYPE_CHECKING, TextIO

from jobs.transports.base import OutboxMessageView, Transport, TransportError
from jobs.transports.console import ConsoleTransport, render_text
from jobs.transports.routing import PLATFORM_SCHEMES, ByChannel, NotConfigured

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

    With Slack, a ticket's rows for a platform wait for their own transports (`routing`);
    the console prints them like any other row.
    """
    if settings.slack_bot_token is None:  # a blank SLACK_BOT_TOKEN is read as unset
        return ConsoleTransport(stream)
    # Imported here so the console path (tests, the CLI without Slack) never loads slack_sdk.
    from jobs.transports.slack import SlackTransport

    return ByChannel(
        SlackTransport.from_settings(settings),
        {scheme: NotConfigured(scheme) for scheme in PLATFORM_SCHEMES},
    )
