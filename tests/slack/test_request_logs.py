"""Each Slack request's log lines carry its own request id, and Slack's retries say so.

Logging is configured as `loanwatch web` configures it (bot/logs.py), JSON, at DEBUG, so
Bolt's own lines about the request are there too.
"""

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from io import StringIO
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI

from bot.api.wsgi import ApiWsgi
from bot.health import Health
from bot.logs import configure_logging
from bot.settings import Settings
from bot.slack.server import Serving, make_server, wsgi_app
from tests.support.logs import logging_restored


@pytest.fixture
def json_logs(settings: Settings) -> Iterator[StringIO]:
    """The process's log, as JSON lines; the previous logging restored afterwards."""
    out = StringIO()
    with logging_restored():
        configure_logging(
            settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"}), stream=out
        )
        yield out


def test_a_retried_command_is_logged_as_a_retry_under_its_own_request_id(app, json_logs) -> None:
    """Slack's second try of /loan help: one line says retry 2 (http_timeout); that request's
    lines, Bolt's included, share one request id, another than the first try's."""
    body = urlencode(app.command_form("help"))
    first = app.post(body)
    retry = app.post(
        body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
    )

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [said] = [line for line in lines if line["event"].startswith("Slack's retry")]
    running = [line for line in lines if line["event"].startswith("Running listener")]
    assert (first.status, retry.status) == (200, 200)
    assert said["event"] == "Slack's retry 2 of a request (http_timeout)"
    assert said["logger"] == "bot.slack.ingress"
    assert said["level"] == "info"
    assert [line["request_id"] for line in running][1] == said["request_id"]
    assert running[0]["request_id"] != said["request_id"]


def test_an_api_request_logs_under_the_proxys_request_id(sessions, json_logs) -> None:
    """A proxy's X-Request-Id on a request to /api/: the API's lines (on its own event loop's
    threads) carry it, as the server's do."""
    api = FastAPI()

    @api.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        logging.getLogger("bot.api.app").warning("ping asked")
        return {"ok": "yes"}

    wsgi = ApiWsgi(api)
    serving = Serving(
        make_server(
            wsgi_app(None, Health(sessions), signing_secret=None, api=wsgi),
            host="127.0.0.1",
            port=0,
            threads=2,
            poll_seconds=0.02,
        )
    )
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=10)
        connection.request("GET", "/api/v1/ping", headers={"X-Request-Id": "proxy-req-0001"})
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        serving.close()
        thread.join(timeout=5)
        wsgi.close()

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [asked] = [line for line in lines if line["event"] == "ping asked"]
    assert asked["request_id"] == "proxy-req-0001"


def test_a_refused_request_logs_its_size_and_summary_never_its_body(app, json_logs) -> None:
    """A command with a bad signature: the warning gives size, content type, field names, team
    and command; never the legacy token, the person's text or the response_url."""
    form = app.command_form("draw jiebei-main 50,000 12m")
    body = urlencode(form)
    answer = app.post(body, sign=False, headers={"X-Slack-Signature": "v0=" + "0" * 64})

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [refused] = [line["event"] for line in lines if line["event"].startswith("refused")]
    assert answer.status == 401
    assert f"{len(body.encode())} bytes of application/x-www-form-urlencoded" in refused
    assert "team_id=T0FINANCE, command=/loan" in refused
    assert "response_url, " in refused
    for secret in ("legacy-verification-token", "jiebei", "hooks.slack.invalid"):
        assert secret not in json_logs.getvalue()
