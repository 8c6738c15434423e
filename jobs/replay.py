"""`loanwatch check --at` an earlier moment than the checks have already run: a replay.

The alerts are a lifecycle the checks drive forward in time. A run as of last week on a live
database would resolve, for real, every alert whose condition arose since, and open what was
wrong last week, with notifications and audit records to match: the past rewriting the
present. So a run as of a moment earlier than the latest run already made is a *replay*: it
evaluates everything as of that moment (checks, alert decisions, escalations, ticket
follow-ups) in a transaction that is then rolled back, and reports what it found. A run as of
now or later (a plain `loanwatch check`, or the tests and the demo driving a fake clock
forward with `--at`) is real.

When the latest run was: every real run records the moment it evaluated as of in
`check_runs` (:func:`record_check_run`, in the run's own transaction; a replay, rolled back,
leaves none), whether it found anything or not. A prompt run (jobs/prompt.py), which checks
a few facilities as of now, records itself too: it moved those facilities' alerts to now, and a
`check --at` before it would move them back. Runs from before that table (migration 0029)
are still inferred from the traces they left: the moment is written on the alerts a run
touches (`last_seen_at` of every alert it finds, `resolved_at` of those it resolves by itself),
and the scheduler's `checks` job claims a slot for each of its runs; the latest of all counts.
A database no run ever checked has none of these: then the latest thing recorded (the latest
audit record: every change to the ledger writes one) stands for it, so a first run as of a
moment before an entry already made is a replay too (it would open, for real, alerts the next
run resolves), and one as of a moment after everything recorded is real (:func:`latest_known`).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.audit import SYSTEM
from bot.models import Alert, AuditRecord, CheckRun, SchedulerSlot

# The scheduler's job that runs the checks (jobs/scheduler.py claims its slots by this name).
CHECKS_JOB = "checks"

# Admin alerts the delivery worker opens and resolves on its own (real) clock, not a run's.
_NOT_A_RUN = (Check.DELIVERY_FAILED, Check.DELIVERY_DEGRADED)


def record_check_run(
    session: Session, *, at: datetime, recorded_at: datetime, facilities: int | None = None
) -> None:
    """Record that a run of the checks evaluated as of `at` (in the run's transaction);
    `facilities`: how many a prompt run checked (None: the whole portfolio)."""
    session.add(CheckRun(at=at, recorded_at=recorded_at, facilities=facilities))
    session.flush()


def latest_run_at(session: Session) -> datetime | None:
    """The latest moment a run of the checks evaluated as of, None when none left a trace."""
    by_run = Alert.check.not_in(_NOT_A_RUN)
    moments = [
        session.scalar(select(func.max(CheckRun.at))),
        session.scalar(select(func.max(Alert.last_seen_at)).where(by_run)),
        session.scalar(
            select(func.max(Alert.resolved_at)).where(by_run, Alert.resolved_by == SYSTEM.name)
        ),
        session.scalar(
            select(func.max(SchedulerSlot.slot)).where(
                SchedulerSlot.job == CHECKS_JOB, SchedulerSlot.finished_at.is_not(None)
            )
        ),
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class Latest:
    """What a `check --at` earlier than is a replay: the latest run of the checks, or, when
    none left a trace, the latest record in the ledger (``run`` False)."""

    at: datetime
    run: bool


def latest_known(session: Session) -> Latest | None:
    """The latest run's moment, else the latest audit record's; None on an empty database."""
    run = latest_run_at(session)
    if run is not None:
        return Latest(run, run=True)
    recorded = session.scalar(select(func.max(AuditRecord.at)))
    return Latest(recorded, run=False) if recorded is not None else None


def is_replay(asked: datetime | None, latest: datetime | None) -> bool:
    """Whether a run as of `asked` (None: a plain run, as of now) is a replay: only an explicit
    moment earlier than `latest` (:func:`latest_known`) is; a plain run is always real,
    whatever the latest run's moment (a test or the demo may have run the checks as of next
    month)."""
    return asked is not None and latest is not None and asked < latest
