"""`loanwatch worker` as a real process with LOANWATCH_LOG_FORMAT=json and a heartbeat URL."""

import json
import os
import signal
import subprocess
import sys
from datetime import datetime

import pytest

from bot.cli import main
from tests.jobs.test_heartbeat import PING, PingReceiver
from tests.jobs.test_worker import ROOT

CLI = "import sys; from bot.cli import main; sys.exit(main())"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_logs_one_json_object_per_line_and_pings_its_switch(database_url) -> None:
    """Every line on stderr is a JSON object with time (UTC), level, event and logger, the
    scheduler's lines (APScheduler's) too; the delivery's lines name the outbox row and the
    alert; the switch hears of the start-up cycle."""
    base = ["--database-url", database_url]
    add = ["facility", "add", "jiebei-main", "--platform", "jiebei", "--limit", "200,000"]
    assert main([*base, *add]) == 0
    assert main([*base, "limit", "add", "jiebei-main", "0", "--status", "frozen"]) == 0

    with PingReceiver() as switch:
        worker = subprocess.Popen(
            [sys.executable, "-c", CLI, *base, "worker"],
            cwd=ROOT,
            env={
                **os.environ,
                "LOANWATCH_LOG_LEVEL": "INFO",
                "LOANWATCH_LOG_FORMAT": "json",
                "LOANWATCH_HEARTBEAT_URL": switch.url,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            pinged = switch.wait_for(1)
        finally:
            worker.send_signal(signal.SIGTERM)
            _out, err = worker.communicate(timeout=30)

    assert worker.returncode == 0, err
    assert pinged == [PING]
    lines = [json.loads(line) for line in err.splitlines()]
    assert all({"time", "level", "event", "logger"} <= line.keys() for line in lines)
    assert all(
        datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0 for line in lines
    )
    assert any(line["logger"].startswith("apscheduler") for line in lines)
    [attempt] = [line for line in lines if "attempt 1" in line["event"]]
    assert attempt["outbox_id"] == 1
    assert attempt["alert_id"] == 1
    assert lines[-1]["event"].startswith("worker ")
    assert lines[-1]["level"] == "info"
