"""Checks that failed: loanwatch's `check_failed` admin alerts, named and read in one place.

A check that raises instead of reporting opens one admin alert with the fingerprint
`check_failed:-:CHECK` (jobs/cycle.py), which resolves when the check runs clean again. Reading
the open ones from the database lets any process say which checks are failing (`/healthz` in
`loanwatch web`, while the worker runs the checks elsewhere).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.policy import AlertState
from bot.models import Alert


def check_failed_fingerprint(check: str) -> str:
    """The fingerprint of the admin alert that says `check` failed."""
    return f"{Check.CHECK_FAILED}:-:{check}"


def failing_checks(session: Session) -> list[str]:
    """The checks whose last run raised (their check_failed alert is not resolved), by name."""
    return sorted(
        session.scalars(
            select(Alert.subject).where(
                Alert.check == Check.CHECK_FAILED, Alert.state != AlertState.RESOLVED
            )
        )
    )
