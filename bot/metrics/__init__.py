"""What loanwatch tells Prometheus: every metric it exposes, defined once, here.

The domain (bot/ledger, bot/alerts, …) records nothing and imports nothing of this package
(tests/test_layers.py): its callers do. jobs/ records the check cycles, the deliveries and the
scheduler's runs (jobs/instruments.py), bot/slack the slash commands, and every Slack Web API
call goes through `bot.metrics.slack_api.TimedWebClient`. What is read from the database (the
alerts, the outbox) is computed when Prometheus scrapes (`bot.metrics.database`).

Names follow Prometheus' conventions: the unit in the name (`_seconds`), counters end in
`_total`, labels take few values (a slash command's unknown subcommand is `unknown`).

With PROMETHEUS_MULTIPROC_DIR set (before the process starts), prometheus_client keeps these
values in files there and `/metrics` adds up every process's (docs/operations.md).
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram, values

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _prepare_shared_directory() -> str | None:
    """Create PROMETHEUS_MULTIPROC_DIR if it is missing (its parent must exist), before any
    metric is made: prometheus_client opens a file there for each. When it cannot be used, this
    process keeps its metrics to itself (so `loanwatch --help` and the admin commands run) and
    the reason is returned: `web`, `worker` and `run` refuse to start with it (one line)."""
    path = os.environ.get(MULTIPROC_DIR)
    if path is not None and not path.strip():
        # Set but empty: prometheus_client would take it as set and write its files in the
        # working directory (failing every command where that is read-only). Unset is meant.
        del os.environ[MULTIPROC_DIR]
        values.ValueClass = values.MutexValue
        return None
    if not path:
        return None
    problem = "not a writable directory"
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except OSError as exc:
        problem = exc.strerror or str(exc)
    if os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK):
        return None
    del os.environ[MULTIPROC_DIR]
    values.ValueClass = values.MutexValue  # what prometheus_client uses without the variable
    return (
        f"{MULTIPROC_DIR}={path} cannot be used ({problem}): create it (loanwatch creates it "
        "only when its parent exists) or unset the variable"
    )


SHARED_DIRECTORY_PROBLEM = _prepare_shared_directory()

# A cycle takes milliseconds on a small ledger and minutes on a large one (bench/).
CYCLE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# Slack answers within its 3-second window, or we are in trouble.
FAST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

CHECK_CYCLE_SECONDS = Histogram(
    "loanwatch_check_cycle_seconds",
    "How long one check cycle took (the checks, the wake-ups after them, the commit).",
    buckets=CYCLE_BUCKETS,
)
CHECK_CYCLES = Counter(
    "loanwatch_check_cycles_total",
    "Check cycles run, by result: ok, partial (some checks raised, the rest applied) or failed "
    "(the cycle raised and nothing was applied).",
    ["result"],
)
CHECK_FAILURES = Counter(
    "loanwatch_check_failures_total",
    "Checks (and wake-ups) that raised instead of reporting, by name.",
    ["check"],
)
FINDINGS = Counter(
    "loanwatch_findings_total",
    "Findings the checks reported, by check, added up over cycles (a finding still true is "
    "counted again each cycle: rate() is findings per second of checking).",
    ["check"],
)
DELIVERIES = Counter(
    "loanwatch_deliveries_total",
    "Outbox rows a transport was asked to send, by transport and result: sent, retry (a "
    "transient failure, tried again later) or dead (a permanent failure: a dead letter).",
    ["transport", "result"],
)
DEAD_LETTERS = Counter(
    "loanwatch_dead_letters_total",
    "Outbox rows that failed permanently and will not be tried again (an admin alert says so).",
)
SLACK_API_SECONDS = Histogram(
    "loanwatch_slack_api_seconds",
    "How long a Slack Web API call took, by method (chat.postMessage…), retries included.",
    ["method"],
    buckets=FAST_BUCKETS,
)
SLACK_API_ERRORS = Counter(
    "loanwatch_slack_api_errors_total",
    "Slack Web API calls that failed, by method and error (Slack's code, such as "
    "channel_not_found or ratelimited, or the exception's name when Slack did not answer).",
    ["method", "error"],
)
COMMANDS = Counter(
    "loanwatch_commands_total",
    "Slash commands answered, by subcommand and result: ok, invalid (the input was refused "
    "with a message), refused (the person lacks the role) or error (loanwatch failed).",
    ["command", "result"],
)
COMMAND_SECONDS = Histogram(
    "loanwatch_command_seconds",
    "How long a slash command took to answer, by subcommand (Slack waits 3 seconds).",
    ["command"],
    buckets=FAST_BUCKETS,
)
# The label is `scheduled_job`, not `job`: Prometheus sets `job` on every series it scrapes and
# would rename ours to `exported_job`.
SCHEDULER_LAST_RUN = Gauge(
    "loanwatch_scheduler_last_run_timestamp_seconds",
    "When a scheduled job last finished in this process (Unix time), by job.",
    ["scheduled_job"],
    multiprocess_mode="max",
)


@dataclass
class Outcome:
    """What a timed piece of work came to; the work sets `result` before it ends."""

    result: str = "ok"


@contextmanager
def command_timer(command: str) -> Iterator[Outcome]:
    """Count and time one slash command; an exception out of it counts as `error`."""
    outcome = Outcome()
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        outcome.result = "error"
        raise
    finally:
        COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)
        COMMANDS.labels(command, outcome.result).inc()
