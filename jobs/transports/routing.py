"""Rows for a platform go by the platform's channel; every other row by the main transport.

A ticket's message to a platform is an outbox row whose channel names how it travels
(`email:jiebei`, `webhook:weilidai`, see bot/tickets/notices.py) and goes by that scheme's
transport (jobs/transports/email.py, webhook.py). An email with no SMTP server configured waits
in the outbox (a transient failure, retried with backoff, never a dead letter), saying which
setting is missing, and goes once it is set; the console never stands in for a mail server.
"""

from collections.abc import Mapping

from jobs.transports.base import OutboxMessageView, Transport, TransportError

PLATFORM_SCHEMES = ("email", "webhook")


class NotConfigured:
    """A transport not configured here: every row waits, and says what to set."""

    def __init__(self, scheme: str, fix: str) -> None:
        self.name = scheme
        self.fix = fix

    def send(self, message: OutboxMessageView) -> str | None:
        """Refuse for now; the row is tried again later."""
        raise TransportError(
            f"outbox {message.id} is for {message.channel}, and this loanwatch has no "
            f"{self.name} transport configured: {self.fix}; it waits in the outbox"
        )


class ByChannel:
    """Sends a row through the transport its channel's scheme names, else through `main`."""

    def __init__(self, main: Transport, by_scheme: Mapping[str, Transport]) -> None:
        self.main = main
        self.by_scheme = dict(by_scheme)
        self.name = getattr(main, "name", type(main).__name__)

    def send(self, message: OutboxMessageView) -> str | None:
        """Route the row by the scheme before the first ':' of its channel."""
        scheme = (message.channel or "").partition(":")[0]
        return self.by_scheme.get(scheme, self.main).send(message)
