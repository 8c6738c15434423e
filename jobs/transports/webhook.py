"""A platform's webhook: a ticket's messages as signed JSON POSTs.

One `ticket.platform` row (channel `webhook:<platform>`) is one POST to the contact's URL:

    {"ticket": {"id": "T-3", "facility": …, "platform": …, "language": "zh"},
     "event": {"id": "3c…", "kind": "sent" | "reminder", "thread_id": "3c…", "follow_up": 0},
     "title": "[T-3] jiebei-main: …", "text": "您好：…", "summary": "贵平台账单缺失：…",
     "records": {"name": "T-3-usage-records.csv", "columns": […], "rows": [[…], …]}}

- `X-Loanwatch-Signature: t=UNIX_SECONDS,v1=HEX`, HEX the HMAC-SHA256 of `"{t}.{body}"` keyed
  with the secret in the environment variable the contact names (`--secret-env`): the receiver
  recomputes it, and refuses an old `t` to stop replays.
- `Idempotency-Key` is the ticket event's id: every retry of the row carries the same one.
- 2xx is delivered. 408, 429, 5xx, a refused connection and a timeout are retried by the outbox
  (a `Retry-After` is honoured, in seconds or as an HTTP-date, capped like Slack's); any other
  answer, and a secret missing from the environment, is a dead letter with an admin alert that
  says what to fix.

urllib from the standard library does the POST: loanwatch ships no other HTTP client.
"""

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.logs import keep_secret
from bot.tickets.contacts import shown_url
from bot.tickets.notices import PlatformMessage
from jobs.transports.base import OutboxMessageView, TransportError, retry_after_seconds

SIGNATURE_HEADER = "X-Loanwatch-Signature"
RETRIED = frozenset({408, 429})


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: `t=…,v1=…` over `"{t}.{body}"`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_body(sent: PlatformMessage) -> dict[str, Any]:
    """What the platform receives, as JSON."""
    return {
        "ticket": {
            "id": sent.ticket,
            "facility": sent.facility,
            "platform": sent.platform,
            "language": sent.language,
        },
        "event": {
            "id": sent.event_id,
            "kind": sent.event,
            "thread_id": sent.thread_event_id,
            "follow_up": sent.follow_up,
        },
        "title": sent.title,
        "text": sent.text,
        "summary": sent.summary,
        "records": {"name": sent.attachment_name, "columns": sent.columns, "rows": sent.rows},
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to act on (a moved URL), not one to follow with the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookTransport:
    """POSTs `ticket.platform` rows for webhook contacts to the contact's URL."""

    name = "webhook"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        """`environ` holds the secrets (default: this process's environment)."""
        self.environ = environ if environ is not None else os.environ
        self.clock = clock
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, message: OutboxMessageView) -> str | None:
        """POST the row; return `webhook:<status>`."""
        sent = PlatformMessage.from_payload(dict(message.payload))
        secret = self._secret(sent, message.id)
        body = json.dumps(webhook_body(sent), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            sent.url or "",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "loanwatch",
                "Idempotency-Key": sent.event_id,
                SIGNATURE_HEADER: signature(secret, int(self.clock()), body),
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return f"webhook:{response.status}"
        except urllib.error.HTTPError as exc:
            raise _refused(exc, sent, self.clock(), message.id) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(
                f"the webhook of {sent.platform} ({shown_url(sent.url)}) could not be reached "
                f"({getattr(exc, 'reason', exc)!r}); trying again later"
            ) from exc

    def _secret(self, sent: PlatformMessage, row: int) -> str:
        if not sent.url:
            raise TransportError(
                f"ticket {sent.ticket}: the webhook contact of {sent.platform} has no URL; set "
                f"it with `loanwatch platform contact {sent.platform} --via webhook --url …`",
                permanent=True,
            )
        secret = self.environ.get(sent.secret_env or "")
        if not secret:
            raise TransportError(
                f"ticket {sent.ticket}: the webhook of {sent.platform} is signed with the secret "
                f"in the environment variable {sent.secret_env or '(none named)'}, which is not "
                "set for the worker: set it (where loanwatch runs), then "
                f"`loanwatch outbox retry {row}`",
                permanent=True,
            )
        # Whatever the variable is called, its value (and the URL's own token) never logs.
        keep_secret(secret)
        keep_secret(urlsplit(sent.url).query)
        return secret


def _refused(
    exc: urllib.error.HTTPError, sent: PlatformMessage, now: float, row: int
) -> TransportError:
    """An HTTP answer other than 2xx: retried (408, 429, 5xx, after the `Retry-After` it gives,
    in seconds or as an HTTP-date counted from `now`) or a dead letter."""
    status = exc.code
    where = f"the webhook of {sent.platform} ({shown_url(sent.url)})"
    if status in RETRIED or status >= 500:
        return TransportError(
            f"{where} answered {status}; trying again later",
            retry_after=retry_after_seconds(dict(exc.headers.items()), now)
            if exc.headers
            else None,
        )
    return TransportError(
        f"{where} refused ticket {sent.ticket}'s {sent.event} with {status} {exc.reason}: check "
        f"the URL and the secret ({sent.secret_env}) with the platform, correct them with "
        f"`loanwatch platform contact {sent.platform} --via webhook --url … --secret-env …` "
        f"(its open tickets follow), then `loanwatch outbox retry {row}`",
        permanent=True,
    )
