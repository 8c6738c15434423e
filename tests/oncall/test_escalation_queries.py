"""One escalation run reads and writes in a constant number of statements, however many alerts.

The worker runs the escalation every minute; its statements must not grow with the number of
open alerts (the selection of due steps is set-based, as the checks' is).
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.oncall.engine import run_escalations
from tests.oncall.test_escalation import CALENDAR, CONFIG, OPENED, POLICY, _setup


def _open_many(session: Session, facility_id: int, start: int, end: int, at) -> None:
    """Alerts `start`…`end - 1`, all critical: half about the limit, half about money due on
    a date (whose money at risk the engine weighs)."""
    findings = []
    for n in range(start, end):
        if n % 2:
            findings.append(
                Finding(Check.LIMIT_FROZEN, facility_id, f"s{n}", Severity.CRITICAL, f"frozen {n}")
            )
        else:
            # A bill, a draw's installments, the facility's installments due that day.
            day = (OPENED.date() + timedelta(days=20 + n)).isoformat()
            subject = (day, f"{day}#b{n}", f"{day}#d{n}")[n % 3]
            findings.append(
                Finding(Check.BILL_MISSING, facility_id, subject, Severity.CRITICAL, "bill")
            )
    apply_findings(session, findings, now=at, policy=POLICY, checks_run=set())
    session.commit()


def test_the_number_of_queries_does_not_grow_with_the_open_alerts(engine, sessions) -> None:
    """5 open alerts with steps due, then 50: the same number of statements for one run."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    counts, ran = [], []
    with sessions() as session:
        facility_id = _setup(session, OPENED)
        _open_many(session, facility_id, 0, 5, OPENED)
        first = OPENED + timedelta(minutes=16)  # the 0m and 15m steps of the 5 are due
        later = OPENED + timedelta(minutes=46)  # the 5's 45m step; the 45 new ones' 0m, 15m
        for at, opened in ((first, None), (later, (5, 50, first))):
            if opened:
                _open_many(session, facility_id, opened[0], opened[1], opened[2])
            event.listen(engine, "before_cursor_execute", count)
            try:
                ran.append(
                    run_escalations(
                        session, now=at, calendar=CALENDAR, config=CONFIG, policy=POLICY
                    )
                )
                session.commit()
            finally:
                event.remove(engine, "before_cursor_execute", count)
            counts.append(len(statements))
            statements.clear()

    assert ran == [5 * 2, 5 + 45 * 2]
    assert counts[0] == counts[1], counts
