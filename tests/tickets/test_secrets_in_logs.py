"""No secret reaches a log line or an error message, in either log format.

A real run with known secret values: signed Slack requests (one a retry) to the real server, API
requests with a bearer token (one wrong), delivery failing against the fake Slack (its channel
is gone), against a platform's webhook (500, the URL carrying a token) and against an SMTP
server that refuses the password, and a bad setting. Everything a person could read is kept:
every log line (loanwatch's and the libraries', at DEBUG), the commands' output and errors, the
HTTP answers, the errors stored on outbox rows and what reached the fake Slack.
"""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from sqlalchemy import select

from bot.api.app import build_api
from bot.api.tokens import Scope, create_token
from bot.api.wsgi import ApiWsgi
from bot.audit import Actor
from bot.db import make_engine
from bot.logs import configure_logging
from bot.models import OutboxMessage
from bot.sessions import session_factory
from jobs.delivery import DeliveryWorker
from jobs.transports import transport_from
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import SlackApp, app_settings
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

BOT_TOKEN = "xoxb-1234567890-0987654321-SeCrEtBoTtOkEnVaLuE"
SIGNING_SECRET = "sgn-7f3a9c2e4b1d8f6a0c5e9b2d"
SMTP_PASSWORD = "smtp-Pa55-w0rd-hunter2"
WEBHOOK_SECRET = "whsec-9d8c7b6a5f4e3d2c"
URL_TOKEN = "urltok-5e6f7a8b9c0d1e2f"
GONE = "C0GONE"


@pytest.fixture
def secret_env(monkeypatch) -> None:
    """The process's environment: the webhook's secret, SMTP with its password, and alerts
    to a channel the fake Slack does not have."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", GONE)


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_no_secret_appears_in_any_log_line_or_error(
    secret_env,
    loanwatch,
    missing_bill,
    database_url,
    monkeypatch,
    tmp_path,
    restored_logging,
    log_format,
) -> None:
    """Bot token, signing secret, SMTP password, webhook secret and URL token, API token:
    none in the logs, the outputs, the answers, the stored errors or Slack's messages."""
    seen: list[str] = []
    authority = trustme.CA()
    with (
        FakeSlack(token=BOT_TOKEN) as slack,
        SmtpServer(authority, {"loanwatch-bot": "the real password"}) as mailbox,
        WebhookReceiver(WEBHOOK_SECRET, answers=[500]) as hook,
    ):
        settings = app_settings(
            database_url,
            slack.api_url,
            **settings_env(slack.api_url, mailbox.port),
            LOANWATCH_LOG_FORMAT=log_format,
            LOANWATCH_LOG_LEVEL="DEBUG",
        )
        logs = io.StringIO()
        configure_logging(settings, stream=logs)
        # The commands below deliver at once, as the worker would, with these settings.
        bundle = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        for name, value in settings_env(slack.api_url, mailbox.port).items():
            monkeypatch.setenv(name, value)

        # Tickets to the platform: by webhook (500), then by email (password refused).
        url = f"{hook.url}?token={URL_TOKEN}"
        contact = (
            f"platform contact jiebei --via webhook --url {url} --secret-env JIEBEI_HOOK_SECRET"
        )
        seen += ok_or_error(loanwatch(contact))
        seen += ok_or_error(
            loanwatch(f"ticket open jiebei-main --subject 缺账单 --alert {missing_bill}")
        )
        seen += ok_or_error(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
        seen += ok_or_error(loanwatch("ticket open jiebei-main --subject 又缺"))

        engine = make_engine(database_url)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            _, api_token = create_token(
                session, Actor("cli:dana", "cli"), "robot", Scope.READ, now=datetime.now(UTC)
            )
        api = ApiWsgi(build_api(sessions, rate_limit="1000/minute"))
        with SlackApp.start(settings, sessions, clock=lambda: datetime.now(UTC), api=api) as app:
            seen.append(json.dumps(app.command("status").body))
            retried = app.post(urlencode_command(app, "help"), headers={"X-Slack-Retry-Num": "1"})
            seen.append(json.dumps(retried.body))
            seen.append(json.dumps(app.post("command=%2Floan&text=x", sign=False).body))
            for token in (api_token, "lwt_" + "x" * 43):
                answer = app.request(
                    "GET", "/api/v1/facilities", headers={"Authorization": f"Bearer {token}"}
                )
                seen.append(json.dumps(answer.body))
            app.background.settle()
        api.close()

        # The worker delivers: Slack refuses the gone channel, the webhook answers 500, the
        # mail server refuses the password; then the admin alerts about them go out.
        later = datetime.now(UTC) + timedelta(hours=1)  # past every backoff
        worker = DeliveryWorker(
            sessions, transport_from(settings), worker_id="w1", clock=lambda: later
        )
        for _ in range(3):
            worker.step()
        with sessions() as session:
            seen += [row.last_error or "" for row in session.scalars(select(OutboxMessage))]
        seen += [json.dumps(call.args, default=str) for call in slack.calls]
        engine.dispose()

    # A bad setting: a token pasted into SLACK_API_URL.
    monkeypatch.setenv("SLACK_API_URL", f"slack.example/api?token={BOT_TOKEN}")
    status, out, err = loanwatch("status")
    assert status == 2
    assert "SLACK_API_URL" in err
    seen += [out, err]

    lines = logs.getvalue().splitlines()
    assert any("attempt 1 failed" in line or "dead letter" in line for line in lines)
    assert any("retry 1" in line for line in lines)
    if log_format == "json":
        assert all(json.loads(line)["time"] for line in lines if line.startswith("{"))
    everything = "\n".join([*seen, *lines])
    secrets = (BOT_TOKEN, SIGNING_SECRET, SMTP_PASSWORD, WEBHOOK_SECRET, URL_TOKEN, api_token)
    assert [secret for secret in secrets if secret in everything] == []


def settings_env(slack_api_url: str, smtp_port: int) -> dict[str, str]:
    """The secrets, and where Slack and the mail server are."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "LOANWATCH_DEFAULT_ALERT_CHANNEL": GONE,
        "LOANWATCH_SMTP_HOST": "127.0.0.1",
        "LOANWATCH_SMTP_PORT": str(smtp_port),
        "LOANWATCH_SMTP_USER": "loanwatch-bot",
        "LOANWATCH_SMTP_PASSWORD": SMTP_PASSWORD,
        "LOANWATCH_MAIL_FROM": "loanwatch@finance.example",
    }


def ok_or_error(result: tuple[int, str, str]) -> list[str]:
    """What a command printed, on stdout and stderr."""
    _status, out, err = result
    return [out, err]


def urlencode_command(app: SlackApp, text: str) -> str:
    from urllib.parse import urlencode

    return urlencode(app.command_form(text))
