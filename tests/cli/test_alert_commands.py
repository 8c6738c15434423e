"""`loanwatch check`, `alert` and `silence` as Alice uses them, on SQLite and PostgreSQL."""

import json
import logging
import shlex

import pytest
from sqlalchemy import text

from bot.cli import main
from jobs.checks import CHECKS


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    """Run a loanwatch command line against the test database; returns (status, out, err)."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _alerts(loanwatch) -> list[dict]:
    status, out, _ = loanwatch("export alerts --format json")
    assert status == 0
    return json.loads(out)


def test_a_frozen_line_is_alerted_acknowledged_and_resolved_when_it_thaws(loanwatch) -> None:
    """Frozen reading → a critical alert → Alice acks → a healthy reading resolves it."""
    assert loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")[0] == 0
    assert loanwatch("limit add jiebei-main 0 --status frozen")[0] == 0

    status, out, _ = loanwatch("check")
    assert status == 0
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "1 opened" in out
    [alert] = _alerts(loanwatch)
    assert (alert["check"], alert["state"], alert["severity"]) == (
        "limit_frozen",
        "open",
        "critical",
    )

    status, out, _ = loanwatch(f"alert ack {alert['id']}")
    assert (status, out.strip()) == (0, f"alert {alert['id']} acknowledged by cli:alice")
    assert _alerts(loanwatch)[0]["acknowledged_by"] == "cli:alice"

    status, out, _ = loanwatch("check")
    assert "1 still firing" in out

    assert loanwatch("limit add jiebei-main 200,000 --available 200,000")[0] == 0
    status, out, _ = loanwatch("check")
    assert "1 resolved" in out
    assert _alerts(loanwatch)[0]["state"] == "resolved"


def test_a_silence_keeps_a_new_alert_off_the_console(loanwatch) -> None:
    """During a facility's maintenance silence, the alert is recorded but nobody is told."""
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    status, out, _ = loanwatch('silence add --facility jiebei-main --for 2h --reason "maintenance"')
    assert status == 0
    assert "until" in out
    loanwatch("limit add jiebei-main 0 --status frozen")

    status, out, _ = loanwatch("check")
    assert "CRITICAL" not in out
    assert "1 silenced" in out
    assert _alerts(loanwatch)[0]["state"] == "open"
    assert "maintenance" in loanwatch("silence list")[1]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("alert ack 999", "999"),
        ("alert snooze 1 forever", "forever"),
        ('alert resolve 1 --reason ""', "reason"),
        ('silence add --for 2h --reason "x"', "exactly one of"),
        ('silence add --check no_such_check --for 2h --reason "x"', "no_such_check"),
        ("check --at yesterday", "not a time"),
        ("check --at 0001-01-01T00:00", "is outside the dates loanwatch keeps"),
        ("alert ack ²", "not an alert id"),
        ("alert ack 99999999999", "not an alert id"),
        ("alert snooze ٣ 4h", "not an alert id"),
        ("alert resolve ² --reason paid", "not an alert id"),
        ("silence remove ²", "not a silence id"),
        ("silence remove 99999999999", "not a silence id"),
    ],
)
def test_bad_alert_commands_exit_2_with_one_line_and_change_nothing(loanwatch, command, message):
    """Unknown alerts, bad durations, blank reasons and unscoped silences are refused cleanly."""
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    loanwatch("check")
    before = loanwatch("export audit")[1]

    status, _, err = loanwatch(command)

    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("loanwatch: error:")
    assert message in err
    assert loanwatch("export audit")[1] == before


def test_a_failing_check_still_delivers_the_rest_and_exits_1(loanwatch, monkeypatch, caplog):
    """bill_unexpected raises: the frozen line's alert still goes out, the admins are told which
    check failed, the summary names it, the log has its traceback, and the exit status is 1."""

    def broken_check(session, *_args):
        session.execute(text("SELECT * FROM no_such_table"))
        return []

    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    monkeypatch.setitem(CHECKS, "bill_unexpected", broken_check)

    with caplog.at_level(logging.ERROR, logger="jobs.checks"):
        status, out, _ = loanwatch("check")

    assert status == 1
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "CRITICAL: check_failed" in out
    assert out.strip().splitlines()[-1].endswith("; checks failed: bill_unexpected")
    assert "no_such_table" in caplog.text
    assert [a["check"] for a in _alerts(loanwatch)] == ["limit_frozen", "check_failed"]
