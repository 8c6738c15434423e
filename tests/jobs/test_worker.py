"""`loanwatch worker` as a real process: it checks, alerts, delivers, and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from bot.cli import main
from bot.db import make_engine
from bot.models import Alert, OutboxMessage
from bot.sessions import session_factory

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_alerts_on_a_frozen_line_and_stops_cleanly_on_sigterm(database_url) -> None:
    """On a frozen line the worker opens and delivers the alert, then exits 0 on SIGTERM."""
    assert (
        main(
            [
                "--database-url",
                database_url,
                "facility",
                "add",
                "jiebei-main",
                "--platform",
                "jiebei",
                "--limit",
                "200,000",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--database-url",
                database_url,
                "limit",
                "add",
                "jiebei-main",
                "0",
                "--status",
                "frozen",
            ]
        )
        == 0
    )

    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; sys.exit(main())",
            "--database-url",
            database_url,
            "worker",
        ],
        cwd=ROOT,
        env={**os.environ, "LOANWATCH_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(database_url)
    sessions = session_factory(engine)

    def delivered() -> bool:
        with sessions() as session:
            sent = session.scalars(select(OutboxMessage.state)).all()
            return sent == ["sent"]

    try:
        assert _wait_for(delivered), "the worker did not deliver the alert in time"
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
        engine.dispose()

    assert worker.returncode == 0, err
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "SIGTERM received, stopping" in err
    with sessions() as session:
        [alert] = session.scalars(select(Alert)).all()
    assert (alert.check, alert.state) == ("limit_frozen", "open")
