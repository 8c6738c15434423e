"""How an outbox message leaves the building: one transport interface, one error type.

A transport gets an :class:`OutboxMessageView` (plain data, never an ORM object, so a transport
cannot touch the database) and either returns a reference (a Slack "CHANNEL:TS", for updating the
message later) or raises :class:`TransportError`, saying whether trying again could help and, if
the other side said so, after how long. Anything else a transport raises is treated as transient.
"""

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol


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
    # A ticket's own message ("CHANNEL_ID:TS", tickets.message_ref) for a `ticket.notice` row:
    # None until its first notice is posted.
    ticket_ref: str | None = None
    # The language its message is written in, for a message to a channel: the facility's, else
    # the channel's, else the workspace's (jobs.outbox_languages); None: the transport chooses.
    language: str | None = None

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


def retry_after_seconds(headers: Mapping[str, Any], now: float | None = None) -> float | None:
    """How long a `Retry-After` header asks to wait, in seconds, if it says so usably.

    Both forms of RFC 9110: delay-seconds (`120`), and an HTTP-date
    (`Wed, 09 Dec 2026 01:02:03 GMT`), counted from `now` (UNIX seconds; default: the real
    time), never below zero. Slack sends the first; a platform's webhook may send either.
    """
    for name, value in headers.items():
        if name.lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list) else value
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            seconds = _seconds_until(str(raw), time.time() if now is None else now)
        return None if seconds is None or math.isnan(seconds) else seconds  # inf: capped later
    return None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": the date is in UTC but says nothing of its origin
        return None
    return max(moment.timestamp() - now, 0.0)
