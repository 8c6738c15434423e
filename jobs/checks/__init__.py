"""The checks: each a function of the database at a time `now`, returning findings.

Every check takes ``(session, now, thresholds, calendar)`` and reads the whole portfolio in
set-based queries: a few per check, plus one per chunk of candidate facilities where a check
probes only the facilities another query singled out (never one query per facility). An
optional fifth argument, the cycle's :class:`CycleScans`, lets checks that read the same thing
share one query; without it a check makes its own, with the same findings.
A facility's own non-NULL threshold columns override `thresholds`. Inactive facilities are not
checked. See each check's docstring for its exact boundaries.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerts.findings import Finding, Thresholds
from bot.calendar import BusinessCalendar
from jobs.checks.bills import (
    bill_amount_mismatch,
    bill_due_soon,
    bill_missing,
    bill_overdue,
    bill_unexpected,
)
from jobs.checks.common import CheckFn, CycleScans, require_aware
from jobs.checks.draws import draw_unconfirmed
from jobs.checks.freshness import data_stale
from jobs.checks.limits import limit_dropped, limit_frozen, limit_inconsistent, utilization_high

# In the order of DESIGN.md's table, which is also the order findings come out in.
CHECKS: dict[str, CheckFn] = {
    "bill_missing": bill_missing,
    "bill_amount_mismatch": bill_amount_mismatch,
    "bill_unexpected": bill_unexpected,
    "bill_due_soon": bill_due_soon,
    "bill_overdue": bill_overdue,
    "limit_dropped": limit_dropped,
    "limit_frozen": limit_frozen,
    "limit_inconsistent": limit_inconsistent,
    "data_stale": data_stale,
    "draw_unconfirmed": draw_unconfirmed,
    "utilization_high": utilization_high,
}


def run_checks(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    only: set[str] | None = None,
) -> list[Finding]:
    """Run every check (or the ones named in `only`) as of `now`; their findings in order."""
    require_aware(now)
    if only is not None:
        unknown = only - CHECKS.keys()
        if unknown:
            raise ValueError(
                f"unknown check {sorted(unknown)[0]!r}; the checks are {', '.join(CHECKS)}"
            )
    # Checks that read the same thing (the latest limit readings, say) read it once a cycle.
    shared = CycleScans(session, now, thresholds, calendar)
    findings: list[Finding] = []
    for name, check in CHECKS.items():
        if only is None or name in only:
            findings.extend(check(session, now, thresholds, calendar, shared))
    return findings


__all__ = ["CHECKS", "CheckFn", "CycleScans", "run_checks"]
