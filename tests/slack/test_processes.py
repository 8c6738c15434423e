"""`loanwatch web` and `loanwatch run` as the admin starts them: real processes, real ports."""

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.errors import SettingsError
from bot.slack.app import build_app
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import open_alerts
from tests.slack.test_draw_flow import filled, open_form
from tests.support.slack_app import SIGNING_SECRET, TOKEN, SlackApp

LOANWATCH = str(Path(sys.executable).with_name("loanwatch"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: str, database_url: str, api_url: str, port: int, **env: str):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "LOANWATCH_HOST": "127.0.0.1",
        "PORT": str(port),
        "LOANWATCH_LOG_LEVEL": "INFO",
        **env,
    }
    for name in ("SLACK_APP_TOKEN", "LOANWATCH_ADMINS", "LOANWATCH_TREASURERS"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.Popen(
        [LOANWATCH, command],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_serving(client: SlackApp, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.stderr.read()}")
        try:
            if client.request("GET", "/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("never answered /healthz")


@pytest.mark.parametrize("command", ["web", "run"])
def test_the_server_answers_signed_commands_and_stops_on_sigterm(
    command, database_url, slack, clock
) -> None:
    """It serves /healthz and /slack/events, warns that no roles are set, and exits 0 on SIGTERM."""
    port = free_port()
    process = start(command, database_url, slack.api_url, port)
    client = SlackApp(port, SIGNING_SECRET, clock)
    try:
        wait_until_serving(client, process)
        answer = client.post(urlencode(client.command_form("help")))
        assert answer.status == 200
        assert "/loan draw" in answer.text
        assert client.post(urlencode(client.command_form("help")), sign=False).status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "no roles configured" in stderr


def test_run_stops_with_status_1_when_its_checks_and_delivery_die(
    database_url, slack, tmp_path
) -> None:
    """The worker thread of `loanwatch run` fails at its start (the holidays file is a
    directory): the process says why and exits 1 rather than serve Slack without checks."""
    process = start(
        "run", database_url, slack.api_url, free_port(), LOANWATCH_HOLIDAYS_FILE=str(tmp_path)
    )
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()  # still serving without its checks: the test fails, nothing is left
    assert process.returncode == 1, stderr
    assert f"cannot read calendar file {tmp_path}" in stderr
    assert "so that its service manager restarts it" in stderr


def test_an_unexpected_error_reaches_the_error_handler(app, jiebei, monkeypatch, caplog) -> None:
    """A bug in a listener is logged with its traceback and a reference the person is told."""

    def broken(*args, **kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr("bot.slack.context.dashboard", broken)
    answer = app.command("status")
    assert answer.status == 200
    assert answer.body["response_type"] == "ephemeral"
    assert "Something went wrong on loanwatch's side (reference " in answer.text
    reference = answer.text.split("reference ")[1][:8]
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info is not None
    assert "the database fell over" in str(record.exc_info[1])


def test_the_app_refuses_to_start_without_a_signing_secret(settings) -> None:
    """HTTP without SLACK_SIGNING_SECRET cannot verify anything, so it does not start."""
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is not set"):
        build_app(settings.model_copy(update={"slack_signing_secret": None}), None)


def test_a_bug_behind_a_button_is_told_to_the_clicker(
    app, jiebei, sessions, settings, clock, slack, monkeypatch
) -> None:
    """A click whose handler fails gets an ephemeral note with the reference, not silence."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)

    def broken(*args, **kwargs):
        raise RuntimeError("lifecycle exploded")

    monkeypatch.setattr("bot.alerts.actions.acknowledge", broken)
    answer = app.click(
        posted_alert(slack, alert_id), "C0ALERTS", "alert_ack", response_url=slack.response_url()
    )
    assert answer.status == 200
    assert "Something went wrong on loanwatch's side (reference " in slack.responses[-1]["text"]


def test_a_bug_behind_a_form_shows_in_the_form(app, jiebei, slack, monkeypatch) -> None:
    """A form whose handler fails is replaced by a view that says so, with the reference."""
    view = open_form(app, slack)

    def broken(*args, **kwargs):
        raise RuntimeError("ledger exploded")

    monkeypatch.setattr("bot.ledger.draw_requests._log_draw", broken)
    answer = app.submit(view, filled("jiebei-main", "1,000", "3m"))
    assert answer.body["response_action"] == "update"
    assert "reference" in answer.body["view"]["blocks"][0]["text"]["text"]


def test_a_request_in_flight_at_sigterm_is_still_answered(
    database_url, slack, clock, jiebei
) -> None:
    """SIGTERM while a command waits on Slack: it is answered, then the process exits 0."""
    slack.delays["views.open"] = 1.5
    port = free_port()
    process = start("web", database_url, slack.api_url, port)
    client = SlackApp(port, SIGNING_SECRET, clock)
    try:
        wait_until_serving(client, process)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(client.command, "draw", user="U0ANYONE")
            slack.wait_for(lambda: slack.calls_to("views.open"))
            process.send_signal(signal.SIGTERM)
            answer = pending.result(timeout=15)
    finally:
        _, stderr = process.communicate(timeout=30)
    assert answer.status == 200, stderr
    assert process.returncode == 0, stderr
