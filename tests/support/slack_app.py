"""The real loanwatch HTTP server on port 0, and requests signed the way Slack signs them.

    with FakeSlack() as slack, SlackApp.start(settings, sessions) as app:
        response = app.command("draw jiebei-main 50,000 12m", user=ALICE)

Requests go through waitress, Bolt's signature check and dispatcher, and the listeners; what
the app sent to Slack is in the FakeSlack. Test helpers build the payloads Slack would send
(slash commands, block actions built from a posted message, view submissions, events).
"""

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session, sessionmaker

from bot.health import Health
from bot.logs import ContextExecutor
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.server import Serving, make_server, wsgi_app

SIGNING_SECRET = "test-signing-secret-0123456789ab"
TOKEN = "xoxb-test"
ALERTS = "C0ALERTS"
TEAM_CHANNEL = "C0FINANCE"

# The cast: Alice the treasurer, Bob on call (through the on-call user group), Charlie may only
# read, Dana is the admin.
ALICE = "U0ALICE"
BOB = "U0BOB"
CHARLIE = "U0CHARLIE"
DANA = "U0DANA"
ONCALL_GROUP = "S0ONCALL"


@dataclass
class Answer:
    """What the server answered: HTTP status and the body (JSON when it is JSON)."""

    status: int
    body: Any

    @property
    def text(self) -> str:
        return self.body.get("text", "") if isinstance(self.body, dict) else str(self.body)


