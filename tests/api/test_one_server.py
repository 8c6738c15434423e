"""`loanwatch web` serves the ingest API and Slack's endpoint in one process, on one port."""

import signal
from urllib.parse import urlencode

from bot.api.tokens import Scope, create_token
from tests.api.conftest import DANA, ApiClient
from tests.api.test_observations import limit
from tests.slack.test_processes import free_port, start, wait_until_serving
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import SIGNING_SECRET, SlackApp


def test_the_api_and_slack_are_served_by_one_loanwatch_web(
    database_url, sessions, jiebei, clock
) -> None:
    """One port answers a signed /loan help on /slack/events and a reading posted to
    /api/v1/observations; the reading is in the ledger; SIGTERM stops both, exit 0."""
    with sessions.begin() as session:
        _, token = create_token(session, DANA, "robot", Scope.WRITE, now=clock())
    port = free_port()
    with FakeSlack() as slack:
        process = start("web", database_url, slack.api_url, port)
        slack_client = SlackApp(port, SIGNING_SECRET, clock)
        try:
            wait_until_serving(slack_client, process)
            answer = slack_client.post(urlencode(slack_client.command_form("help")))
            posted = ApiClient(port, token).post([limit(observed_at="2026-12-01T09:30:00+08:00")])
            facilities = ApiClient(port, token).get("/api/v1/facilities")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert answer.status == 200
    assert "/loan draw" in answer.text
    assert posted.status == 200, (posted.body, stderr)
    assert posted.body["results"][0]["outcome"] == "new"
    assert [f["slug"] for f in facilities.body] == ["jiebei-main"]
    assert process.returncode == 0, stderr
    assert "the API on /api/v1/" in stderr


def test_web_without_slack_settings_serves_the_api_alone(database_url, sessions, clock) -> None:
    """An API-only deployment (docs/api.md): no SLACK_BOT_TOKEN nor secret, `web` still starts,
    says Slack is off, answers the API and /healthz; /slack/events is not there."""
    import os
    import subprocess

    from tests.slack.test_processes import LOANWATCH

    with sessions.begin() as session:
        _, token = create_token(session, DANA, "robot", Scope.READ, now=clock())
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SLACK_") and name not in ("LOANWATCH_ADMINS",)
    } | {"DATABASE_URL": database_url, "LOANWATCH_HOST": "127.0.0.1", "PORT": str(port)}
    process = subprocess.Popen(
        [LOANWATCH, "web"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = ApiClient(port, token)
    try:
        wait_until_serving(client, process)
        facilities = client.get("/api/v1/facilities")
        events = client.request("POST", "/slack/events", raw=b"x")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert facilities.status == 200, (facilities.body, stderr)
    assert events.status == 404
    assert process.returncode == 0, stderr
    assert "Slack is off" in stderr
