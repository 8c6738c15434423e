"""The dead man's switch, against what an attacker found: a service that drips its answer, a
ping URL with a query string, and a success pinged while no notification reaches anyone.

Receivers on loopback (port 0) stand in for healthchecks.io, the fake Slack for Slack; the
worker is the real `run_worker` (or the real `loanwatch worker` process).
"""

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.cli import main
from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.settings import Settings
from jobs import checks
from jobs.heartbeat import TIMEOUT_SECONDS, Heartbeat
from jobs.transports import Transport
from jobs.transports.console import ConsoleTransport
from jobs.worker import run_worker
from tests.jobs.slack_support import slack_transport
from tests.jobs.test_cycle import broken_check
from tests.jobs.test_heartbeat import PING, PingReceiver
from tests.jobs.test_worker import ROOT
from tests.support.fake_slack import FakeSlack, FaultPlan

CLI = "import sys; from bot.cli import main; sys.exit(main())"
ALERTS = "C0ALERTS"
# The worker's fake time: a whole hour a day after the facility's readings were recorded (by
# the real clock), so the checks know them whatever the time of day the tests run.
START = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


class Drip:
    """A service that answers a byte every half second, for at most a minute: under any socket
    timeout, never done."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}{PING}"
        self.asked = threading.Event()
        self.done = threading.Event()

    def __enter__(self) -> "Drip":
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.listener.close()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            self.asked.set()
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 120:
                if self.done.wait(0.5):
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return


def test_a_dripping_ping_is_cut_off_at_its_deadline(caplog) -> None:
    """The service drips a byte every half second: the ping ends at its 1 s deadline, logged."""
    with Drip() as drip, caplog.at_level(logging.WARNING, logger="jobs.heartbeat"):
        heartbeat = Heartbeat(drip.url, timeout=1.0)
        started = time.monotonic()
        ping = heartbeat.cycle_done(ok=True)
        assert ping is not None
        ping.result(timeout=10)
        took = time.monotonic() - started
        heartbeat.close()

    assert took < 2.5
    assert "heartbeat: the ping took over 1.0 s and was cut off" in caplog.text


def test_a_redirect_to_another_scheme_is_not_followed(caplog) -> None:
    """The ping URL answers 302 to ftp://: the ping fails at once, logged, and nothing is
    asked of the FTP host (which could drip its greeting past any deadline)."""
    ftp = socket.create_server(("127.0.0.1", 0))
    ftp.settimeout(0.2)
    target = f"ftp://127.0.0.1:{ftp.getsockname()[1]}/x"

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with caplog.at_level(logging.WARNING, logger="jobs.heartbeat"):
            heartbeat = Heartbeat(f"http://127.0.0.1:{server.server_port}{PING}", timeout=5.0)
            ping = heartbeat.cycle_done(ok=True)
            assert ping is not None
            ping.result(timeout=10)
            heartbeat.close()
        with pytest.raises(TimeoutError):
            ftp.accept()  # nobody came
    finally:
        server.shutdown()
        ftp.close()

    assert "heartbeat: the ping failed" in caplog.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_dripping_service_never_holds_up_the_workers_exit(database_url) -> None:
    """`loanwatch worker` pings a service that drips its answer, and gets SIGTERM while the
    ping is in flight: it exits within the ping's timeout, not when the service is done."""
    with Drip() as drip:
        worker = subprocess.Popen(
            [sys.executable, "-c", CLI, "--database-url", database_url, "worker"],
            cwd=ROOT,
            env={**os.environ, "LOANWATCH_HEARTBEAT_URL": drip.url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert drip.asked.wait(30), "the worker never pinged"
        finally:
            worker.send_signal(signal.SIGTERM)
            told = time.monotonic()
            try:
                _out, err = worker.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                _out, err = worker.communicate()
        took = time.monotonic() - told

    assert worker.returncode == 0, err
    assert took < TIMEOUT_SECONDS + 3


def _run_until_pinged(
    settings: Settings,
    receiver: PingReceiver,
    pings: int,
    *,
    at: datetime,
    transport: Transport | None = None,
    until: object = None,
) -> list[str]:
    """Run the real worker as of `at` until the receiver has `pings` pings in all (and
    `until()` holds, when given); every path it was asked for."""
    stop = threading.Event()
    runner = threading.Thread(
        target=run_worker,
        args=(settings, transport or ConsoleTransport(io.StringIO()), stop),
        kwargs={"clock": lambda: at},
    )
    runner.start()
    try:
        paths = receiver.wait_for(pings)
        deadline = time.monotonic() + 30
        while callable(until) and not until() and time.monotonic() < deadline:
            time.sleep(0.05)
        return paths
    finally:
        stop.set()
        runner.join(timeout=30)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fail_goes_before_the_query_of_the_ping_url(database_url, monkeypatch) -> None:
    """healthchecks.io's `?create=1`: a clean cycle pings the URL as given, a failed one
    `<path>/fail?create=1`, never `?create=1/fail` (which the service reads as a success)."""
    with PingReceiver() as receiver:
        url = receiver.url + "?create=1"
        settings = Settings(_env_file=None, DATABASE_URL=database_url, LOANWATCH_HEARTBEAT_URL=url)
        clean = _run_until_pinged(settings, receiver, 1, at=START)
        monkeypatch.setitem(checks.CHECKS, "bill_unexpected", broken_check)
        failed = _run_until_pinged(settings, receiver, 2, at=START + timedelta(minutes=15))

    assert clean == [PING + "?create=1"]
    assert failed == [PING + "?create=1", PING + "/fail?create=1"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://hc-ping.com/5f1c0a9e", "must be an http(s) URL with a host"),
        ("hc-ping.com/5f1c0a9e", "must be an http(s) URL with a host"),
        ("https://hc-ping.com/5f1c0a9e#secret", "must not have a #fragment"),
        ("https://hc-ping.com:port/5f1c0a9e", "must be an http(s) URL"),
        ("https://hc-ping.com/5f1c0a9e x", "must not hold a space"),
    ],
)
def test_a_heartbeat_url_that_cannot_work_is_refused_clearly(url, says) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, LOANWATCH_HEARTBEAT_URL=url)

    assert f"LOANWATCH_HEARTBEAT_URL {says}" in str(refused.value)


