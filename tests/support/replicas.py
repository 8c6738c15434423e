"""Replicas of `loanwatch web` and `loanwatch worker` as processes, for tests/jobs/test_replicas.py.

Each process gets the same settings (one database, the fake Slack Web API, the cast's roles,
alerts to #loan-alerts) and writes its log to a file of its own (a pipe nobody reads would
fill and stop it). Requests go to the webs the way Slack sends them: signed, and sent again
with `X-Slack-Retry-Num` while the answer is not a 2xx or the connection fails (Slack does that
for events; for a click or a command, the person whom Slack showed the failure does it).
"""

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.clock import utcnow
from tests.slack.test_processes import LOANWATCH, free_port
from tests.support.fake_slack import FakeSlack, Message
from tests.support.slack_app import (
    ALERTS,
    ALICE,
    DANA,
    ONCALL_GROUP,
    SIGNING_SECRET,
    TOKEN,
    Answer,
    SlackApp,
)


def wait_for(what: str, predicate: Callable[[], Any], seconds: float) -> Any:
    """Poll `predicate` until it is truthy; fail saying `what` did not happen in time."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what} (last: {value!r})")
        time.sleep(0.2)


@dataclass
class Replica:
    """One process: its name, role, port (a web's), and its log file."""

    name: str
    role: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Fleet:
    """The processes of one deployment, started with one environment."""

    database_url: str
    slack: FakeSlack
    folder: Path
    extra: dict[str, str] = field(default_factory=dict)
    replicas: dict[str, Replica] = field(default_factory=dict)

    def environment(self, port: int | None) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LOANWATCH_"))}
        return keep | {
            "DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "LOANWATCH_DEFAULT_ALERT_CHANNEL": ALERTS,
            "LOANWATCH_ADMINS": DANA,
            "LOANWATCH_TREASURERS": ALICE,
            "LOANWATCH_OPERATORS": ONCALL_GROUP,
            "LOANWATCH_HOST": "127.0.0.1",
            "LOANWATCH_LOG_LEVEL": "INFO",
            "PORT": str(port or free_port()),
            **self.extra,
        }

    def start(self, name: str, role: str) -> Replica:
        port = free_port() if role == "web" else None
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [LOANWATCH, role],
                env=self.environment(port),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        replica = Replica(name, role, process, log, port)
        self.replicas[name] = replica
        return replica

    def serving(self, replica: Replica, seconds: float = 60) -> None:
        """Wait until a web answers /healthz (or a worker logged that it started)."""

        def up() -> bool:
            if not replica.alive():
                raise AssertionError(f"{replica.name} exited early:\n{replica.output()}")
            if replica.role == "worker":
                return " started: checks every " in replica.output()
            try:
                return client(replica).request("GET", "/healthz").status == 200
            except OSError:
                return False

        wait_for(f"{replica.name} serving", up, seconds)

    def stop_all(self) -> None:
        for replica in self.replicas.values():
            if replica.alive():
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas.values():
            try:
                replica.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(timeout=10)


def client(replica: Replica) -> SlackApp:
    """Signed requests to a web replica, stamped with the real time as Slack stamps them."""
    assert replica.port is not None
    return SlackApp(replica.port, SIGNING_SECRET, utcnow)


class _Payloads(SlackApp):
    """SlackApp's own rules for what Slack sends on a click, kept instead of sent."""

    def interact(self, payload: dict[str, Any]) -> Answer:
        self.payload = payload
        return Answer(200, {})


def click_payload(message: Message, action_id: str, *, user: str) -> dict[str, Any]:
    """The block_actions payload Slack sends when `user` clicks `action_id` on `message`."""
    payloads = _Payloads(0, SIGNING_SECRET, utcnow)
    payloads.click(message, ALERTS, action_id, user=user)
    return payloads.payload | {"trigger_id": _trigger()}


def _trigger() -> str:
    """A trigger id of its own for each request (a retry keeps its request's)."""
    return f"{uuid.uuid4().int % 10**12}.1.trigger"


@dataclass
class Sent:
    """A request sent until it was answered with a 2xx: the answer and how many tries it took."""

    answer: Answer
    tries: int


def until_answered(
    replica: Replica, body: str, *, content_type: str = "application/x-www-form-urlencoded"
) -> Sent:
    """POST a signed body to /slack/events, again with X-Slack-Retry-Num (re-signed, as each
    attempt is) while the answer is not a 2xx or the connection fails; for 60 s at most."""
    deadline = time.monotonic() + 60
    tries, last = 0, "nothing"
    while time.monotonic() < deadline:
        headers = {"X-Slack-Retry-Num": str(tries), "X-Slack-Retry-Reason": "http_error"}
        tries += 1
        try:
            answer = client(replica).post(
                body, content_type=content_type, headers=headers if tries > 1 else None
            )
        except OSError as exc:
            last = repr(exc)
        else:
            if 200 <= answer.status < 300:
                return Sent(answer, tries)
            last = f"{answer.status} {answer.body}"
        time.sleep(min(0.25 * tries, 2.0))
    raise AssertionError(f"{replica.name} never answered with a 2xx; last: {last}")


def command(replica: Replica, text: str, *, user: str = ALICE) -> Sent:
    """`/loan TEXT` typed by `user` in #finance, sent to `replica`."""
    form = client(replica).command_form(text, user=user) | {"trigger_id": _trigger()}
    return until_answered(replica, urlencode(form))


def click(replica: Replica, payload: dict[str, Any]) -> Sent:
    """A block_actions payload (built by SlackApp.click's rules) sent to `replica`."""
    return until_answered(replica, urlencode({"payload": json.dumps(payload)}))


def alert_posts(slack: FakeSlack) -> dict[int, int]:
    """For each alert: how many top-level chat.postMessage calls carried its id in metadata."""
    counts: dict[int, int] = {}
    for call in slack.calls_to("chat.postMessage"):
        if call.args.get("thread_ts"):
            continue
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata or "null")
        alert_id = ((metadata or {}).get("event_payload") or {}).get("alert_id")
        if alert_id is not None:
            counts[int(alert_id)] = counts.get(int(alert_id), 0) + 1
    return counts


def updates_of(slack: FakeSlack, ts: str) -> int:
    """How many chat.update calls were made on the message `ts`."""
    return sum(1 for c in slack.calls_to("chat.update") if c.args.get("ts") == ts)
