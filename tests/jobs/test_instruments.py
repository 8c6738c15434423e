"""What the worker records for Prometheus, read back from prometheus_client's registry as a
scrape would show it: cycles by result, failed checks, findings, and deliveries by transport."""

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import RunSummary
from jobs.cycle import CycleReport
from jobs.instruments import CountingTransport, timed_cycle
from jobs.transports import OutboxMessageView, TransportError

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _finding(check: str) -> Finding:
    return Finding(check, 1, "2026-12-10", Severity.WARNING, "expected 899.75, no bill seen")


def test_a_cycle_that_raises_is_counted_failed_and_still_timed() -> None:
    """The rule LoanwatchCheckCycleFailing reads result="failed"; the duration is kept too."""
    failed, timed = (
        _value("loanwatch_check_cycles_total", result="failed"),
        _value("loanwatch_check_cycle_seconds_count"),
    )
    with pytest.raises(RuntimeError), timed_cycle():
        raise RuntimeError("the database went away")
    assert _value("loanwatch_check_cycles_total", result="failed") == failed + 1
    assert _value("loanwatch_check_cycle_seconds_count") == timed + 1


def test_a_cycle_with_a_check_that_raised_is_partial_and_names_the_check() -> None:
    """Its findings are counted by check, and the check that raised by name."""
    partial = _value("loanwatch_check_cycles_total", result="partial")
    found = _value("loanwatch_findings_total", check="bill_missing")
    raised = _value("loanwatch_check_failures_total", check="limit_frozen")
    report = CycleReport(
        AT,
        [_finding("bill_missing"), _finding("bill_missing")],
        RunSummary(),
        {"limit_frozen": "ValueError: boom"},
    )
    with timed_cycle() as cycle:
        cycle.report = report
    assert _value("loanwatch_check_cycles_total", result="partial") == partial + 1
    assert _value("loanwatch_findings_total", check="bill_missing") == found + 2
    assert _value("loanwatch_check_failures_total", check="limit_frozen") == raised + 1


class Scripted:
    """A transport that answers each send with the next of `outcomes` (None: sent)."""

    name = "slack"

    def __init__(self, *outcomes: TransportError | None) -> None:
        self.outcomes = list(outcomes)

    def send(self, message: OutboxMessageView) -> str | None:
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "C0ALERTS:1.0"


def _row(channel: str) -> OutboxMessageView:
    return OutboxMessageView(id=1, kind="alert.opened", channel=channel, payload={}, attempts=0)


def test_deliveries_are_counted_by_the_transport_the_channel_picks_and_their_result() -> None:
    """Sent, retried (transient) and dead (permanent, also a dead letter), by transport: a row
    for `email:…` is the email transport's, whatever the main one is."""
    before = {
        (t, r): _value("loanwatch_deliveries_total", transport=t, result=r)
        for t in ("slack", "email")
        for r in ("sent", "retry", "dead")
    }
    dead_letters = _value("loanwatch_dead_letters_total")
    transport = CountingTransport(
        Scripted(None, TransportError("rate limited"), TransportError("gone", permanent=True), None)
    )
    transport.send(_row("C0ALERTS"))
    with pytest.raises(TransportError):
        transport.send(_row("C0ALERTS"))
    with pytest.raises(TransportError):
        transport.send(_row("C0GONE"))
    transport.send(_row("email:jiebei"))
    assert transport.name == "slack"  # delivery_degraded alerts still name the destination
    changed = {
        key: _value("loanwatch_deliveries_total", transport=key[0], result=key[1]) - value
        for key, value in before.items()
    }
    assert changed == {
        ("slack", "sent"): 1,
        ("slack", "retry"): 1,
        ("slack", "dead"): 1,
        ("email", "sent"): 1,
        ("email", "retry"): 0,
        ("email", "dead"): 0,
    }
    assert _value("loanwatch_dead_letters_total") == dead_letters + 1
