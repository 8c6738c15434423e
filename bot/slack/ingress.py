"""POST /slack/events: what a request must be before Bolt, or anything else, reads it.

In this order, each refusal final and each before the next step looks at more:

1. 413 if the body is larger than MAX_BODY_BYTES: Content-Length is checked before anything
   is read, and no more than the limit is ever read when there is none.
2. 401 unless the timestamp is 1 to 10 ASCII digits and the signature looks like `v0=` and 64
   hex digits. (`str.isdigit()` lets "²" and other Unicode digits through, and Slack's SDK
   then raises on them, or on 400 nines, instead of refusing.)
3. 400 if the body is not UTF-8 (Slack's always is; its signature is over UTF-8 text).
4. 401 unless the signature is Slack's for this body and timestamp, made within five minutes.
5. 400 unless the body reads as one of Slack's requests, parsed here, once (:func:`parse`): a
   JSON object (the Events API, sent as application/json); a form with a `payload` field
   holding a JSON object (an interaction: a click, a form submitted); or another form (a slash
   command, or Slack's SSL check). Then it must have the shape Slack gives its kind
   (`bot.slack.shapes`), and Bolt's own readers of a payload must read it.
6. Slack's two handshakes are answered here and go no further: the events URL's check
   (`url_verification`, JSON, with its `challenge`: echoed) and the SSL check (`ssl_check=1`,
   a form: an empty 200). They name no workspace, and nothing acts on them.

Only then does Bolt get the request, marked VERIFIED in its context (see bot.slack.binding), as
a BoltRequest built from the body parsed in step 5, so Bolt never parses the text again (its
parser takes any form with the word "payload" anywhere in it for an interaction).
A refused request is logged with its size and a safe summary (content type, the names of its
fields, its team and command), never its body: a legacy verification `token`, a person's `text`
and a `response_url` are in there.
"""

import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import payload_utils
from slack_sdk.signature import SignatureVerifier

from bot.slack.binding import VERIFIED
from bot.slack.shapes import check_shape

log = logging.getLogger(__name__)

