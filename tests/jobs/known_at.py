"""What the tests of checks run as of a moment T share (test_known_at, test_terms_known_at).

Their cast is Alice's Jiebei line and its draw, the `line` and `draw` fixtures of
tests/jobs/conftest.py. Times are Shanghai wall-clock times, as `at` reads them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.findings import Finding
from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.ledger.bills import RecordedBill
from bot.models import Facility
from bot.thresholds import Thresholds
from jobs.checks import run_checks
from tests.jobs.test_checks import at, bill


def findings_at(session: Session, now: datetime, *only: str) -> list[Finding]:
    """Every finding as of `now`, of the checks named (or of all), with the default thresholds."""
    return run_checks(
        session, now, Thresholds(), BusinessCalendar(), only=set(only) if only else None
    )


def seen(
    session: Session, alice: Actor, line: Facility, due: str, amount: str, when: str, **kw: Any
) -> RecordedBill:
    """Alice records the bill the platform shows at `when` (`paid`, `observed_at` as `bill`)."""
    return bill(session, alice, line, due, amount, at(when), **kw)
