"""A check run as of T judges T by the facility's terms in force at T, and counts an installment
paid only by repayments known at T (issue 11).

The cast: Alice's Jiebei line and its draw, 899.75 due on the 10th of each month from 2026-12-10
(the `line` and `draw` fixtures of tests/jobs/conftest.py). Times are Shanghai wall-clock times.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.repayments import record_repayment
from bot.ledger.schedule import HolidayRule
from bot.ledger.term_changes import TermChanges, change_terms
from bot.ledger.terms_history import keep_terms
from bot.models import AuditRecord, FacilityTermsVersion
from tests.jobs.known_at import findings_at, seen
from tests.jobs.test_checks import at, reading
from tests.ledger.cast import log_draw

D = Decimal


def found(session: Session, when: str, *only: str) -> list[str]:
    """`check subject severity` of every finding as of `when` (of the checks named, or all)."""
    findings = findings_at(session, at(when), *only)
    return sorted(f"{f.check} {f.subject} {f.severity}" for f in findings)


def test_a_later_bill_critical_days_does_not_change_how_t_was_judged(
    session, alice, line, draw
) -> None:
    """No bill for 12-10: on 12-05 it is a warning (critical from 3 days ahead). Alice makes it
    critical from 10 days ahead on 12-08; check --at 12-05 still finds the warning it found."""
    before = found(session, "2026-12-05 10:00", "bill_missing")
    assert before == [f"bill_missing 2026-12-10#d{draw.id} warning"]

    change_terms(
        session, alice, line, TermChanges(bill_critical_days=10), now=at("2026-12-08 09:00")
    )

    assert found(session, "2026-12-05 10:00", "bill_missing") == before
    assert found(session, "2026-12-08 10:00", "bill_missing") == [
        f"bill_missing 2026-12-10#d{draw.id} critical"
    ]


def test_a_later_holiday_rule_does_not_change_how_t_was_judged(session, alice, line) -> None:
    """A bill due Sunday 12-13 is collected on Monday 12-14 under the line's rule `following`:
    unpaid, it is overdue from 12-15. Alice sets the rule `none` (collected on the calendar
    day) on 12-20; check --at 12-14 still finds it not overdue yet, as it was then."""
    assert line.holiday_rule == "following"
    log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 13), now=at("2026-11-13 12:00"))
    bill = seen(session, alice, line, "2026-12-13", "899.75", "2026-12-01 09:00").row
    overdue = [f"bill_overdue 2026-12-13#b{bill.id} critical"]
    assert found(session, "2026-12-14 10:00", "bill_overdue") == []
    assert found(session, "2026-12-15 10:00", "bill_overdue") == overdue

    change_terms(
        session,
        alice,
        line,
        TermChanges(holiday_rule=HolidayRule.NONE),
        now=at("2026-12-20 09:00"),
    )

    assert found(session, "2026-12-14 10:00", "bill_overdue") == []
    assert found(session, "2026-12-15 10:00", "bill_overdue") == overdue
    assert found(session, "2026-12-20 10:00", "bill_overdue") == overdue


def test_an_installment_repaid_after_t_was_unpaid_at_t(session, alice, line, draw) -> None:
    """No bill ever for 12-10. On 12-20 the installment was unpaid, its bill missing (critical);
    the repayment made on 12-10 is logged on 12-22. check --at 12-20 still finds the bill
    missing; from 12-22 a paid installment past its match window is history."""
    missing = [f"bill_missing 2026-12-10#d{draw.id} critical"]
    assert found(session, "2026-12-20 10:00", "bill_missing") == missing

    record_repayment(
        session, alice, line, D("899.75"), paid_on=date(2026, 12, 10), now=at("2026-12-22 09:00")
    )

    assert found(session, "2026-12-20 10:00", "bill_missing") == missing
    assert found(session, "2026-12-22 10:00", "bill_missing") == []


def test_every_check_as_of_t_is_unchanged_by_later_terms(session, alice, line, draw) -> None:
    """Whatever Alice changes later, each check as of an earlier moment finds what it found."""
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-01 09:00")
    # A line cut to the draw: the limit checks have something to say too.
    reading(session, alice, line, at("2026-11-11 09:00"), "10000.00", "0.00")
    moments = ["2026-11-12 10:00", "2026-12-09 10:00", "2026-12-11 10:00", "2026-12-14 10:00"]
    before = {moment: found(session, moment) for moment in moments}
    assert any(finding.startswith("limit_dropped") for finding in before["2026-12-09 10:00"])

    change_terms(
        session,
        alice,
        line,
        TermChanges(bill_critical_days=20, holiday_rule=HolidayRule.NONE),
        now=at("2026-12-15 09:00"),
    )
    line.active = False
    keep_terms(session, alice, line, now=at("2026-12-15 09:30"))

    assert {moment: found(session, moment) for moment in moments} == before
    assert found(session, "2026-12-15 10:00") == []


def test_each_change_keeps_a_version_valid_from_its_time_audited(
    session, alice, line, draw
) -> None:
    """Setting up the line and each `facility set` keep a version from that moment, audited."""
    change_terms(
        session, alice, line, TermChanges(bill_critical_days=5), now=at("2026-12-08 09:00")
    )

    versions = session.scalars(select(FacilityTermsVersion).order_by(FacilityTermsVersion.id)).all()
    assert [(v.valid_from, v.bill_critical_days) for v in versions] == [
        (at("2026-11-01 09:00"), None),
        (at("2026-12-08 09:00"), 5),
    ]
    audited = session.scalars(
        select(AuditRecord.entity_id).where(AuditRecord.action == "facility.terms")
    ).all()
    assert audited == [str(v.id) for v in versions]
