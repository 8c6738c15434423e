"""The checks: each a function of the database at a time `now`, returning findings.

Every check takes ``(session, now, thresholds, calendar)`` and reads the whole portfolio in
set-based queries: a few per check, plus one per chunk of candidate facilities where a check
probes only the facilities another query singled out (never one query per facility). An
optional fifth argument, the cycle's :class:`CycleScans`, lets checks that read the same thing
share one query; without it a check makes its own, with the same findings.
A facility's own non-NULL threshold columns override `thresholds`. Inactive facilities are not
checked. A prompt run (jobs/prompt.py) checks a few facilities only: `facility_ids` scopes the
cycle's scans (`common.facilities`, the one place every query reads the facility from) and
the findings. See each check's docstring for its exact boundaries.

:func:`run_checks` raises when a check raises (for tests and tools that want to see it);
:func:`run_each_check`, which the check cycle uses, runs each check apart so that one that
raises stops no other.

Where the checks live: `bills/` (the seven bill checks, and what they read once a cycle in
`bills/scans.py`); `limits.py` (the five limit checks), which read one query in `readings.py`
and go by the rules in `limit_rules.py`; `freshness.py` (`data_stale`); `draws.py`
(`draw_unconfirmed`); `repayments.py` (`repayment_mismatch`); `unavailable.py`
(`platform_unavailable`); `common.py` (the cycle's scans,
and the SQL, time and matching helpers they all use).
"""

import logging
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.thresholds import Thresholds
from jobs.checks.bills.due import bill_due_soon, bill_overdue
from jobs.checks.bills.expected import bill_amount_mismatch, bill_missing
from jobs.checks.bills.paid import repayment_unlogged, repayment_unseen
from jobs.checks.bills.unexpected import bill_unexpected
from jobs.checks.common import CheckFn, CycleScans
from jobs.checks.draws import draw_unconfirmed
from jobs.checks.freshness import data_stale
from jobs.checks.limits import (
    limit_below_owed,
    limit_dropped,
    limit_frozen,
    limit_inconsistent,
    utilization_high,
)
from jobs.checks.repayments import repayment_mismatch
from jobs.checks.unavailable import platform_unavailable

# Every facility check, in the order of FACILITY_CHECKS (DESIGN.md's table), which is also the
# order findings come out in; tests/jobs/test_checks_registry.py holds the two to each other.
CHECKS: dict[Check, CheckFn] = {
    Check.BILL_MISSING: bill_missing,
    Check.BILL_AMOUNT_MISMATCH: bill_amount_mismatch,
    Check.BILL_UNEXPECTED: bill_unexpected,
    Check.BILL_DUE_SOON: bill_due_soon,
    Check.BILL_OVERDUE: bill_overdue,
    Check.REPAYMENT_UNSEEN: repayment_unseen,
    Check.REPAYMENT_UNLOGGED: repayment_unlogged,
    Check.LIMIT_DROPPED: limit_dropped,
    Check.LIMIT_FROZEN: limit_frozen,
    Check.LIMIT_INCONSISTENT: limit_inconsistent,
    Check.LIMIT_BELOW_OWED: limit_below_owed,
    Check.DATA_STALE: data_stale,
    Check.DRAW_UNCONFIRMED: draw_unconfirmed,
    Check.UTILIZATION_HIGH: utilization_high,
    Check.REPAYMENT_MISMATCH: repayment_mismatch,
    Check.PLATFORM_UNAVAILABLE: platform_unavailable,
}


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckRun:
    """What one pass of the checks found, and which checks raised instead (name → error)."""

    findings: list[Finding]
    ran: tuple[str, ...]
    failed: dict[str, str]

    @property
    def ran_clean(self) -> set[str]:
        """The checks that ran and reported: only their alerts may resolve by absence."""
        return set(self.ran) - self.failed.keys()


def run_checks(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    only: set[str] | None = None,
    facility_ids: AbstractSet[int] | None = None,
) -> list[Finding]:
    """Run every check (or the ones named in `only`) as of `now`; their findings in order.

    `facility_ids`: check those facilities only (a prompt run); None, the whole portfolio.
    """
    names = _chosen(now, only)
    # Checks that read the same thing (the latest limit readings, say) read it once a cycle.
    scans = CycleScans(session, now, thresholds, calendar, facility_ids)
    findings: list[Finding] = []
    for name in names:
        findings.extend(_scoped(CHECKS[name](session, now, thresholds, calendar, scans), scans))
    return findings


def run_each_check(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    only: set[str] | None = None,
    facility_ids: AbstractSet[int] | None = None,
) -> CheckRun:
    """Run the checks like :func:`run_checks`, each apart: one that raises stops no other.

    1. Each check runs in a SAVEPOINT of its own, so a statement that fails in it (which on
       PostgreSQL aborts the transaction) is rolled back to there and the next check can query.
    2. A check that raises is logged with its traceback and named in `failed`, with its error.
       A scan the checks share (`CycleScans`) that raises fails every check that uses it.
    3. The findings of the checks that ran clean come back in order, as from run_checks.

    `facility_ids` as for :func:`run_checks`.
    """
    names = _chosen(now, only)
    scans = CycleScans(session, now, thresholds, calendar, facility_ids)
    findings: list[Finding] = []
    failed: dict[str, str] = {}
    for name in names:
        try:
            with session.begin_nested():
                found = CHECKS[name](session, now, thresholds, calendar, scans)
        except Exception as exc:
            log.exception(
                "check %s failed as of %s; the other checks still run", name, now.isoformat()
            )
            # The first line: a database error goes on with its SQL, which the log has.
            first_line = next(iter(str(exc).splitlines()), "")
            failed[name] = f"{type(exc).__name__}: {first_line}"
            continue
        findings.extend(_scoped(found, scans))
    return CheckRun(findings, tuple(names), failed)


def _scoped(findings: list[Finding], scans: CycleScans) -> list[Finding]:
    """The findings about the facilities in the run's scope (all of them for a whole run)."""
    if scans.facility_ids is None:
        return findings
    return [f for f in findings if f.facility_id in scans.facility_ids]


def _chosen(now: datetime, only: set[str] | None) -> list[str]:
    """The checks to run, in order; a typo in `only` or a naive `now` is refused."""
    require_aware(now, "now")
    if only is not None:
        unknown = only - CHECKS.keys()
        if unknown:
            raise ValueError(
                f"unknown check {sorted(unknown)[0]!r}; the checks are {', '.join(CHECKS)}"
            )
    return [name for name in CHECKS if only is None or name in only]


__all__ = ["CHECKS", "CheckFn", "CheckRun", "CycleScans", "run_checks", "run_each_check"]
