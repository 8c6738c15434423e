"""Each Slack request's log lines carry its own request id, and Slack's retries say so.

Logging is configured as `loanwatch web` configures it (bot/logs.py), JSON, at DEBUG, so
Bolt's own lines about the request are there too.
"""

import json
import logging
from collections.abc import Iterator
from io import StringIO
from urllib.parse import urlencode

import pytest
import structlog

from bot.logs import configure_logging
from bot.settings import Settings


@pytest.fixture
def json_logs(settings: Settings) -> Iterator[StringIO]:
    """The process's log, as JSON lines; the previous logging restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = StringIO()
    configure_logging(
        settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"}), stream=out
    )
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)
    structlog.reset_defaults()


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
