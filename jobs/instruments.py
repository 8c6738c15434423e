"""What the worker records for Prometheus (bot.metrics): its check cycles, its deliveries and
its scheduled jobs' runs. The domain computes; these callers count.

    transport = CountingTransport(transport)            # loanwatch_deliveries_total, dead letters
    with timed_cycle() as cycle:                        # loanwatch_check_cycle_seconds …
        cycle.report = run_check_cycle(...)
    job = stamped("checks", job)                         # …_scheduler_last_run_timestamp_seconds
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from bot.alerts.checks import Check
from bot.metrics import (
    CHECK_CYCLE_SECONDS,
    CHECK_CYCLES,
    CHECK_FAILURES,
    DEAD_LETTERS,
    DELIVERIES,
    FINDINGS,
    SCHEDULER_LAST_RUN,
)
from jobs.cycle import CycleReport
from jobs.transports import OutboxMessageView, Transport, TransportError
from jobs.transports.routing import PLATFORM_SCHEMES

P = ParamSpec("P")
R = TypeVar("R")

# Every check's series exists from the start (at 0), so a panel and a rate() have it.
for _check in Check:
    FINDINGS.labels(_check.value)
for _result in ("ok", "partial", "failed"):
    CHECK_CYCLES.labels(_result)


@dataclass
class CycleOutcome:
    """Set `report` when the cycle's transaction has committed."""

    report: CycleReport | None = None


@contextmanager
def timed_cycle() -> Iterator[CycleOutcome]:
    """Time one check cycle and count it with its findings and failed checks: `ok`, `partial`
    (some checks raised; the rest applied) or `failed` (it raised: nothing was applied)."""
    outcome = CycleOutcome()
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        CHECK_CYCLES.labels("failed").inc()
        raise
    finally:
        CHECK_CYCLE_SECONDS.observe(time.perf_counter() - started)
    report = outcome.report
    if report is None:
        return
    for finding in report.findings:
        FINDINGS.labels(str(finding.check)).inc()
    count_failures(report.failed)
    CHECK_CYCLES.labels("partial" if report.failed else "ok").inc()


def count_failures(failed: Iterable[str]) -> None:
    """Count the checks or wake-ups that raised (a cycle's, or the minute's wake-ups')."""
    for check in failed:
        CHECK_FAILURES.labels(check).inc()


def stamped(job: str, work: Callable[P, R]) -> Callable[P, R]:
    """`work`, recording the real time it last finished without raising as the job's
    `loanwatch_scheduler_last_run_timestamp_seconds` (Prometheus compares it with time())."""
    gauge = SCHEDULER_LAST_RUN.labels(job)

    @wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result = work(*args, **kwargs)
        gauge.set_to_current_time()
        return result

    return run


class CountingTransport:
    """A transport that counts what it was asked to send, by the transport the row's channel
    picks (`slack`, `email`, `webhook`, `console`) and the result: `sent`, `retry` or `dead`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.name: str = getattr(transport, "name", type(transport).__name__.lower())

    def send(self, message: OutboxMessageView) -> str | None:
        """Send through the wrapped transport; count the result, raise what it raised."""
        scheme = (message.channel or "").partition(":")[0]
        transport = scheme if scheme in PLATFORM_SCHEMES else self.name
        try:
            reference = self.transport.send(message)
        except TransportError as exc:
            # A permanent error is what makes the delivery worker write the row off.
            DELIVERIES.labels(transport, "dead" if exc.permanent else "retry").inc()
            if exc.permanent:
                DEAD_LETTERS.inc()
            raise
        except Exception:
            DELIVERIES.labels(transport, "retry").inc()  # unknown trouble is transient
            raise
        DELIVERIES.labels(transport, "sent").inc()
        return reference
