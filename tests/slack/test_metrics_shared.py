"""Several processes of one host sharing PROMETHEUS_MULTIPROC_DIR and one metrics port: the
port outlives the process that took it first, and a directory that is missing or unusable is
handled before any metric is made."""

import logging
import subprocess
import time

import pytest

from bot.metrics import exposition
from bot.metrics.exposition import MetricsServer, Standby, serve_metrics
from tests.slack.test_processes import LOANWATCH, free_port
from tests.support.metrics import scrape


def test_a_sibling_takes_the_metrics_port_over_when_its_server_is_gone(
    sessions, tmp_path, monkeypatch, caplog
) -> None:
    """Two workers' metrics on one port: the second waits; when the first is gone (its server
    closed, as a killed process's would be), the second serves /metrics on that port."""
    directory = tmp_path / "metrics"  # its own: the SQLite file is in tmp_path
    directory.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setattr(exposition, "TAKEOVER_SECONDS", 0.1)
    port = free_port()
    first = serve_metrics(sessions, host="127.0.0.1", port=port)
    second = serve_metrics(sessions, host="127.0.0.1", port=port)
    try:
        assert isinstance(first, MetricsServer)
        assert isinstance(second, Standby)
        assert scrape(port).values
        with caplog.at_level(logging.INFO, logger="bot.metrics.exposition"):
            first.close()
            deadline = time.monotonic() + 10
            while second.server is None and time.monotonic() < deadline:
                time.sleep(0.05)
        assert scrape(port).values
        assert f"took port {port} over" in caplog.text
    finally:
        second.close()


def _loanwatch(*args: str, directory: str, tmp_path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "PROMETHEUS_MULTIPROC_DIR": directory,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
        "LOANWATCH_METRICS_PORT": "0",
    }
    return subprocess.run(
        [LOANWATCH, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_a_missing_shared_directory_is_created(tmp_path) -> None:
    """PROMETHEUS_MULTIPROC_DIR naming a directory not made yet: loanwatch makes it."""
    directory = tmp_path / "metrics"

    done = _loanwatch("db", "upgrade", directory=str(directory), tmp_path=tmp_path)

    assert done.returncode == 0, done.stderr
    assert directory.is_dir()
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["--help"], ["db", "upgrade"]])
def test_a_shared_directory_that_cannot_be_made_leaves_help_and_admin_commands_working(
    tmp_path, command
) -> None:
    """Its parent missing too: help and the admin commands run (their metrics their own)."""
    done = _loanwatch(*command, directory=str(tmp_path / "no" / "metrics"), tmp_path=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_refuses_a_shared_directory_it_cannot_use_in_one_line(tmp_path) -> None:
    """`loanwatch worker` would serve only its own values: it says why, once, and exits 2."""
    directory = str(tmp_path / "no" / "metrics")

    done = _loanwatch("worker", directory=directory, tmp_path=tmp_path)

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert f"PROMETHEUS_MULTIPROC_DIR={directory} cannot be used" in line


def test_an_empty_shared_directory_setting_is_no_setting(tmp_path) -> None:
    """`PROMETHEUS_MULTIPROC_DIR=` (as an env file leaves it): no metric files written in the
    working directory, which may be read-only."""
    done = _loanwatch("db", "upgrade", directory="", tmp_path=tmp_path)

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["lw.db"]
