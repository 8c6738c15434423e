"""A PostgreSQL that hangs (accepts connections, never answers) does not freeze loanwatch: the
health checks and /metrics say so within seconds, Slack's unsigned requests are refused without
waiting for it, and `loanwatch status` exits non-zero fast."""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import create_engine, text

from bot.db import make_engine, upgrade
from bot.health import Health
from bot.metrics.exposition import metrics_page
from bot.sessions import session_factory
from bot.slack.server import Serving, make_server, wsgi_app
from tests.support.private_postgres import PrivatePostgres
from tests.support.smtp_server import free_port

pytestmark = pytest.mark.postgres

LOANWATCH = str(Path(sys.executable).with_name("loanwatch"))
QUICK = 10.0  # seconds: the bound is 2 s here; the machine may be loaded


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@contextmanager
def frozen(server: PrivatePostgres) -> Iterator[None]:
    """SIGSTOP the server's postmaster and every backend; SIGCONT them whatever happens."""
    postmaster = int((server.data / "postmaster.pid").read_text().splitlines()[0])
    pids = [postmaster, *_children(postmaster)]
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        yield
    finally:
        for pid in [postmaster, *_children(postmaster)]:
            os.kill(pid, signal.SIGCONT)


def _get(url: str, data: bytes | None = None) -> tuple[int, bytes, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, data=data, timeout=60) as answer:
            return answer.status, answer.read(), time.monotonic() - started
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(), time.monotonic() - started


def test_a_frozen_database_is_reported_fast_and_does_not_hang_the_web(tmp_path) -> None:
    with PrivatePostgres.started(free_port()) as server:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE loanwatch"))
        admin.dispose()
        url = server.url("loanwatch")
        upgrade(url)
        engine = make_engine(url, timeout=2)
        sessions = session_factory(engine)
        app = App(signing_secret="s3cret", token="xoxb-test", token_verification_enabled=False)
        health = Health(sessions, timeout=2)
        application = wsgi_app(app, health, signing_secret="s3cret", metrics=metrics_page(sessions))
        serving = Serving(make_server(application, host="127.0.0.1", port=0, threads=4))
        loop = threading.Thread(target=serving.run, daemon=True)
        loop.start()
        base = f"http://127.0.0.1:{serving.port}"
        try:
            assert _get(base + "/healthz")[0] == 200  # a pooled connection, then frozen
            with frozen(server):
                for _ in range(3):  # a scrape storm does not use up the threads
                    status, _, took = _get(base + "/healthz")
                    assert (status, took < QUICK) == (503, True)
                    status, body, took = _get(base + "/metrics")
                    assert b"loanwatch_database_up 0.0" in body
                    assert took < QUICK
                status, _, took = _get(base + "/slack/events", data=b"token=x&command=/loan")
                assert (status, took < QUICK) == (401, True)
                started = time.monotonic()
                done = subprocess.run(
                    [LOANWATCH, "status"],
                    env={
                        **os.environ,
                        "DATABASE_URL": url,
                        "LOANWATCH_DATABASE_TIMEOUT_SECONDS": "2",
                    },
                    capture_output=True,
                    text=True,
                    timeout=60,
                    cwd=tmp_path,
                )
                assert done.returncode != 0
                assert time.monotonic() - started < 2 * QUICK
                assert "database:  unreachable" in done.stdout, done.stdout + done.stderr
        finally:
            serving.close()
            loop.join(30)
            engine.dispose()
