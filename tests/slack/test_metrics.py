"""/metrics as an admin's Prometheus and Grafana see it: scraped from real `loanwatch web` and
`loanwatch worker` processes, parsed with prometheus_client's own parser."""

import signal
import socket
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.outbox import DEAD, PENDING, SENDING, SENT
from bot.alerts.policy import AlertPolicy, AlertState
from bot.clock import utcnow
from bot.db import transaction
from bot.models import Alert, CheckRun, OutboxMessage
from jobs.cycle import run_check_cycle
from tests.slack.test_processes import free_port, start, wait_until_serving
from tests.support.metrics import Samples, scrape
from tests.support.slack_app import ALERTS, SIGNING_SECRET, SlackApp, app_settings


def _until(scrape_now: Callable[[], Samples], done: Callable[[Samples], bool]) -> Samples:
    deadline = time.monotonic() + 30
    while True:
        samples = scrape_now()
        if done(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def _stop(process) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    return stderr


def test_web_counts_a_command_and_shows_the_alerts_and_outbox_a_cycle_left(
    database_url, slack, clock, jiebei, sessions
) -> None:
    """After a signed `/loan limit … frozen` and a check cycle, `loanwatch web`'s /metrics
    counts the command as ok and timed, the Slack API call it made, and shows as many open
    alerts and pending outbox rows as the database holds."""
    port = free_port()
    process = start("web", database_url, slack.api_url, port)
    client = SlackApp(port, SIGNING_SECRET, clock)
    try:
        wait_until_serving(client, process)
        before = scrape(port)
        answer = client.command("limit jiebei-main 200,000 frozen")
        assert answer.status == 200, answer.body
        assert client.command("limit no-such-line 1").status == 200
        settings = app_settings(database_url, slack.api_url)
        with transaction(sessions) as session:
            run_check_cycle(
                session,
                now=utcnow() + timedelta(minutes=1),
                settings=settings,
                calendar=settings.calendar(),
            )
        after = scrape(port)
    finally:
        stderr = _stop(process)
    assert process.returncode == 0, stderr

    ok = {"command": "limit", "result": "ok"}
    assert (
        after.value("loanwatch_commands_total", **ok)
        == before.value("loanwatch_commands_total", **ok) + 1
    )
    assert after.value("loanwatch_commands_total", command="limit", result="invalid") == 1
    assert after.value("loanwatch_command_seconds_count", command="limit") == 2
    assert after.total("loanwatch_slack_api_seconds_count") > 0
    assert after.types["loanwatch_command_seconds"] == "histogram"

    with sessions() as session:
        unresolved = dict(
            session.execute(
                select(Alert.severity, func.count())
                .where(Alert.state != AlertState.RESOLVED)
                .group_by(Alert.severity)
            ).all()
        )
        pending = session.scalar(
            select(func.count()).where(OutboxMessage.state.in_((PENDING, SENDING)))
        )
    assert unresolved.get("critical", 0) >= 1  # the frozen line
    assert after.value("loanwatch_alerts", state="open", severity="critical") == unresolved.get(
        "critical", 0
    )
    assert after.total("loanwatch_alerts") == sum(unresolved.values())
    assert before.total("loanwatch_alerts") == 0
    assert after.value("loanwatch_outbox_pending") == pending > 0
    assert after.value("loanwatch_outbox_oldest_age_seconds") >= 0
    assert after.value("loanwatch_database_up") == 1


def _critical_alerts(sessions, facility_id: int | None, count: int, channel: str = ALERTS) -> None:
    findings = [
        Finding(
            "limit_frozen",
            facility_id,
            f"subject-{n}",
            Severity.CRITICAL,
            "the line shows frozen",
            {"Status": "frozen"},
        )
        for n in range(count)
    ]
    with sessions.begin() as session:
        apply_findings(session, findings, now=utcnow(), policy=AlertPolicy(default_channel=channel))


def test_worker_serves_its_cycles_deliveries_and_scheduler_on_its_metrics_port(
    database_url, slack, jiebei, sessions
) -> None:
    """`loanwatch worker` with LOANWATCH_METRICS_PORT serves /metrics there: its catch-up check
    cycle counted and timed, the scheduler's last run of the checks, every outbox row it sent
    to Slack counted as sent and its chat.postMessage timed, and the outbox emptied."""
    _critical_alerts(sessions, jiebei.id, 2)
    metrics_port = free_port()
    started = time.time()
    process = start(
        "worker",
        database_url,
        slack.api_url,
        free_port(),
        LOANWATCH_METRICS_PORT=str(metrics_port),
    )
    try:
        samples = _until(
            lambda: _scrape_or_empty(metrics_port, process),
            lambda s: (
                s.value("loanwatch_scheduler_last_run_timestamp_seconds", scheduled_job="checks")
                > 0
                and s.value("loanwatch_outbox_pending") == 0
                and s.value("loanwatch_deliveries_total", transport="slack", result="sent") >= 2
            ),
        )
    finally:
        stderr = _stop(process)
    assert process.returncode == 0, stderr
    with sessions() as session:
        sent = session.scalar(select(func.count()).where(OutboxMessage.state == SENT))
    assert sent >= 2
    assert samples.value("loanwatch_deliveries_total", transport="slack", result="sent") == sent
    assert samples.value("loanwatch_check_cycles_total", result="ok") >= 1
    assert samples.value("loanwatch_check_cycle_seconds_count") >= 1
    assert samples.value("loanwatch_outbox_pending") == 0
    last_checks = samples.value(
        "loanwatch_scheduler_last_run_timestamp_seconds", scheduled_job="checks"
    )
    assert started <= last_checks <= time.time()
    assert samples.value("loanwatch_slack_api_seconds_count", method="chat.postMessage") >= sent
    assert samples.value("loanwatch_dead_letters_total") == 0
    assert "serving metrics on http://127.0.0.1:" in stderr


def _scrape_or_empty(port: int, process) -> Samples:
    if process.poll() is not None:
        raise AssertionError(f"the worker exited: {process.stderr.read()}")
    try:
        return scrape(port)
    except OSError:
        return Samples({}, {})


def test_a_worker_whose_metrics_port_is_taken_says_what_to_do_and_goes_on(
    database_url, slack, jiebei, sessions
) -> None:
    """Two workers on one host given the same port, without multiprocess mode: the second
    logs that it cannot serve metrics and what to do, and still delivers the alerts."""
    _critical_alerts(sessions, jiebei.id, 1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(
            "worker", database_url, slack.api_url, free_port(), LOANWATCH_METRICS_PORT=str(port)
        )
        try:
            # Its catch-up check cycle first (it may resolve and open alerts), then every notice.
            _wait_for(
                lambda: (
                    (_checked(sessions) and _outbox_states(sessions) == {SENT})
                    or process.poll() is not None
                )
            )
        finally:
            stderr = _stop(process)
    assert process.returncode == 0, stderr
    assert f"cannot serve metrics on 127.0.0.1:{port}" in stderr
    assert "its own LOANWATCH_METRICS_PORT" in stderr
    assert _outbox_states(sessions) == {SENT}


def _sent(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(OutboxMessage.state == SENT)) or 0


def _checked(sessions) -> bool:
    """A check cycle has run (and queued what it found, in its own transaction)."""
    with sessions() as session:
        return bool(session.scalar(select(func.count()).select_from(CheckRun)))


def _outbox_states(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(OutboxMessage.state)))


@pytest.mark.parametrize("blank", ["0", ""])
def test_a_metrics_port_of_0_or_blank_serves_none(blank) -> None:
    """LOANWATCH_METRICS_PORT=0 or left blank turns the worker's metrics server off."""
    settings = app_settings("sqlite://", "http://127.0.0.1:1/", LOANWATCH_METRICS_PORT=blank)
    assert settings.metrics_port == 0


def test_a_notification_to_a_channel_gone_shows_as_a_dead_letter_and_a_slack_error(
    database_url, slack, sessions
) -> None:
    """An alert whose channel Slack does not know: the worker's /metrics counts as many dead
    letters, and deliveries to Slack that ended dead, as the outbox holds, and Slack's
    channel_not_found by method."""
    _critical_alerts(sessions, None, 1, channel="C0GONE")
    metrics_port = free_port()
    process = start(
        "worker", database_url, slack.api_url, free_port(), LOANWATCH_METRICS_PORT=str(metrics_port)
    )
    try:
        # Settled: the catch-up cycle has run and everything it wrote has been tried.
        _until(
            lambda: _scrape_or_empty(metrics_port, process),
            lambda s: (
                s.value("loanwatch_dead_letters_total") >= 1
                and s.value("loanwatch_outbox_pending") == 0
                and s.value(
                    "loanwatch_scheduler_last_run_timestamp_seconds", scheduled_job="checks"
                )
                > 0
            ),
        )
        with sessions() as session:
            dead = session.scalar(select(func.count()).where(OutboxMessage.state == DEAD))
        samples = scrape(metrics_port)
    finally:
        stderr = _stop(process)
    assert process.returncode == 0, stderr
    assert dead >= 1
    assert samples.value("loanwatch_dead_letters_total") == dead
    assert samples.value("loanwatch_deliveries_total", transport="slack", result="dead") == dead
    assert samples.total("loanwatch_slack_api_errors_total", error="channel_not_found") >= 1


def test_run_over_http_serves_its_check_cycles_on_the_slack_port(
    database_url, slack, clock, jiebei
) -> None:
    """`loanwatch run` over HTTP: the checks it runs itself show on GET /metrics of PORT."""
    port = free_port()
    process = start("run", database_url, slack.api_url, port, LOANWATCH_METRICS_PORT="0")
    client = SlackApp(port, SIGNING_SECRET, clock)
    try:
        wait_until_serving(client, process)
        samples = _until(
            lambda: scrape(port),
            lambda s: (
                s.value("loanwatch_scheduler_last_run_timestamp_seconds", scheduled_job="checks")
                > 0
            ),
        )
    finally:
        stderr = _stop(process)
    assert process.returncode == 0, stderr
    assert samples.value("loanwatch_check_cycles_total", result="ok") >= 1
    assert samples.value("loanwatch_check_cycle_seconds_count") >= 1
    assert samples.value("loanwatch_scheduler_last_run_timestamp_seconds", scheduled_job="checks")


def test_two_workers_in_multiprocess_mode_show_every_delivery_on_one_port(
    database_url, slack, jiebei, sessions, tmp_path
) -> None:
    """Two workers on one host sharing PROMETHEUS_MULTIPROC_DIR and one metrics port: the one
    that took the port shows the deliveries of both, added up; the other says it serves none."""
    metrics_port = free_port()
    directory = tmp_path / "metrics"  # its own: the SQLite file is in tmp_path
    directory.mkdir()
    shared = {
        "LOANWATCH_METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    first = start("worker", database_url, slack.api_url, free_port(), **shared)
    second = None
    try:
        _until(lambda: _scrape_or_empty(metrics_port, first), lambda s: bool(s.values))
        second = start("worker", database_url, slack.api_url, free_port(), **shared)
        # Both schedulers run (each has stamped a job) before there is anything to deliver.
        _wait_for(lambda: len({p.stem for p in directory.glob("gauge_max_*.db")}) == 2)
        _critical_alerts(sessions, jiebei.id, 4)
        samples = _until(
            lambda: _scrape_or_empty(metrics_port, first),
            # Every row sent, and counted on the one port as the outbox has it (a worker's check
            # cycle may queue more meanwhile: the two agree at one moment).
            lambda s: (
                s.value("loanwatch_outbox_pending") == 0
                and s.value("loanwatch_deliveries_total", transport="slack", result="sent")
                == _sent(sessions)
                >= 4
            ),
        )
    finally:
        second_stderr = _stop(second) if second is not None else ""
        first_stderr = _stop(first)
    assert second is not None
    assert (first.returncode, second.returncode) == (0, 0), first_stderr + second_stderr
    assert samples.value("loanwatch_deliveries_total", transport="slack", result="sent") >= 4
    assert f"port {metrics_port} is taken" in second_stderr
    assert "serving metrics on" in first_stderr


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_listeners_own_slack_calls_are_timed(app, slack, jiebei) -> None:
    """Bolt's client for each request is swapped for the timed one: the form `/loan draw`
    opens (views.open, called by the listener) shows in loanwatch_slack_api_seconds."""

    def opened() -> float:
        sample = "loanwatch_slack_api_seconds_count"
        return REGISTRY.get_sample_value(sample, {"method": "views.open"}) or 0.0

    before = opened()
    assert app.command("draw").status == 200
    assert slack.calls_to("views.open")
    assert opened() == before + 1