# Slack's largest requests (a view submission with a long form) are tens of KB; this leaves
# room and keeps one request from filling memory or the log.
MAX_BODY_BYTES = 256 * 1024
# How much of a refused body the log shows.
# What of a refused request's body is logged: field names, and these fields' values when they
# look like a Slack id or a slash command.
SAFE_NAME = re.compile(r"[A-Za-z0-9_.\[\]-]{1,40}")
SAFE_VALUES = {"team_id": re.compile(r"[A-Z0-9]{1,20}"), "command": re.compile(r"/[\w-]{1,40}")}
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
            checked = self.verified_request(environ)
        except RefusedError as refused:
            answer = BoltResponse(status=refused.status, body={"error": refused.error})
        else:
            is_handshake = isinstance(checked, BoltResponse)
            retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
            if retry is not None:
                # Slack sends again what it had no answer to within 3 s: the listeners must
                # not act twice, and the log says which requests were retries.
                reason = _printable(environ.get("HTTP_X_SLACK_RETRY_REASON", ""))
                log.info("Slack's retry %s of a request (%s)", _printable(retry)[:4], reason)
            answer = checked if is_handshake else self.app.dispatch(checked)
        response = WsgiHttpResponse(answer.status, answer.headers, answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def verified_request(self, environ: Environ) -> BoltRequest | BoltResponse:
        """The request as Bolt takes it, a handshake's answer, or RefusedError (steps 1-6)."""
        raw = read_body(environ)
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        if not (TIMESTAMP.fullmatch(timestamp) and SIGNATURE.fullmatch(signature)):
            raise _logged(401, "invalid request", "malformed signature headers", raw, environ)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _logged(
                400, "the body is not UTF-8", "a body that is not UTF-8", raw, environ
            ) from None
        if not self.verifier.is_valid(text, timestamp, signature):
            raise _logged(401, "invalid request", "a bad or stale signature", raw, environ)
        headers = {
            key[5:].lower().replace("_", "-"): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
        try:
            envelope, body = parse(text, headers["content-type"])
            handshake = answer_handshake(envelope, body)
            if handshake is not None:
                return handshake
            check_shape(body)
            # Bolt reads every listener's (and the error handler's) arguments with these; a
            # body they cannot read would fail in the error handler too.
            for read in BOLT_READERS:
                read(body)
            return ParsedRequest(
                body,
                query=str(environ.get("QUERY_STRING", "")),
                headers=headers,
                context={VERIFIED: True},
            )
        except Exception as exc:  # our parser, the shapes, Bolt's readers, on the sender's text
            raise _logged(400, "the body is not a Slack request", _why(exc), raw, environ) from None


class ParsedRequest(BoltRequest):
    """An HTTP request to Bolt, built from the body the ingress parsed and checked.

    Bolt takes a parsed body only as Socket Mode hands it one (`mode="socket_mode"`); in "http"
    mode it wants the raw text, to parse again. Past our signature check nothing in Bolt needs
    the raw text (its own signature check is off, and a lazy listener's copy is made here from
    the parsed body), so the request is built from the body and then is the HTTP request it is.
    """

    def __init__(
        self,
        body: dict[str, Any],
        *,
        query: str | dict[str, Any],
        headers: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        super().__init__(
            body=body, query=query, headers=headers, context=context, mode="socket_mode"
        )
        self.mode = "http"

    def to_copyable(self) -> "ParsedRequest":
        return ParsedRequest(
            self.body,
            query=dict(self.query),
            headers=dict(self.headers),
            context=self.context.to_copyable(),
        )


# How a body came (step 5): JSON (the Events API), a form's `payload` (an interaction), a form.
JSON, INTERACTION, FORM = "json", "interaction", "form"


def parse(text: str, content_type: str) -> tuple[str, dict[str, Any]]:
    """(how it came, the body as Slack means it) (step 5); ValueError when it is not Slack's."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        body = json.loads(text)
        if not isinstance(body, dict):
            raise ValueError("a JSON body that is not an object")
        return JSON, body
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    form = dict(pairs)
    if len(form) != len(pairs):
        raise ValueError("a form with a field given twice")
    if "payload" not in form:
        if "command" not in form and "ssl_check" not in form:
            raise ValueError("a form that is neither a slash command nor an interaction")
        return FORM, form
    payload = json.loads(form["payload"])
    if not isinstance(payload, dict):
        raise ValueError("a payload that is not an object")
    return INTERACTION, payload


def answer_handshake(envelope: str, body: dict[str, Any]) -> BoltResponse | None:
    """The answer if `body` is one of Slack's handshakes (step 6), else None.

    Answering one acts on nothing, whatever else the body holds; a `type` field anywhere else
    (a form, an interaction) means nothing special.
    """
    if envelope == JSON and body.get("type") == "url_verification":
        challenge = body.get("challenge")
        if not isinstance(challenge, str):
            raise ValueError("a url_verification without its challenge")
        return BoltResponse(status=200, body={"challenge": challenge})
    if envelope == FORM and body.get("ssl_check") == "1":
        return BoltResponse(status=200, body="")
    return None


def _printable(header: object) -> str:
    """A header's value as one short line of the log: printable characters, 40 at most."""
    text = "".join(c for c in str(header) if c.isprintable())[:40]
    return text or "no reason"


def _why(exc: Exception) -> str:
    """What was wrong, for the log: the shape's own words, or the kind of error."""
    return str(exc)[:200] if isinstance(exc, ValueError) else type(exc).__name__


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


def _logged(status: int, error: str, why: str, raw: bytes, environ: Environ) -> RefusedError:
    content_type = environ.get("CONTENT_TYPE")
    log.warning(
        "refused a request (%d, %s): %d bytes of %s, %s",
        status,
        why,
        len(raw),
        _printable(content_type) if content_type else "no content type",
        summary(raw),
    )
    return RefusedError(status, error)


def summary(raw: bytes) -> str:
    """What a refused body holds, safe to log: its field names, its team and command."""
    text = raw.decode("utf-8", errors="replace")
    try:
        fields: dict[str, Any] = json.loads(text) if text.lstrip().startswith("{") else {}
    except ValueError:
        fields = {}
    if not fields:
        try:
            fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=200))
        except ValueError:
            return "too many fields"
    names = [name if SAFE_NAME.fullmatch(name) else "?" for name in list(fields)[:20]]
    shown = [
        f"{name}={value}"
        for name, pattern in SAFE_VALUES.items()
        if isinstance(value := fields.get(name), str) and pattern.fullmatch(value)
    ]
    return f"fields [{', '.join(names)}]" + "".join(f", {item}" for item in shown)