def app_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: fake Slack, the cast's roles, alerts to #loan-alerts."""
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "LOANWATCH_DEFAULT_ALERT_CHANNEL": ALERTS,
        "LOANWATCH_ADMINS": DANA,
        "LOANWATCH_TREASURERS": ALICE,
        "LOANWATCH_OPERATORS": ONCALL_GROUP,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class Background(ContextExecutor):
    """The app's pool for work done after Slack had its answer (lazy listeners), which a test
    can wait to be done with (`settle`) before it looks at the outcome. Like the app's own
    (bot.logs.ContextExecutor) its tasks keep the context they were submitted in: the
    request's ids and its reader's language."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.started: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.started.append(future)
        return future

    def settle(self, timeout: float = 10.0) -> None:
        wait(list(self.started), timeout=timeout)


class SlackApp:
    """A running server plus a way to talk to it as Slack would."""

    def __init__(self, port: int, secret: str, clock: Callable[[], datetime]) -> None:
        self.port = port
        self.secret = secret
        self.clock = clock
        self._triggers = iter(range(1, 10**9))
        self.serving: Serving | None = None
        self.thread: threading.Thread | None = None
        self.background = Background()

    @classmethod
    @contextmanager
    def start(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        threads: int = 4,
        health: Health | None = None,
        api: Any = None,
        **app_options: Any,
    ) -> Iterator["SlackApp"]:
        background = Background()
        app = build_app(settings, sessions, clock=clock, executor=background, **app_options)
        secret = settings.slack_signing_secret
        assert secret is not None
        server = make_server(
            wsgi_app(
                app, health or Health(sessions), signing_secret=secret.get_secret_value(), api=api
            ),
            host="127.0.0.1",
            port=0,
            threads=threads,
            poll_seconds=0.02,
        )
        serving = Serving(server)
        thread = threading.Thread(target=serving.run, daemon=True)
        thread.start()
        running = cls(serving.port, secret.get_secret_value(), clock)
        running.serving, running.thread, running.background = serving, thread, background
        try:
            yield running
        finally:
            serving.close()
            thread.join(timeout=5)
            background.shutdown(wait=True)

    # --- raw HTTP -----------------------------------------------------------------------------

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
    ) -> Answer:
        """POST /slack/events, signed with the app's secret unless told otherwise."""
        all_headers = {"Content-Type": content_type}
        if sign:
            stamp = int(time.time()) if timestamp is None else timestamp
            signature = SignatureVerifier(self.secret).generate_signature(
                timestamp=str(stamp), body=body
            )
            all_headers |= {
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": signature,
            }
        all_headers |= headers or {}
        return self.request("POST", "/slack/events", body.encode(), all_headers)

    def signature(self, body: bytes, timestamp: str) -> str:
        """X-Slack-Signature as Slack makes it, for any body and timestamp text (odd ones too)."""
        base = b"v0:" + timestamp.encode() + b":" + body
        return "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str | bytes] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read().decode()
        finally:
            connection.close()
        try:
            parsed: Any = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            parsed = raw
        return Answer(response.status, parsed)

    # --- what Slack sends ---------------------------------------------------------------------

    def command(
        self, text: str, *, user: str = ALICE, channel: str = TEAM_CHANNEL, command: str = "/loan"
    ) -> Answer:
        """A slash command, form-encoded like Slack's."""
        return self.post(
            urlencode(self.command_form(text, user=user, channel=channel, command=command))
        )

    def command_form(
        self, text: str, *, user: str = ALICE, channel: str = TEAM_CHANNEL, command: str = "/loan"
    ) -> dict[str, str]:
        return {
            "token": "legacy-verification-token",
            "team_id": "T0FINANCE",
            "team_domain": "finance",
            "channel_id": channel,
            "channel_name": "finance",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0LOANWATCH",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": f"{next(self._triggers)}.1.trigger",
        }

    def interact(self, payload: dict[str, Any]) -> Answer:
        """An interaction (button click, view submission): form field `payload` holding JSON."""
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def click(
        self,
        message: Any,
        channel: str | None,
        action_id: str,
        *,
        user: str = BOB,
        option: str | None = None,
        response_url: str = "https://hooks.slack.invalid/actions/1",
        **fields: Any,
    ) -> Answer:
        """Click a button (or pick a select option) on a message the bot posted, or, with no
        channel, on a view (App Home) whose blocks `message` carries. `fields` replace the
        payload's top-level fields (another team, another app)."""
        element, block_id = _find_action(message.blocks, action_id)
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": "1700000000.000200",
        }
        if element["type"] == "static_select":
            chosen = next(o for o in element["options"] if o["value"] == option)
            action["selected_option"] = chosen
        else:
            action["value"] = element.get("value")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FINANCE"},
            "api_app_id": "A0LOANWATCH",
            "team": {"id": "T0FINANCE"},
            "trigger_id": f"{next(self._triggers)}.2.trigger",
            "actions": [action],
        }
        if channel is None:
            payload["container"] = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {"id": "V0HOME", "type": "home", "blocks": message.blocks}
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel,
            }
            payload["channel"] = {"id": channel, "name": "loan-alerts"}
            payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
            payload["response_url"] = response_url
        return self.interact(payload | fields)

    def submit(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = ALICE, **fields: Any
    ) -> Answer:
        """Submit a modal, with the given state values (and top-level `fields` replaced)."""
        return self.interact(
            {
                "type": "view_submission",
                "user": {"id": user, "username": user.lower(), "team_id": "T0FINANCE"},
                "api_app_id": "A0LOANWATCH",
                "team": {"id": "T0FINANCE"},
                "trigger_id": f"{next(self._triggers)}.3.trigger",
                "view": {
                    **view,
                    "state": {"values": values},
                    "hash": "1700000000.abc",
                },
            }
            | fields
        )

    def shortcut(
        self,
        callback_id: str,
        message: dict[str, Any],
        *,
        user: str = ALICE,
        channel: str = TEAM_CHANNEL,
    ) -> Answer:
        """A message shortcut used on `message` (as Slack shows it: ts, text, files)."""
        return self.interact(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "trigger_id": f"{next(self._triggers)}.4.trigger",
                "action_ts": "1700000000.000300",
                "user": {"id": user, "username": user.lower(), "team_id": "T0FINANCE"},
                "team": {"id": "T0FINANCE", "domain": "finance"},
                "api_app_id": "A0LOANWATCH",
                "channel": {"id": channel, "name": "finance"},
                "message_ts": message["ts"],
                "message": message,
                "response_url": "https://hooks.slack.invalid/actions/2",
            }
        )

    def deliver_event(self, event: dict[str, Any], event_id: str, *, retry: int = 0) -> Answer:
        """An Events API callback with its own event id; `retry` > 0 is Slack sending it again
        (X-Slack-Retry-Num), byte for byte the same."""
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0FINANCE",
                "api_app_id": "A0LOANWATCH",
                "event": event,
                "event_id": event_id,
                "event_time": 1_700_000_000,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, content_type="application/json", headers=headers if retry else None)

    def event(self, event: dict[str, Any]) -> Answer:
        """An Events API callback."""
        return self.post(
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T0FINANCE",
                    "api_app_id": "A0LOANWATCH",
                    "event": event,
                    "event_id": f"Ev{next(self._triggers):08d}",
                    "event_time": int(time.time()),
                }
            ),
            content_type="application/json",
        )


def _find_action(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        elements = block.get("elements", [])
        if block.get("accessory"):
            elements = [*elements, block["accessory"]]
        for element in elements:
            if element.get("action_id") == action_id:
                return element, block.get("block_id", "")
    raise AssertionError(f"no element with action_id {action_id!r} in the message")
