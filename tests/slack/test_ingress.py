"""What Slack's endpoint takes before anything reads a request: the signature headers' form,
UTF-8, a body Slack could have sent, and a size Slack would send."""

import http.client
import io
import json
import logging
import os
import socket
import threading
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.health import Health
from bot.models import AuditRecord, Draw
from bot.slack.app import build_app
from bot.slack.blocks import ACK_ACTION
from bot.slack.ingress import MAX_BODY_BYTES
from bot.slack.server import Serving, make_server, wsgi_app
from tests.slack.test_binding import refusals
from tests.slack.test_commands import counts
from tests.support.slack_app import ALERTS, ALICE, BOB, SIGNING_SECRET

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


# --- Slack's handshakes are the ingress's, and reach nothing ---------------------------------


def test_the_events_urls_challenge_is_echoed_without_asking_slack_anything(app, slack) -> None:
    """Slack's url_verification, signed: its challenge comes back, and nothing else happens
    (not even the installation lookup)."""
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g", "type": "url_verification"}
    )
    answer = app.post(body, content_type="application/json")
    assert (answer.status, answer.body) == (200, {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g"})
    assert slack.calls == []


def test_slacks_ssl_check_gets_an_empty_200_and_reaches_nothing(app, slack) -> None:
    """The SSL check (`ssl_check=1`, a form): 200, empty, no call to Slack."""
    answer = app.post("ssl_check=1&token=legacy")
    assert (answer.status, answer.body) == (200, {})
    assert slack.calls == []


def other_workspace(app, text: str, **fields: str) -> str:
    """A slash command from Mallory's workspace and app, as a form with `fields` added."""
    form = app.command_form(text, user="U0MALLORY")
    form |= {"team_id": "T0EVIL", "api_app_id": "A0EVIL", **fields}
    return urlencode(form)


@pytest.mark.parametrize(
    "fields",
    [{"type": "ssl_check"}, {"type": "url_verification", "challenge": "c"}, {"type": "SSL_CHECK"}],
    ids=["type ssl_check", "type url_verification", "type SSL_CHECK"],
)
def test_a_type_field_does_not_let_another_workspaces_command_through(
    app, jiebei, sessions, fields
) -> None:
    """Mallory's signed `/loan facility add` and `/loan draw`, with a `type` that names a
    handshake: 403 each, refusal audited, nothing added or drawn."""
    before = counts(sessions)
    added = app.post(other_workspace(app, "facility add evil jiebei 100k 0.05%", **fields))
    drawn = app.post(other_workspace(app, "draw jiebei-main 5,000 3m pwned", **fields))
    assert added.status == drawn.status == 403
    assert counts(sessions) == before
    assert len(refusals(sessions, "slack_request")) == 2


def test_a_json_command_that_says_it_is_an_ssl_check_is_refused_too(app, jiebei, sessions):
    """A JSON body for another workspace with `type: ssl_check`: 403, no limit reading."""
    body = {
        "command": "/loan",
        "text": "limit jiebei-main 0 frozen",
        "type": "ssl_check",
        "user_id": "U0MALLORY",
        "team_id": "T0EVIL",
        "api_app_id": "A0EVIL",
        "channel_id": "C0X",
        "trigger_id": "1.2.3",
    }
    before = counts(sessions)
    answer = app.post(json.dumps(body), content_type="application/json")
    assert answer.status == 403
    assert counts(sessions) == before


def test_our_own_command_with_a_type_field_is_served_as_a_command(app, jiebei, sessions) -> None:
    """Alice's `/loan draw` with a stray `type=ssl_check` field is just a draw."""
    form = app.command_form("draw jiebei-main 1,000 3m", user=ALICE) | {"type": "ssl_check"}
    answer = app.post(urlencode(form))
    assert answer.status == 200
    assert "jiebei-main" in answer.text
    assert counts(sessions)["draws"] == 1


# --- the body is parsed once, by the ingress -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("status payload", {}),
        ("status", {"team_domain": "payloadco"}),
        ("help", {"channel_name": "payload-ops"}),
        ("help", {"user_name": "payload.li"}),
        ("help", {"response_url": "https://hooks.slack.invalid/commands/T1/Payload9x"}),
    ],
    ids=[
        "status payload",
        "team domain payloadco",
        "channel payload-ops",
        "user payload.li",
        "a response_url with Payload",
    ],
)
def test_a_command_with_the_word_payload_in_it_is_answered(app, jiebei, text, fields) -> None:
    """The word "payload" anywhere in a slash command's form does not make it an interaction."""
    form = app.command_form(text, user=ALICE) | fields
    answer = app.post(urlencode(form))
    assert answer.status == 200, answer
    assert "not for this" not in answer.text


def test_a_draw_noted_satellite_payload_is_logged_with_its_note(app, jiebei, sessions) -> None:
    """`/loan draw jiebei-main 6,000 3m satellite payload`: one draw of ¥6,000.00 so noted."""
    answer = app.command("draw jiebei-main 6,000 3m satellite payload", user=ALICE)
    assert answer.status == 200
    with sessions() as session:
        [draw] = session.scalars(select(Draw)).all()
    assert (draw.amount, draw.note) == (Decimal("6000.00"), "satellite payload")


# --- payloads Slack would never send are 400s, not tracebacks -------------------------------