def _frozen_line(database_url: str) -> None:
    """A facility whose line is frozen: the check cycle opens an alert and posts it."""
    base = ["--database-url", database_url]
    add = ["facility", "add", "jiebei-main", "--platform", "jiebei", "--limit", "200,000"]
    assert main([*base, *add]) == 0
    assert main([*base, "limit", "add", "jiebei-main", "0", "--status", "frozen"]) == 0


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        running.add_channel(ALERTS, "loan-alerts")
        yield running


def _settings(database_url: str, receiver: PingReceiver, channel: str | None = ALERTS) -> Settings:
    return Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        LOANWATCH_HEARTBEAT_URL=receiver.url,
        LOANWATCH_DEFAULT_ALERT_CHANNEL=channel,
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_while_slack_fails_every_post_the_switch_hears_fail(database_url, slack) -> None:
    """Every chat.postMessage answers 500: the cycles run clean, but once the alerts channel
    has failed for LOANWATCH_DELIVERY_DEGRADED_AFTER_MINUTES (10) the ping is /fail; when
    Slack is back and the alert got through, success again."""
    _frozen_line(database_url)
    slack.faults = FaultPlan(share=1.0, kinds=(500,), methods=frozenset({"chat.postMessage"}))
    transport = slack_transport(slack)
    tried = lambda: slack.calls_to("chat.postMessage")  # noqa: E731
    with PingReceiver() as receiver:
        settings = _settings(database_url, receiver)
        first = _run_until_pinged(settings, receiver, 1, at=START, transport=transport, until=tried)
        later = START + timedelta(minutes=20)
        second = _run_until_pinged(settings, receiver, 2, at=later, transport=transport)
        slack.faults = None
        posted = lambda: slack.messages(ALERTS)  # noqa: E731
        back = START + timedelta(minutes=40)
        _run_until_pinged(settings, receiver, 3, at=back, transport=transport, until=posted)
        after = START + timedelta(minutes=60)
        fourth = _run_until_pinged(settings, receiver, 4, at=after, transport=transport)

    assert first == [PING]
    assert second[1] == PING + "/fail"
    assert slack.messages(ALERTS)
    assert fourth[3] == PING


@pytest.mark.parametrize(
    ("token", "channel"),
    [("xoxb-revoked", ALERTS), ("xoxb-test", None)],
    ids=["revoked-token", "no-alert-channel"],
)
def test_a_dead_letter_makes_the_next_ping_fail(database_url, slack, token, channel) -> None:
    """Slack refuses the bot's token (invalid_auth), or no alert channel is set: the alert's
    notice is a dead letter at once, and the next cycle's ping is /fail; with a good token
    and a channel again, and no new dead letter, the one after is a success."""
    _frozen_line(database_url)
    sessions = session_factory(make_engine(database_url))

    def dead() -> bool:
        with sessions() as session:
            states = session.scalars(select(OutboxMessage.state)).all()
        return "dead" in states

    with PingReceiver() as receiver:
        broken = _settings(database_url, receiver, channel=channel)
        refused = slack_transport(slack, token=token)
        first = _run_until_pinged(broken, receiver, 1, at=START, transport=refused, until=dead)
        later = START + timedelta(minutes=15)
        second = _run_until_pinged(broken, receiver, 2, at=later, transport=refused)
        good = slack_transport(slack)
        after = START + timedelta(minutes=30)
        fixed = _settings(database_url, receiver)
        pinged = _run_until_pinged(fixed, receiver, 3, at=after, transport=good)
        if pinged[-1] != PING:
            # A notice of the second run (the alert's reminder) may have died after its ping:
            # a dead letter since that cycle, told by this one. The next clean cycle is well.
            last = START + timedelta(minutes=45)
            pinged = _run_until_pinged(fixed, receiver, 4, at=last, transport=good)

    assert first == [PING]
    assert second == [PING, PING + "/fail"]
    assert pinged[-1] == PING
    assert len(pinged) in (3, 4)
