"""One check cycle when a check raises, on SQLite and PostgreSQL: the others still run and alert,
the failure is logged and told once to the admins, and it clears when the check runs clean.

The broken check is a real failure, not a stand-in for the thing under test: a check that
queries a table that does not exist, which on PostgreSQL aborts the transaction it runs in.
The cast: Alice's Jiebei line, frozen (limit_frozen fires), and, where it matters, a bill no
installment explains (bill_unexpected fires while that check works).
"""

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.alerts.findings import Finding
from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.models import Alert, Bill, Facility, OutboxMessage
from bot.settings import Settings
from jobs import checks
from jobs.checks.bills import scans as bill_checks
from jobs.cycle import CycleReport, run_check_cycle
from tests.ledger.cast import jiebei_line

NOW = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CYCLE = timedelta(minutes=15)
FAILED = "check_failed:-:bill_unexpected"


def broken_check(session: Session, *_args: Any) -> list[Finding]:
    """A check whose query fails in the database, as a check with a bad statement would."""
    session.execute(text("SELECT * FROM no_such_table"))
    return []


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, DATABASE_URL=database_url)


@pytest.fixture
def frozen(session: Session, alice: Actor) -> Facility:
    """Alice's line, frozen since yesterday, with a bill of 100.00 no draw explains."""
    line = jiebei_line(session, alice, NOW - timedelta(days=30))
    record_limit_reading(
        session,
        alice,
        line,
        limit_amount=Decimal("0.00"),
        status=LimitStatus.FROZEN,
        now=NOW - timedelta(days=1),
    )
    record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 12, 10),
        amount=Decimal("100.00"),
        paid=False,
        now=NOW - timedelta(days=1),
    )
    session.commit()
    return line


def cycle(session: Session, settings: Settings, now: datetime) -> CycleReport:
    """One cycle, committed, as the worker runs it."""
    report = run_check_cycle(session, now=now, settings=settings, calendar=BusinessCalendar())
    session.commit()
    return report


def told(session: Session) -> list[tuple[str, str]]:
    """(kind, check) of every notification written, in order."""
    return [
        (kind, check)
        for kind, check in session.execute(
            select(OutboxMessage.kind, Alert.check)
            .join(Alert, Alert.id == OutboxMessage.alert_id)
            .order_by(OutboxMessage.id)
        )
    ]


def test_a_check_that_raises_stops_no_other_and_is_logged_with_its_traceback(
    session, settings, frozen, monkeypatch, caplog
) -> None:
    """bill_unexpected fails in the database; limit_frozen still opens its alert and tells it,
    and the log has the failure with its traceback."""
    monkeypatch.setitem(checks.CHECKS, "bill_unexpected", broken_check)

    with caplog.at_level(logging.ERROR, logger="jobs.checks"):
        report = cycle(session, settings, NOW)

    assert list(report.failed) == ["bill_unexpected"]
    assert report.failed["bill_unexpected"].startswith(("OperationalError", "ProgrammingError"))
    assert "limit_frozen" in {f.check for f in report.findings}
    assert ("alert.opened", "limit_frozen") in told(session)
    [record] = [r for r in caplog.records if r.name == "jobs.checks"]
    assert record.getMessage().startswith("check bill_unexpected failed as of")
    assert record.exc_info is not None
    assert "no_such_table" in caplog.text


def test_a_failing_check_opens_one_admin_alert_however_many_cycles_it_fails(
    session, settings, frozen, monkeypatch
) -> None:
    """Three failing cycles: one check_failed alert, critical, told once to the admins."""
    monkeypatch.setitem(checks.CHECKS, "bill_unexpected", broken_check)

    for n in range(3):
        cycle(session, settings, NOW + n * CYCLE)

    [failed] = session.scalars(select(Alert).where(Alert.check == "check_failed")).all()
    assert (failed.fingerprint, failed.state, failed.severity) == (FAILED, "open", "critical")
    assert failed.facts["Check"] == "bill_unexpected"
    assert "no_such_table" in failed.facts["Error"]
    assert failed.last_seen_at == NOW + 2 * CYCLE
    assert told(session).count(("alert.opened", "check_failed")) == 1


def test_the_admin_alert_resolves_when_the_check_runs_clean_again(
    session, settings, frozen, monkeypatch
) -> None:
    """The cycle after the check is fixed resolves check_failed and says so; the check's own
    finding opens then."""
    with monkeypatch.context() as broken:
        broken.setitem(checks.CHECKS, "bill_unexpected", broken_check)
        cycle(session, settings, NOW)

    report = cycle(session, settings, NOW + CYCLE)

    assert report.failed == {}
    failed = session.scalars(select(Alert).where(Alert.fingerprint == FAILED)).one()
    assert (failed.state, failed.resolve_reason) == ("resolved", "the check ran clean again")
    assert told(session)[-2:] in (
        [("alert.opened", "bill_unexpected"), ("alert.resolved", "check_failed")],
        [("alert.resolved", "check_failed"), ("alert.opened", "bill_unexpected")],
    )


def test_a_failing_check_does_not_resolve_its_own_alerts(
    session, settings, frozen, monkeypatch
) -> None:
    """An open bill_unexpected alert stays open while its check fails, even after the bill is
    gone: a check that did not run says nothing about it. It resolves once the check runs."""
    cycle(session, settings, NOW)
    session.execute(Bill.__table__.delete())  # the condition clears behind the failing check
    session.commit()

    with monkeypatch.context() as broken:
        broken.setitem(checks.CHECKS, "bill_unexpected", broken_check)
        cycle(session, settings, NOW + CYCLE)
        unexpected = session.scalars(select(Alert).where(Alert.check == "bill_unexpected")).one()
        assert unexpected.state == "open"

    cycle(session, settings, NOW + 2 * CYCLE)
    session.refresh(unexpected)
    assert unexpected.state == "resolved"


def test_a_shared_scan_that_raises_fails_the_checks_that_use_it_and_no_other(
    session, settings, frozen, monkeypatch
) -> None:
    """The unpaid-bills scan serves bill_due_soon, bill_overdue and repayment_unseen: all three
    fail, once each, and every other check runs."""
    runs: list[int] = []

    def broken_scan(scans: Any) -> list[Any]:
        runs.append(1)
        scans.session.execute(text("SELECT * FROM no_such_table"))
        return []

    monkeypatch.setattr(bill_checks, "_unpaid_bills", broken_scan)

    report = cycle(session, settings, NOW)

    assert sorted(report.failed) == ["bill_due_soon", "bill_overdue", "repayment_unseen"]
    assert "earlier in this cycle" in report.failed["bill_overdue"]
    assert runs == [1]
    assert {"limit_frozen", "bill_unexpected"} <= {f.check for f in report.findings}