CLICK = {
    "type": "block_actions",
    "user": {"id": BOB, "team_id": "T0FINANCE"},
    "team": {"id": "T0FINANCE"},
    "api_app_id": "A0LOANWATCH",
    "trigger_id": "1.2.trigger",
    "container": {"type": "view", "view_id": "V0HOME"},
    "view": {"id": "V0HOME", "type": "home"},
    "actions": [{"type": "button", "action_id": ACK_ACTION, "value": "1"}],
}
SUBMISSION = {
    "type": "view_submission",
    "user": {"id": ALICE, "team_id": "T0FINANCE"},
    "team": {"id": "T0FINANCE"},
    "api_app_id": "A0LOANWATCH",
    "view": {"id": "V0FORM", "type": "modal", "callback_id": "draw_modal", "state": {"values": {}}},
}
MISSHAPEN = {
    "actions is a string": CLICK | {"actions": "x"},
    "actions hold a number": CLICK | {"actions": [1]},
    "actions are empty": CLICK | {"actions": []},
    "an action without its id": CLICK | {"actions": [{"type": "button", "value": "1"}]},
    "the user is a string": CLICK | {"user": "x"},
    "the user has no id": CLICK | {"user": {}},
    "the view is a string": SUBMISSION | {"view": "x"},
    "state.values missing": SUBMISSION | {"view": {**SUBMISSION["view"], "state": {}}},
    "no state": SUBMISSION
    | {"view": {k: v for k, v in SUBMISSION["view"].items() if k != "state"}},
    "a field's value is a list": SUBMISSION
    | {"view": {**SUBMISSION["view"], "state": {"values": {"amount": {"value": [1]}}}}},
    "a typed value is a list": SUBMISSION
    | {
        "view": {**SUBMISSION["view"], "state": {"values": {"amount": {"value": {"value": ["1"]}}}}}
    },
    "a picked option's value is an object": SUBMISSION
    | {
        "view": {
            **SUBMISSION["view"],
            "state": {"values": {"facility": {"value": {"selected_option": {"value": {"x": 1}}}}}},
        }
    },
    "a button's value is a number": CLICK
    | {"actions": [{"type": "button", "action_id": ACK_ACTION, "value": 1}]},
    "authorizations is an object": CLICK | {"authorizations": {"team_id": "T0FINANCE"}},
}


@pytest.mark.parametrize("payload", MISSHAPEN.values(), ids=MISSHAPEN.keys())
def test_a_payload_without_slacks_shape_gets_400_and_reaches_nothing(
    app, jiebei, sessions, slack, payload, caplog
) -> None:
    """Signed, for this workspace, but not shaped as Slack shapes its kind: 400, no call to
    Slack, nothing written, no traceback in the log."""
    before = counts(sessions)
    answer = app.interact(payload)
    assert answer.status == 400
    assert slack.calls == []
    assert counts(sessions) == before
    assert not [r for r in caplog.records if r.exc_info]


def test_a_command_without_its_user_gets_400(app, slack) -> None:
    """A slash command's form with no user_id is not one Slack sends."""
    form = app.command_form("help")
    del form["user_id"]
    assert app.post(urlencode(form)).status == 400
    assert slack.calls == []


# --- what no listener takes is logged short ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"type": "x" * 200_000, "api_app_id": "A0LOANWATCH", "team_id": "T0FINANCE"},
        CLICK | {"actions": [{"action_id": "y" * 200_000, "block_id": "b"}]},
    ],
    ids=["an unknown type", "an unknown action"],
)
def test_a_request_no_listener_takes_is_logged_in_one_short_line(app, body, caplog) -> None:
    """Admitted, 200 KB, and nothing handles it: 404, one warning line under 200 characters
    naming its kind, and no traceback (at INFO, the level loanwatch logs at by default)."""
    caplog.set_level(logging.INFO)
    answer = app.post(json.dumps(body), content_type="application/json")
    assert answer.status == 404
    messages = [r.getMessage() for r in caplog.records]
    assert max(len(m) for m in messages) < 200
    assert any(m.startswith("no listener for a") for m in messages)
    assert not [r for r in caplog.records if r.exc_info]


def test_a_client_trickling_its_body_is_cut_off() -> None:
    """A request that declares 100 bytes of body and sends 10, then nothing: the server closes
    the connection (within its idle time and one sweep, about 12 s) without answering."""

    def never_reached(environ, start_response):
        raise AssertionError("a request without its body reached the application")

    serving = Serving(
        make_server(never_reached, host="127.0.0.1", port=0, threads=1, poll_seconds=0.02)
    )
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    try:
        assert trickle(serving.port) == b""
    finally:
        serving.close()
        thread.join(timeout=5)


def test_a_stopped_server_gives_its_descriptors_back() -> None:
    """Started, asked, stopped three times over: the process has as many open files as before
    (waitress's wake-up pipe is closed once nothing can write to it)."""

    def hello(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    for _ in range(3):
        serving = Serving(
            make_server(hello, host="127.0.0.1", port=0, threads=2, poll_seconds=0.02)
        )
        thread = threading.Thread(target=serving.run, daemon=True)
        thread.start()
        connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=5)
        connection.request("GET", "/")
        assert connection.getresponse().read() == b"ok"
        connection.close()
        serving.close()
        thread.join(timeout=5)
    assert open_files() == before


def trickle(port: int) -> bytes:
    """What the server sends back to a client that stops ten bytes into a 100-byte body."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
        client.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: loanwatch\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"command=%2"
        )
        return client.recv(1024)
