"""Whether loanwatch can do its job: what GET /healthz and GET /readyz answer
(bot.slack.server) and what `loanwatch status` prints (bot.cli.status), from one place.

The report reads only the database, so an admin's shell sees the worker's side too: the
scheduler's last runs (every worker writes its slots there), the outbox, the open alerts and
the checks that fail.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.failures import failing_checks
from bot.alerts.outbox import PENDING, SENDING
from bot.bounded import Bounded
from bot.clock import utcnow
from bot.db import head_revision
from bot.logs import redact
from bot.models import Alert, OutboxMessage, SchedulerSlot

log = logging.getLogger(__name__)


class Health:
    """Whether this process can do its job: the database answers; the scheduler, if it runs one
    here (`loanwatch run`, `loanwatch worker` as `loanwatch status` sees it), is running
    (`worker_died` not set), has claimed a slot within two check intervals, and no check is
    failing.

    The checks failing (an open `check_failed` alert, read from the database, so whichever
    process ran them) are listed under "checks" everywhere. They make the answer unhealthy only
    where the scheduler runs: `loanwatch web` serves Slack whatever the worker's checks do, and
    a load balancer that took it out would take away the commands that fix the data too.

    `grace` gives a fresh process one interval's start before its scheduler counts as stale;
    `loanwatch status`, which runs no scheduler itself, asks without it.

    Each answer waits for the database at most `timeout` seconds (bot.bounded): a database that
    hangs makes the answer unhealthy, in time for the orchestrator asking.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        scheduler_interval: timedelta | None = None,
        worker_died: threading.Event | None = None,
        clock: Callable[[], datetime] = utcnow,
        grace: bool = True,
        timeout: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.scheduler_interval = scheduler_interval
        self.worker_died = worker_died
        self.clock = clock
        self.started: datetime | None = clock() if grace else None
        # Why the database did not answer last, for `loanwatch status` (not for /healthz,
        # whose callers need not learn host names): the error's first line, redacted.
        self.last_error: str | None = None
        self._head: str | None = None
        self._read_report = Bounded(self._report_rows, seconds=timeout, name="health")
        self._read_readiness = Bounded(self._readiness_rows, seconds=timeout, name="readiness")

    def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details) for GET /healthz."""
        try:
            last_slot, failing, work = self._read_report()
        except Exception as exc:
            log.warning("health check: database unreachable", exc_info=True)
            self.last_error = _first_line(exc)
            return False, {"database": f"unreachable: {type(exc).__name__}"}
        details: dict[str, Any] = {
            "database": "ok",
            "scheduler_last_slot": last_slot.isoformat() if last_slot else None,
            "checks": {"failing": failing},
            **work,
        }
        if self.scheduler_interval is None:
            return True, details
        fresh = self._scheduler_fresh(last_slot, details)
        return fresh and not failing, details

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, details) for GET /readyz: the database answers and its schema is the newest
        migration this code ships, neither behind (`loanwatch db upgrade` has not run yet) nor
        ahead (a newer release upgraded it while this process runs the old code); where the
        scheduler runs, it also claimed a slot within two check intervals."""
        try:
            database, code, last_slot = self._read_readiness()
        except Exception as exc:
            log.warning("readiness check: database unreachable", exc_info=True)
            self.last_error = _first_line(exc)
            return False, {"database": f"unreachable: {type(exc).__name__}"}
        current = database == code
        schema = {"database": database, "code": code, "current": current}
        details: dict[str, Any] = {"database": "ok", "schema": schema}
        if self.scheduler_interval is None:
            return current, details
        fresh = self._scheduler_fresh(last_slot, details)
        return current and fresh, details

    def _report_rows(self) -> tuple[datetime | None, list[str], dict[str, Any]]:
        with self.sessions() as session:
            session.execute(text("SELECT 1"))
            last_slot = session.scalar(select(func.max(SchedulerSlot.claimed_at)))
            return last_slot, failing_checks(session), _work(session, self.clock())

    def _readiness_rows(self) -> tuple[str | None, str | None, datetime | None]:
        with self.sessions() as session:
            connection = session.connection()
            database = MigrationContext.configure(connection).get_current_revision()
            code = self._code_head(connection.engine.url.render_as_string(hide_password=False))
            # An empty database (never upgraded) has no table to ask: not ready, not down.
            last_slot = (
                session.scalar(select(func.max(SchedulerSlot.claimed_at)))
                if database is not None
                else None
            )
            return database, code, last_slot

    def _scheduler_fresh(self, last_slot: datetime | None, details: dict[str, Any]) -> bool:
        """Whether a slot was claimed within two intervals (noted in `details["scheduler"]`)."""
        assert self.scheduler_interval is not None
        # The thread that runs the scheduler has ended: no grace, the process is about to stop.
        if self.worker_died is not None and self.worker_died.is_set():
            details["scheduler"] = "stopped"
            return False
        # A fresh process gets the same grace: its first slot may be a whole interval away.
        since = last_slot
        if self.started is not None and (last_slot is None or last_slot <= self.started):
            since = self.started
        fresh = since is not None and self.clock() - since <= 2 * self.scheduler_interval
        details["scheduler"] = "ok" if fresh else ("never ran" if since is None else "stale")
        return fresh

    def _code_head(self, url: str) -> str | None:
        # The migrations this code ships do not change while it runs: read them once.
        if self._head is None:
            self._head = head_revision(url)
        return self._head


def _work(session: Session, now: datetime) -> dict[str, Any]:
    """The scheduler's last run of each job, the outbox's backlog and the open alerts."""
    runs = session.execute(
        select(
            SchedulerSlot.job,
            func.max(SchedulerSlot.claimed_at),
            func.max(SchedulerSlot.finished_at),
        ).group_by(SchedulerSlot.job)
    ).all()
    pending, oldest = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state.in_((PENDING, SENDING))
        )
    ).one()
    open_alerts = session.scalar(select(func.count(Alert.id)).where(Alert.state != "resolved"))
    return {
        "scheduler_runs": {
            job: {"claimed": _iso(claimed), "finished": _iso(finished)}
            for job, claimed, finished in sorted(runs)
        },
        "outbox": {
            "pending": pending,
            "oldest": _iso(oldest),
            "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else None,
        },
        "alerts_open": open_alerts or 0,
    }


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return redact(lines[0] if lines else type(exc).__name__)[:300]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
