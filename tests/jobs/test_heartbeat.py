"""The dead man's switch: LOANWATCH_HEARTBEAT_URL hears from the worker after each check cycle.

A receiver on loopback (port 0) stands in for healthchecks.io: it records the paths it is asked
for. The worker is the real `run_worker` (or the real `loanwatch worker` process), whose
start-up catch-up cycle runs at once.
"""

import io
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.settings import Settings
from jobs import checks
from jobs.heartbeat import Heartbeat
from jobs.transports.console import ConsoleTransport
from jobs.worker import run_worker
from tests.jobs.test_cycle import broken_check

PING = "/ping/5f1c0a9e-1b7d-4c55-9a52-0e5a1b2c3d4e"


class PingReceiver:
    """A healthchecks.io stand-in on 127.0.0.1: records each GET's path; `hang` seconds before
    it answers."""

    def __init__(self, hang: float = 0.0) -> None:
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver.paths.append(self.path)
                time.sleep(hang)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PING}"

    def __enter__(self) -> "PingReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, seconds: float = 30.0) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.paths) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.paths)


@pytest.fixture
def receiver() -> Iterator[PingReceiver]:
    with PingReceiver() as running:
        yield running


def _worker_runs(settings: Settings, until: PingReceiver) -> list[str]:
    """Run the worker until the receiver was pinged once; the paths it was asked for."""
    stop = threading.Event()
    fixed = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    runner = threading.Thread(
        target=run_worker,
        args=(settings, ConsoleTransport(io.StringIO()), stop),
        kwargs={"clock": lambda: fixed},
    )
    runner.start()
    try:
        return until.wait_for(1)
    finally:
        stop.set()
        runner.join(timeout=30)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_clean_check_cycle_pings_the_heartbeat_url(database_url, receiver) -> None:
    """The worker's check cycle ran clean: one GET on the URL itself, no /fail."""
    settings = Settings(
        _env_file=None, DATABASE_URL=database_url, LOANWATCH_HEARTBEAT_URL=receiver.url
    )

    assert _worker_runs(settings, receiver) == [PING]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_check_that_raises_makes_the_cycle_ping_fail(database_url, receiver, monkeypatch) -> None:
    """bill_unexpected raises in the cycle: the GET goes to <url>/fail."""
    monkeypatch.setitem(checks.CHECKS, "bill_unexpected", broken_check)
    settings = Settings(
        _env_file=None, DATABASE_URL=database_url, LOANWATCH_HEARTBEAT_URL=receiver.url + "/"
    )

    assert _worker_runs(settings, receiver) == [PING + "/fail"]


def test_a_hanging_service_never_holds_up_a_cycle() -> None:
    """The service takes 2 s to answer: each ping returns at once, and pings past the two
    waiting are dropped rather than queued."""
    with PingReceiver(hang=2.0) as slow:
        heartbeat = Heartbeat(slow.url, timeout=5.0)
        started = time.monotonic()
        pings = [heartbeat.cycle_done(ok=True) for _ in range(5)]
        took = time.monotonic() - started
        heartbeat.close()

    assert took < 0.5
    assert [ping is not None for ping in pings] == [True, True, False, False, False]


def test_a_failed_ping_is_logged_not_raised(caplog) -> None:
    """Nobody listens on the URL's port: the ping's failure is a warning in the log."""
    with PingReceiver() as gone:
        url = gone.url
    heartbeat = Heartbeat(url, timeout=1.0)

    with caplog.at_level(logging.WARNING, logger="jobs.heartbeat"):
        ping = heartbeat.cycle_done(ok=False)
        assert ping is not None
        ping.result(timeout=10)
    heartbeat.close()

    assert "heartbeat: the ping failed (URLError" in caplog.text
