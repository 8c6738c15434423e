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
