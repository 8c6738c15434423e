"""What Slack's endpoint takes before anything reads a request: the signature headers' form,
UTF-8, a body Slack could have sent, and a size Slack would send."""

import io
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.models import AuditRecord
from bot.slack.app import build_app
from bot.slack.blocks import ACK_ACTION
from bot.slack.ingress import MAX_BODY_BYTES
from bot.slack.server import Health, wsgi_app
from tests.support.slack_app import ALERTS, SIGNING_SECRET

NOW = str(int(time.time()))

# Header values as sent on the wire: str for ASCII, bytes for the rest (latin-1 "²" is what
# `str.isdigit()` took for a digit; the others arrive as UTF-8 bytes).
ODD_TIMESTAMPS: dict[str, str | bytes] = {
    "400 nines": "9" * 400,
    "superscript two, latin-1": "²".encode("latin-1"),
    "superscript two, UTF-8": "²".encode(),
    "5,000 zeros": "0" * 5000,
    "empty": "",
    "negative": f"-{NOW}",
    "plus sign": f"+{NOW}",
    "decimal": f"{NOW}.0",
    "exponent": "1.7e9",
    "underscores": f"{NOW[:4]}_{NOW[4:]}",
    "hexadecimal": hex(int(NOW)),
    "eleven digits": f"0{NOW}",
    "leading space": f" {NOW}",
    "Arabic-Indic digits": "١٧٠٠٠٠٠٠٠٠".encode(),
    "full-width digits": "１７００００００００".encode(),
}


def attackers_click() -> bytes:
    """A block_actions payload as an attacker would make it: the response_url is theirs, the
    "user" is a channel, the alert id real-looking."""
    payload = {
        "type": "block_actions",
        "user": {"id": ALERTS, "team_id": "T0FINANCE"},
        "team": {"id": "T0FINANCE"},
        "api_app_id": "A0LOANWATCH",
        "trigger_id": "1.2.trigger",
        "response_url": "{response_url}",
        "container": {"type": "message", "channel_id": ALERTS, "message_ts": "1.1"},
        "channel": {"id": ALERTS},
        "actions": [{"type": "button", "action_id": ACK_ACTION, "value": "1"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def audit_records(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord))


@pytest.mark.parametrize("signed", [False, True], ids=["forged", "signed over the odd stamp"])
@pytest.mark.parametrize("stamp", ODD_TIMESTAMPS.values(), ids=ODD_TIMESTAMPS.keys())
def test_an_odd_timestamp_gets_401_and_nothing_is_called(app, slack, sessions, stamp, signed):
    """A timestamp that is not 1 to 10 ASCII digits is refused before anything reads the body:
    no Web API call, nothing posted to the response_url, nothing written."""
    body = attackers_click().replace(b"%7Bresponse_url%7D", slack.response_url("evil").encode())
    text = stamp.decode("latin-1") if isinstance(stamp, bytes) else stamp
    signature = app.signature(body, text) if signed else "v0=x"
    answer = app.request(
        "POST",
        "/slack/events",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        },
    )
    assert answer.status == 401
    assert slack.calls == []
    assert slack.responses == []
    assert audit_records(sessions) == 0


@pytest.mark.parametrize(
    "signature", ["v0=²", "v0=" + "g" * 64, "v1=" + "0" * 64, "", "v0=" + "0" * 65]
)
def test_a_malformed_signature_gets_401(app, slack, signature) -> None:
    """A signature that is not `v0=` and 64 hex digits is refused as unsigned."""
    answer = app.request(
        "POST",
        "/slack/events",
        b"command=%2Floan&text=help",
        {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": signature.encode()},
    )
    assert answer.status == 401
    assert slack.calls == []


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_body_that_is_not_utf8_gets_400(app, slack, signed) -> None:
    """Bytes that are not UTF-8 are refused with 400, whether or not they are signed."""
    body = b"command=%2Floan&text=\xff\xfe\xfd"
    answer = app.request(
        "POST",
        "/slack/events",
        body,
        {
            "X-Slack-Request-Timestamp": NOW,
            "X-Slack-Signature": app.signature(body, NOW) if signed else "v0=" + "0" * 64,
        },
    )
    assert answer.status == 400
    assert slack.calls == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ("payload=%22text%22", "application/x-www-form-urlencoded"),
        ("payload=null", "application/x-www-form-urlencoded"),
        ("command=%2Floan&text=help", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"team": 5, "api_app_id": "A0LOANWATCH"}', "application/json"),
        ('{"type": "view_submission", "view": {"callback_id": "draw_modal"}}', "application/json"),
    ],
    ids=[
        "broken payload JSON",
        "payload is a list",
        "payload is a string",
        "payload is null",
        "a form sent as JSON",
        "a JSON list",
        "a team that is a number",
        "a view without its type",
    ],
)
def test_a_signed_body_slack_would_not_send_gets_400(app, slack, body, content_type) -> None:
    """A signed body that does not read as a Slack request is refused with 400, not a 500."""
    answer = app.post(body, content_type=content_type)
    assert answer.status == 400
    assert slack.calls == []


def test_a_refused_request_is_logged_by_its_size_and_a_prefix(app, caplog) -> None:
    """A 100 KB request with a bad signature adds one short line to the log, not the body."""
    caplog.set_level(logging.DEBUG)
    body = "text=" + "a" * 100_000
    answer = app.post(
        body,
        sign=False,
        headers={"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": NOW},
    )
    assert answer.status == 401
    messages = [r.getMessage() for r in caplog.records]
    assert any("100005 bytes" in m for m in messages)
    assert max(len(m) for m in messages) < 1000


def test_a_declared_body_over_the_limit_gets_413(app, slack) -> None:
    """A request that says it carries 10 MB is refused with 413 before its body is read."""
    answer = app.request(
        "POST",
        "/slack/events",
        None,
        {"Content-Length": str(10 * 1024 * 1024), "X-Slack-Request-Timestamp": NOW},
    )
    assert answer.status == 413
    assert slack.calls == []


class Body(io.BytesIO):
    """wsgi.input that counts what the application read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def call(settings, sessions, clock, environ: dict) -> str:
    """Call the WSGI application itself (no waitress in front); returns the status line."""
    application = wsgi_app(
        build_app(settings, sessions, clock=clock),
        Health(sessions),
        signing_secret=SIGNING_SECRET,
    )
    started: list[str] = []
    b"".join(application(environ, lambda status, headers: started.append(status)))
    return started[0]


@pytest.mark.parametrize(
    ("size", "status"),
    [(MAX_BODY_BYTES, "401 Unauthorized"), (MAX_BODY_BYTES + 1, "413 Request Entity Too Large")],
)
def test_the_application_reads_no_body_past_the_limit(
    settings, sessions, clock, slack, size, status
) -> None:
    """Behind any server: a Content-Length over the limit is refused unread; at the limit, the
    body is read and checked (unsigned here, so 401)."""
    stream = Body(b"a" * size)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(size),
        "wsgi.input": stream,
    }
    assert call(settings, sessions, clock, environ) == status
    assert stream.taken == (size if size <= MAX_BODY_BYTES else 0)
    assert slack.calls == []


def test_a_body_without_a_length_is_read_only_to_the_limit(settings, sessions, clock, slack):
    """Without Content-Length (a chunked body passed through), at most one byte past the limit
    is read, and the request is refused with 413."""
    stream = Body(b"a" * (4 * MAX_BODY_BYTES))
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "wsgi.input": stream}
    assert call(settings, sessions, clock, environ) == "413 Request Entity Too Large"
    assert stream.taken == MAX_BODY_BYTES + 1
    assert slack.calls == []
