"""Prompt checks: the facilities with new observations, checked within seconds by the worker.

Every write of an observation marks its facility as *checks due*, in the writer's transaction
(`bot.ledger.check_marks`, table `check_requests`). The worker looks every second
(`jobs.scheduler`, the `prompt-checks` job) and, in one transaction:

1. **Claims** the marks that are due: quiet for `delay` since the facility's latest write (a
   burst of readings is checked once, after it), or waiting `max_wait` since the oldest write
   not yet checked (a steady stream is still checked that often). The claim deletes them
   (`DELETE … WHERE facility_id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`): on
   PostgreSQL a mark another worker is claiming, or a writer is still writing, is skipped, so
   each is claimed by one worker; SQLite runs one writer at a time and needs no more.
2. **Runs the checks for those facilities only** (`jobs.checks.run_each_check` with
   `facility_ids`: the scope is applied where every check reads the facility) and applies the
   findings to *their* alerts only (`bot.alerts.detection.apply_findings` with
   `facility_ids`): an alert of another facility is neither opened, found again nor resolved
   by absence, since this run did not look at it.
3. **Records the run** in `check_runs`, with the number of facilities it checked: it moved
   those facilities' alerts to now, so a `check --at` an earlier moment is a replay
   (`jobs.replay`), exactly as after a cycle. A check that raises opens its `check_failed`
   admin alert; only a cycle of the whole portfolio resolves one (a clean run over a few
   facilities says nothing about the rest).
4. Commits, and the worker delivers the notifications at once instead of at the next
   delivery tick.

**One failing facility stops no other.** Each run is in a savepoint; a run over several
facilities that raises is rolled back to it and its facilities are checked again in halves,
each in a savepoint of its own, down to the facility whose run raises (so one poison among 500
costs about twenty runs, not 500). The healthy ones are checked and told as usual. The failing
facility's mark is put back with `attempts` counted and `not_before` a pause ahead
(`PromptOptions.retry_after`, doubled with each failure up to `retry_cap`), so it is not tried
every second; the admins are told once by a `check_failed` alert named after it, resolved by
the first prompt run that checks the facility clean. A failure that breaks the transaction
itself (the database went away) still rolls the whole run back with its claim: the marks are
there again for the next look, and nothing it wrote is kept. A write that lands while its
facility is being checked (PostgreSQL makes the writer wait for the run's commit) leaves a
fresh mark, checked at the next look.

The clock-driven cycle (`jobs.cycle`) still checks everything, and neither reads nor clears
the marks: a prompt run after a cycle finds what the cycle found, which changes no alert and
tells nobody twice. Wake-ups (escalations, ticket follow-ups, reading requests) stay with the
cycle and the minute's wake-up.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.detection import apply_findings
from bot.alerts.policy import RunSummary
from bot.calendar import BusinessCalendar
from bot.db import transaction
from bot.models import CheckRequest
from bot.settings import Settings
from jobs.checks import run_each_check
from jobs.cycle import tell_failed_checks
from jobs.prompt_holds import Mark, hold_back, resolve_held
from jobs.replay import record_check_run

log = logging.getLogger(__name__)

# Facilities per run: a large import marks thousands; they are checked a batch at a time, each
# batch in a transaction of its own, so one run never holds a lock for long.
BATCH = 500


@dataclass(frozen=True)
class PromptOptions:
    """When a marked facility is due: quiet for `delay`, or waiting `max_wait` (capped)."""

    delay: timedelta = timedelta(seconds=2)
    max_wait: timedelta = timedelta(seconds=10)
    batch: int = BATCH
    # A facility whose run raised is tried again after `retry_after`, doubled with each
    # failure, at most `retry_cap` apart.
    retry_after: timedelta = timedelta(seconds=30)
    retry_cap: timedelta = timedelta(minutes=30)

    def pause(self, attempts: int) -> timedelta:
        """How long a facility whose run has failed `attempts` times waits for the next."""
        return min(self.retry_after * 2 ** min(attempts - 1, 16), self.retry_cap)

    @classmethod
    def of(cls, settings: Settings) -> "PromptOptions":
        """The options the settings give."""
        return cls(
            delay=timedelta(seconds=settings.prompt_check_delay_seconds),
            max_wait=timedelta(seconds=settings.prompt_check_max_wait_seconds),
        )


@dataclass(frozen=True)
class PromptReport:
    """What one prompt run checked and did."""

    at: datetime
    facility_ids: list[int]
    findings: int
    summary: RunSummary
    failed: dict[str, str]
    # Facilities whose run raised: their marks are kept, tried again after a pause.
    held_back: list[int] = field(default_factory=list)


def claim_due(session: Session, *, real_now: datetime, options: PromptOptions) -> list[Mark]:
    """Delete the marks due at `real_now` (the real time the marks are stamped in), in the
    caller's transaction; the marks, in facility order. A mark held back after a failure is
    not due before its `not_before`."""
    due = or_(
        CheckRequest.requested_at <= real_now - options.delay,
        CheckRequest.first_requested_at <= real_now - options.max_wait,
    )
    waited = or_(CheckRequest.not_before.is_(None), CheckRequest.not_before <= real_now)
    picked = (
        select(CheckRequest.facility_id)
        .where(due, waited)
        .order_by(CheckRequest.first_requested_at, CheckRequest.facility_id)
        .limit(options.batch)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLAlchemy leaves it out on SQLite
    )
    claimed = session.execute(
        delete(CheckRequest)
        .where(CheckRequest.facility_id.in_(picked.scalar_subquery()))
        .returning(
            CheckRequest.facility_id,
            CheckRequest.requested_at,
            CheckRequest.first_requested_at,
            CheckRequest.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    return sorted(Mark(*row) for row in claimed)


def run_prompt_checks(
    session: Session,
    facility_ids: list[int],
    *,
    now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
) -> PromptReport:
    """Run every check for `facility_ids` as of `now` and apply the findings to their alerts
    alone (the caller commits)."""
    record_check_run(session, at=now, recorded_at=now, facilities=len(facility_ids))
    scope = frozenset(facility_ids)
    run = run_each_check(session, now, settings.thresholds(), calendar, facility_ids=scope)
    policy = settings.alert_policy()
    summary = apply_findings(
        session,
        run.findings,
        now=now,
        policy=policy,
        checks_run=run.ran_clean,
        facility_ids=scope,
    )
    # A check that raised is told to the admins; none is resolved here (see the module's 3.).
    failed = tell_failed_checks(session, run.failed, set(), now=now, policy=policy)
    summary = replace(
        summary,
        opened=summary.opened + failed.opened,
        notified=summary.notified + failed.notified,
    )
    return PromptReport(now, facility_ids, len(run.findings), summary, run.failed)


def prompt_step(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    real_now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    options: PromptOptions,
) -> PromptReport | None:
    """Claim the due marks and check their facilities, in one transaction; None when none was
    due. A facility whose run raises is held back and the others are checked
    (:func:`check_apart`); a failure that breaks the transaction raises, and the claim rolls
    back with everything else."""
    with transaction(sessions) as session:
        marks = claim_due(session, real_now=real_now, options=options)
        if not marks:
            return None
        return check_apart(
            session,
            marks,
            now=now,
            real_now=real_now,
            settings=settings,
            calendar=calendar,
            options=options,
        )


def check_apart(
    session: Session,
    marks: list[Mark],
    *,
    now: datetime,
    real_now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    options: PromptOptions,
) -> PromptReport:
    """Check the marks' facilities together, each run in a savepoint; a run over several that
    raises is rolled back and its facilities checked again in halves, down to the facility
    whose run raises, which is held back (`jobs.prompt_holds.hold_back`)."""
    reports: list[PromptReport] = []
    held: list[tuple[Mark, str]] = []
    pending = [marks]
    while pending:
        part = pending.pop()
        ids = [m.facility_id for m in part]
        try:
            with session.begin_nested():
                reports.append(
                    run_prompt_checks(session, ids, now=now, settings=settings, calendar=calendar)
                )
        except Exception as error:
            if _broken(session, error):
                raise
            if len(part) > 1:
                log.warning("prompt checks of %d facilities raised (%s); halving", len(ids), error)
                half = len(part) // 2
                pending += [part[half:], part[:half]]
            else:
                log.exception("prompt checks of facility %d raised; held back", ids[0])
                held.append((part[0], f"{type(error).__name__}: {error}"))
    policy = settings.alert_policy()
    checked = sorted(i for r in reports for i in r.facility_ids)
    admin = hold_back(session, held, now=now, real_now=real_now, policy=policy, pause=options.pause)
    cleared = resolve_held(session, checked, now=now, policy=policy)
    summary = _sum([r.summary for r in reports] + [RunSummary(**admin), RunSummary(**cleared)])
    return PromptReport(
        now,
        checked,
        sum(r.findings for r in reports),
        summary,
        {k: v for r in reports for k, v in r.failed.items()},
        sorted(m.facility_id for m, _ in held),
    )


def _broken(session: Session, error: Exception) -> bool:
    """True when `error` left no transaction to go on in (the connection was lost)."""
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    return lost or not session.in_transaction()


def _sum(summaries: list[RunSummary]) -> RunSummary:
    """The runs' summaries added up."""
    return RunSummary(
        **{f.name: sum(getattr(s, f.name) for s in summaries) for f in fields(RunSummary)}
    )


