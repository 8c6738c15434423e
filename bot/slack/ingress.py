"""POST /slack/events: what a request must be before Bolt, or anything else, reads it.

In this order, each refusal final and each before the next step looks at more:

1. 413 if the body is larger than MAX_BODY_BYTES: Content-Length is checked before anything
   is read, and no more than the limit is ever read when there is none.
2. 401 unless the timestamp is 1 to 10 ASCII digits and the signature looks like `v0=` and 64
   hex digits. (`str.isdigit()` lets "²" and other Unicode digits through, and Slack's SDK
   then raises on them, or on 400 nines, instead of refusing.)
3. 400 if the body is not UTF-8 (Slack's always is; its signature is over UTF-8 text).
4. 401 unless the signature is Slack's for this body and timestamp, made within five minutes.
5. 400 unless the body reads as Slack's requests do (a form, a form with a JSON `payload`, or a
   JSON object), comes out as an object, and Bolt's own readers of a payload can read it.

Only then does Bolt get the request, marked VERIFIED in its context (see bot.slack.binding).
A refused request is logged with its size and the first LOGGED_PREFIX characters, never whole.
"""

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import payload_utils
from slack_sdk.signature import SignatureVerifier

from bot.slack.binding import VERIFIED

log = logging.getLogger(__name__)

# Slack's largest requests (a view submission with a long form) are tens of KB; this leaves
# room and keeps one request from filling memory or the log.
MAX_BODY_BYTES = 256 * 1024
# How much of a refused body the log shows.
LOGGED_PREFIX = 200
TIMESTAMP = re.compile(r"[0-9]{1,10}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class RefusedError(Exception):
    """A request answered with `status` before Bolt sees it."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class SlackEvents:
    """The WSGI application for POST /slack/events: checks, then Bolt."""

    def __init__(self, app: App, signing_secret: str) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = self.verified_request(environ)
        except RefusedError as refused:
            answer = BoltResponse(status=refused.status, body={"error": refused.error})
        else:
            answer = self.app.dispatch(request)
        response = WsgiHttpResponse(answer.status, answer.headers, answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def verified_request(self, environ: Environ) -> BoltRequest:
        """The request as Bolt takes it, or RefusedError (steps 1 to 5 above)."""
        raw = read_body(environ)
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        if not (TIMESTAMP.fullmatch(timestamp) and SIGNATURE.fullmatch(signature)):
            raise _logged(401, "invalid request", "malformed signature headers", raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _logged(400, "the body is not UTF-8", "a body that is not UTF-8", raw) from None
        if not self.verifier.is_valid(text, timestamp, signature):
            raise _logged(401, "invalid request", "a bad or stale signature", raw)
        headers = {
            key[5:].lower().replace("_", "-"): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
        try:
            request = BoltRequest(
                body=text,
                query=str(environ.get("QUERY_STRING", "")),
                headers=headers,
                context={VERIFIED: True},
            )
            if not isinstance(request.body, dict):
                raise TypeError("not an object")
            # Bolt reads every listener's (and the error handler's) arguments with these; a
            # body they cannot read would fail in the error handler too.
            for read in BOLT_READERS:
                read(request.body)
        except Exception as exc:  # Bolt's parser and readers, on the sender's text
            raise _logged(400, "the body is not a Slack request", type(exc).__name__, raw) from None
        return request


def read_body(environ: Environ) -> bytes:
    """The body, read only if it is within MAX_BODY_BYTES (else RefusedError, 413)."""
    declared = str(environ.get("CONTENT_LENGTH") or "")
    stream = environ.get("wsgi.input")
    if declared:
        if not declared.isascii() or not declared.isdigit():
            raise RefusedError(400, "invalid Content-Length")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            log.warning("refused a %d-byte request: larger than %d", length, MAX_BODY_BYTES)
            raise RefusedError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        return stream.read(length) if stream is not None and length else b""
    if stream is None:
        return b""
    # No Content-Length (a server passing a chunked body through): read one byte past the
    # limit to tell "at the limit" from "over it", and no more.
    raw = stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        log.warning("refused a request without Content-Length: larger than %d", MAX_BODY_BYTES)
        raise RefusedError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    return raw


def _logged(status: int, error: str, why: str, raw: bytes) -> RefusedError:
    log.warning(
        "refused a request (%d, %s): %d bytes, starting %r",
        status,
        why,
        len(raw),
        raw[:LOGGED_PREFIX],
    )
    return RefusedError(status, error)
