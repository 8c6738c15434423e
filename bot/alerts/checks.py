"""Every check loanwatch knows, by name: the one list the checks, silences and docs agree on.

Facility checks compare a facility's ledger with what its platform shows (`jobs/checks/`
implements each one; `tests/jobs/test_checks_registry.py` ties the two). Admin checks are about
loanwatch itself (a notice it could not deliver, a check that raised, a year's holidays it
lacks): no facility, no run of the checks reports them, and silences do not apply to them.
"""

from enum import StrEnum


class Check(StrEnum):
    """A check's name, as alerts, fingerprints, silences and settings spell it."""

    # Facility checks, in the order of DESIGN.md's table (the order findings come out in).
    BILL_MISSING = "bill_missing"
    BILL_AMOUNT_MISMATCH = "bill_amount_mismatch"
    BILL_UNEXPECTED = "bill_unexpected"
    BILL_DUE_SOON = "bill_due_soon"
    BILL_OVERDUE = "bill_overdue"
    REPAYMENT_UNSEEN = "repayment_unseen"
    REPAYMENT_UNLOGGED = "repayment_unlogged"
    LIMIT_DROPPED = "limit_dropped"
    LIMIT_FROZEN = "limit_frozen"
    LIMIT_INCONSISTENT = "limit_inconsistent"
    LIMIT_BELOW_OWED = "limit_below_owed"
    DATA_STALE = "data_stale"
    DRAW_UNCONFIRMED = "draw_unconfirmed"
    UTILIZATION_HIGH = "utilization_high"
    REPAYMENT_MISMATCH = "repayment_mismatch"
    PLATFORM_UNAVAILABLE = "platform_unavailable"
    # Admin checks.
    DELIVERY_FAILED = "delivery_failed"  # a notice became a dead letter
    DELIVERY_DEGRADED = "delivery_degraded"  # a destination keeps failing (an outage)
    CHECK_FAILED = "check_failed"  # a check raised instead of reporting
    HOLIDAYS_UNKNOWN = "holidays_unknown"  # a year that matters has no holiday calendar
    OWNER_GONE = "owner_gone"  # whom requests (readings, bills, arrivals) go to has left


ADMIN_CHECKS = frozenset(
    {
        Check.DELIVERY_FAILED,
        Check.DELIVERY_DEGRADED,
        Check.CHECK_FAILED,
        Check.HOLIDAYS_UNKNOWN,
        Check.OWNER_GONE,
    }
)
# What a run of the checks runs, and what a silence may name.
FACILITY_CHECKS = tuple(check for check in Check if check not in ADMIN_CHECKS)
