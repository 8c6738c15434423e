"""Only requests Slack signed reach loanwatch: the documented example passes, the rest get 401."""

import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import Clock
from sqlalchemy import func, select

from bot.models import Draw
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import SlackApp, app_settings

# Slack's documented example (../shared/fixtures/README.md).
EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TIMESTAMP = 1531420618
EXAMPLE_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmib"
    "IGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_documented_example_passes_the_signature_check(
    database_url, sessions, clock, monkeypatch
) -> None:
    """The example request from Slack's docs passes the signature check (tampered, it does not);
    it is then refused as another workspace's (403): its team is not this installation's."""
    # The example is from 2018; the server must believe it is that moment to accept it.
    monkeypatch.setattr(Clock, "now", lambda self: EXAMPLE_TIMESTAMP + 30)
    with FakeSlack() as slack:
        settings = app_settings(
            database_url,
            slack.api_url,
            SLACK_SIGNING_SECRET=EXAMPLE_SECRET,
            LOANWATCH_SLASH_COMMAND="/webhook-collect",
        )
        with SlackApp.start(settings, sessions, clock=clock) as app:
            answer = app.post(
                EXAMPLE_BODY,
                sign=False,
                headers={
                    "X-Slack-Request-Timestamp": str(EXAMPLE_TIMESTAMP),
                    "X-Slack-Signature": EXAMPLE_SIGNATURE,
                },
            )
            tampered = app.post(
                EXAMPLE_BODY.replace("text=", "text=draw"),
                sign=False,
                headers={
                    "X-Slack-Request-Timestamp": str(EXAMPLE_TIMESTAMP),
                    "X-Slack-Signature": EXAMPLE_SIGNATURE,
                },
            )
    assert answer.status == 403
    assert "not for this loanwatch installation" in answer.body["error"]
    assert tampered.status == 401


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-Slack-Signature": "v0=" + "0" * 64}, "forged"),
        ({"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""}, "empty"),
        ({"X-Slack-Request-Timestamp": "yesterday"}, "not a timestamp"),
    ],
)
def test_a_forged_or_missing_signature_gets_401_and_changes_nothing(
    app, jiebei, sessions, slack, headers, why
) -> None:
    """A draw with a bad or no signature is refused with 401; no draw, nothing sent to Slack."""
    form = app.command_form("draw jiebei-main 50,000 12m")
    stamp = {"X-Slack-Request-Timestamp": str(int(time.time()))}
    answer = app.post(urlencode(form), sign=False, headers={**stamp, **headers})
    assert answer.status == 401, why
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draw)) == 0
    assert slack.calls == []


def test_a_signature_older_than_five_minutes_gets_401(app, jiebei, sessions) -> None:
    """A correctly signed request replayed six minutes later is refused."""
    form = app.command_form("draw jiebei-main 50,000 12m")
    answer = app.post(urlencode(form), timestamp=int(time.time()) - 6 * 60)
    assert answer.status == 401
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draw)) == 0


def test_a_fresh_signature_is_accepted(app, jiebei) -> None:
    """The same request signed now is answered."""
    answer = app.command("help")
    assert answer.status == 200
    assert "draw FACILITY AMOUNT TERM" in answer.text


def test_healthz_reports_the_database(app) -> None:
    """GET /healthz answers 200 with the database reachable."""
    answer = app.request("GET", "/healthz")
    assert answer.status == 200
    assert answer.body["database"] == "ok"
