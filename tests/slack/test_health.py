"""GET /healthz through the real server: the scheduler's heartbeat and the checks that fail.

Under `loanwatch run` the server is healthy while the scheduler claimed a slot within two check
intervals and no check is failing; `loanwatch web` (no scheduler here) lists failing checks but
stays up, so Slack keeps working while the worker's checks are fixed. The clock is the test's.
"""

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.alerts.admin import open_admin_alert, resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.failures import check_failed_fingerprint
from bot.health import Health
from bot.models import SchedulerSlot
from tests.support.slack_app import SlackApp

INTERVAL = timedelta(minutes=15)


@pytest.fixture
def worker_died() -> threading.Event:
    """Set by `loanwatch run` when its scheduler-and-delivery thread has ended on its own."""
    return threading.Event()


@pytest.fixture
def run(settings, sessions, clock, worker_died) -> Iterator[SlackApp]:
    """The server as `loanwatch run` serves it: its health includes the scheduler."""
    health = Health(sessions, scheduler_interval=INTERVAL, worker_died=worker_died, clock=clock)
    with SlackApp.start(settings, sessions, clock=clock, health=health) as running:
        yield running


def claim_slot(sessions, at) -> None:
    """The scheduler claims the checks' slot at `at`, as jobs.scheduler does."""
    with sessions.begin() as session:
        session.add(SchedulerSlot(job="checks", slot=at, claimed_by="worker-1", claimed_at=at))


def check_fails(sessions, clock, check: str = "bill_unexpected") -> None:
    """A cycle found `check` raising: its check_failed alert is open."""
    with sessions.begin() as session:
        open_admin_alert(
            session,
            check=Check.CHECK_FAILED,
            fingerprint=check_failed_fingerprint(check),
            summary=f"the check {check} raised an error instead of reporting",
            facts={"Check": check},
            now=clock(),
        )


def test_a_scheduler_heard_from_within_two_intervals_is_healthy(run, sessions, clock) -> None:
    """A slot claimed 30 minutes ago, with checks every 15: 200, scheduler ok, nothing failing."""
    claim_slot(sessions, clock())
    clock.advance(minutes=30)

    answer = run.request("GET", "/healthz")

    assert answer.status == 200
    assert (answer.body["ok"], answer.body["scheduler"]) == (True, "ok")
    assert answer.body["checks"] == {"failing": []}


def test_a_scheduler_silent_for_longer_than_two_intervals_is_stale(run, sessions, clock) -> None:
    """One second past two intervals since its last slot, the scheduler is stale: 503."""
    claim_slot(sessions, clock())
    clock.advance(minutes=30, seconds=1)

    answer = run.request("GET", "/healthz")

    assert answer.status == 503
    assert (answer.body["ok"], answer.body["scheduler"]) == (False, "stale")
    assert answer.body["scheduler_last_slot"] is not None


def test_a_process_that_never_claimed_a_slot_goes_stale_after_its_grace(run, clock) -> None:
    """A fresh process gets two intervals for its first slot; after that, no slot is stale."""
    assert run.request("GET", "/healthz").status == 200
    clock.advance(minutes=30, seconds=1)

    answer = run.request("GET", "/healthz")

    assert (answer.status, answer.body["scheduler"]) == (503, "stale")


def test_a_scheduler_whose_thread_died_is_stopped_at_once(
    run, sessions, clock, worker_died
) -> None:
    """A slot claimed a minute ago, but the thread that runs the scheduler has ended: 503 and
    "stopped" at once, no grace."""
    claim_slot(sessions, clock())
    clock.advance(minutes=1)
    worker_died.set()

    answer = run.request("GET", "/healthz")

    assert (answer.status, answer.body["scheduler"]) == (503, "stopped")


def test_a_failing_check_makes_run_unhealthy_until_it_runs_clean(run, sessions, clock) -> None:
    """The scheduler ticks, but bill_unexpected raises every cycle: 503 naming it; once its
    alert resolves (the check ran clean), 200 again."""
    claim_slot(sessions, clock())
    check_fails(sessions, clock)

    failing = run.request("GET", "/healthz")
    with sessions.begin() as session:
        resolve_admin_alert(
            session,
            fingerprint=check_failed_fingerprint("bill_unexpected"),
            reason="the check ran clean again",
            now=clock(),
        )
    healed = run.request("GET", "/healthz")

    assert failing.status == 503
    assert (failing.body["scheduler"], failing.body["checks"]) == (
        "ok",
        {"failing": ["bill_unexpected"]},
    )
    assert healed.status == 200
    assert healed.body["checks"] == {"failing": []}


def test_web_lists_a_failing_check_and_stays_up(app, sessions, clock) -> None:
    """`loanwatch web` runs no scheduler: it names the failing checks, and answers 200 so a
    load balancer keeps sending it Slack's requests."""
    check_fails(sessions, clock, "data_stale")
    check_fails(sessions, clock, "bill_unexpected")

    answer = app.request("GET", "/healthz")

    assert answer.status == 200
    assert answer.body["checks"] == {"failing": ["bill_unexpected", "data_stale"]}
    assert "scheduler" not in answer.body


def test_readiness_where_the_scheduler_runs_needs_a_slot_within_two_intervals(
    run, sessions, clock
) -> None:
    """/readyz under the scheduler: the schema is current, but a slot 30 min 1 s old (checks
    every 15) is stale: 503."""
    claim_slot(sessions, clock())
    clock.advance(minutes=30)
    ready = run.request("GET", "/readyz")
    clock.advance(seconds=1)

    stale = run.request("GET", "/readyz")

    assert (ready.status, ready.body["scheduler"]) == (200, "ok")
    assert (stale.status, stale.body["scheduler"]) == (503, "stale")
    assert stale.body["schema"]["current"] is True