def prompt_checks_job(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    real_clock: Callable[[], datetime],
    deliver: Callable[[], object],
    options: PromptOptions | None = None,
) -> Callable[[], None]:
    """The worker's `prompt-checks` job: prompt runs while full batches of marks are due (so a
    steady stream cannot keep it, and the worker's stop, waiting), each followed by a
    delivery, so its notifications go out now. `clock` is the checks' `now` (the worker's),
    `real_clock` the real time the marks' debounce is counted in."""
    calendar = settings.calendar()
    chosen = options or PromptOptions.of(settings)

    def job() -> None:
        while True:
            report = prompt_step(
                sessions,
                now=clock(),
                real_now=real_clock(),
                settings=settings,
                calendar=calendar,
                options=chosen,
            )
            if report is None:
                return
            s = report.summary
            log.info(
                "prompt checks at %s for %d facilities: %d findings, %d opened, %d resolved, "
                "%d notifications",
                report.at.isoformat(),
                len(report.facility_ids),
                report.findings,
                s.opened,
                s.resolved,
                s.notified,
            )
            deliver()
            if report.held_back:
                log.warning(
                    "prompt checks held back facilities %s after their runs raised",
                    ", ".join(map(str, report.held_back)),
                )
            if len(report.facility_ids) + len(report.held_back) < chosen.batch:
                return  # every due mark taken; a full batch may have left more behind

    return job
