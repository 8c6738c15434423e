"""How an outbox message leaves the building: one transport interface, one error type.

A transport gets an :class:`OutboxMessageView` (plain data, never an ORM object, so a transport
cannot touch the database) and either returns a reference (a Slack "CHANNEL:TS", for updating the
message later) or raises :class:`TransportError`, saying whether trying again could help and, if
the other side said so, after how long. Anything else a transport raises is treated as transient.
"""

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class OutboxMessageView:
    """What a transport may know about an outbox row: enough to send it, nothing to change it."""

    id: int
    kind: str
    channel: str | None
    payload: Mapping[str, Any]
    # Attempts made before this one (0 on the first try).
    attempts: int
    # The alert's own message ("CHANNEL_ID:TS", alerts.message_ref) when the row was claimed;
    # None for a first notice, a grouped storm, or an alert only ever told inside a group.
    alert_ref: str | None = None
    # Taken back from a worker whose lease ran out: that worker may have sent it before dying,
    # so a transport that can look (Slack) checks before sending, as on a retry.
    reclaimed: bool = False
    # Who wrote it: the installation's id (one per database) and the row's own random token.
    # A transport that looks for what an earlier try sent matches on both and the id, so it
    # never takes another database's post (staging beside production, a restored backup whose
    # ids started again) for its own.
    installation_id: str | None = None
    token: str | None = None

    @property
    def maybe_sent(self) -> bool:
        """Whether an earlier try may have delivered this message already."""
        return self.attempts > 0 or self.reclaimed


class TransportError(Exception):
    """Sending failed.

    `permanent` means trying again will not help (channel not found, not allowed); the message
    goes to the dead letters at once. Otherwise it is retried with backoff, and `retry_after`
    (seconds), when the other side gave one (Slack's `Retry-After`), is how long to wait at least.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    """Something that delivers an outbox message, or raises TransportError.

    A transport may have a `name` ("slack", "console"); with a row's channel it names the
    destination in a `delivery_degraded` alert. Without one the class name stands in.
    """

    def send(self, message: OutboxMessageView) -> str | None:
        """Deliver `message`; return the transport's reference for it, if it has one."""
        ...


def render_text(message: OutboxMessageView) -> str:
    """The message as a text block a finance person can read on a console.

    The payload's `header`/`title`, `summary`/`text`, and `facts` (label → value) are shown,
    in that order, then who acted and why when the payload says. The rest of the payload is
    for machines (ids, times, flags) and stays off the console.
    """
    payload = dict(message.payload)
    target = f" → #{message.channel}" if message.channel else ""
    lines = [f"── {message.kind}{target} (outbox {message.id}) ──"]
    for key in ("header", "title", "summary", "text"):
        value = payload.pop(key, None)
        if value not in (None, ""):
            lines.append(str(value))
    facts = payload.pop("facts", None)
    if isinstance(facts, Mapping):
        lines.extend(f"  {label}: {value}" for label, value in facts.items())
    for key, label in (("acknowledged_by", "Acknowledged by"), ("reason", "Reason")):
        if payload.get(key):
            lines.append(f"  {label}: {payload[key]}")
    return "\n".join(lines) + "\n"


class ConsoleTransport:
    """Writes each message as a text block to a stream (stdout unless told otherwise)."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: OutboxMessageView) -> str | None:
        """Print the message; a console has no reference to give back."""
        # Resolved per call, so a redirected or captured sys.stdout is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(render_text(message))
            stream.flush()
        except OSError as exc:
            raise TransportError(f"console write failed: {exc}") from exc
        return None


def transport_from(settings: "Settings", stream: TextIO | None = None) -> Transport:
    """Slack when a bot token is set (SLACK_BOT_TOKEN), else the console (`stream`, or stdout)."""
    if settings.slack_bot_token is None:  # a blank SLACK_BOT_TOKEN is read as unset
        return ConsoleTransport(stream)
    # Imported here so the console path (tests, the CLI without Slack) never loads slack_sdk.
    from jobs.slack_transport import SlackTransport

    return SlackTransport.from_settings(settings)
