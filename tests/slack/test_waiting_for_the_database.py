"""`loanwatch web` and `worker` started while PostgreSQL is not up wait for it, one JSON line
per try, instead of exiting with a traceback into a crash loop."""

import json
import signal
import time

import pytest

from tests.slack.test_processes import free_port, start

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("command", ["web", "worker"])
def test_a_process_started_before_the_database_waits_for_it(command) -> None:
    nowhere = f"postgresql+psycopg://loanwatch:hunter2secret@127.0.0.1:{free_port()}/loanwatch"
    process = start(
        command,
        nowhere,
        "http://127.0.0.1:9/api/",
        free_port(),
        LOANWATCH_LOG_FORMAT="json",
        LOANWATCH_METRICS_PORT="0",
    )
    try:
        time.sleep(4)
        assert process.poll() is None, process.stderr.read()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    waiting = [line for line in lines if "waiting for the database" in line["event"]]
    assert len(waiting) >= 2, stderr  # 1 s, then 2 s apart
    assert "Traceback" not in stderr
    assert "hunter2secret" not in stderr
