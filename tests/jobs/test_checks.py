"""Each check fires, stays quiet just before its boundary, and clears; on SQLite and PostgreSQL.

The cast: Alice's Jiebei line (limit 200,000.00, Asia/Shanghai), set up on 2026-11-01, and a
10,000.00 draw over 12 months on 2026-11-10 (899.75 due on the 10th of each month from
2026-12-10). Times are Shanghai wall-clock times; `now` is passed to every check.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from bot.alerts.findings import Finding, Severity
from bot.audit import Actor
from bot.calendar import BusinessCalendar, forget_warned_years
from bot.ledger.bills import RecordedBill
from bot.ledger.observations import (
    LimitStatus,
    record_bill,
    record_draw_confirmation,
    record_limit_reading,
)
from bot.ledger.repayments import record_repayment
from bot.models import (
    Bill,
    Draw,
    Facility,
    FacilitySummary,
    Installment,
    LimitReading,
    ReadingRequest,
)
from bot.thresholds import Thresholds
from jobs.checks import CHECKS, CycleScans, run_checks
from tests.ledger.cast import jiebei_line, log_draw
from tests.support.calendar_years import UNKNOWN as UNKNOWN_YEAR

D = Decimal
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ONE_DAY = timedelta(days=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULTS = Thresholds()


def at(text: str) -> datetime:
    """A Shanghai wall-clock time: at("2026-12-01 00:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def check(
    session: Session, name: str, now: datetime, calendar: BusinessCalendar | None = None
) -> list[Finding]:
    """One check's findings as of `now`."""
    return run_checks(session, now, DEFAULTS, calendar or BusinessCalendar(), only={name})


def subjects(findings: list[Finding]) -> list[str]:
    return [finding.subject for finding in findings]


@pytest.fixture
def line(session: Session, alice: Actor) -> Facility:
    """Alice's Jiebei line, set up on 2026-11-01."""
    return jiebei_line(session, alice, at("2026-11-01 09:00"))


@pytest.fixture
def draw(session: Session, alice: Actor, line: Facility) -> Draw:
    """10,000.00 over 12 months drawn 2026-11-10, logged at noon: 899.75 due 2026-12-10."""
    return log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 10), now=LOGGED)


LOGGED = at("2026-11-10 12:00")


def bill(
    session: Session,
    alice: Actor,
    facility: Facility,
    due: str,
    amount: str,
    seen: datetime,
    *,
    paid: bool = False,
    observed_at: datetime | None = None,
) -> RecordedBill:
    """Alice records the bill the platform shows at `seen` (observed at `observed_at`, for an
    older statement imported late)."""
    return record_bill(
        session,
        alice,
        facility,
        due_date=date.fromisoformat(due),
        amount=D(amount),
        paid=paid,
        now=seen,
        observed_at=observed_at,
    )


def reading(
    session: Session,
    alice: Actor,
    facility: Facility,
    seen: datetime,
    limit: str,
    available: str | None = None,
    status: LimitStatus = LimitStatus.ACTIVE,
) -> None:
    record_limit_reading(
        session,
        alice,
        facility,
        limit_amount=D(limit),
        available=None if available is None else D(available),
        status=status,
        now=seen,
    )


# --- bill_missing ----------------------------------------------------------------------------


def test_bill_missing_fires_when_the_bill_should_be_visible(session, draw) -> None:
    """Visible from due − 10 days, + 24 h: quiet at 2026-11-30 23:59, firing at 2026-12-01 00:00."""
    assert check(session, "bill_missing", at("2026-12-01 00:00") - MINUTE) == []

    [finding] = check(session, "bill_missing", at("2026-12-01 00:00"))

    assert finding.fingerprint == f"bill_missing:{draw.facility_id}:2026-12-10#d{draw.id}"
    assert finding.severity is Severity.WARNING
    assert finding.summary == (
        "expected ¥899.75 due 2026-12-10, no bill seen; lead 10 days, grace 24 h"
    )
    assert finding.facts["Expected"] == "¥899.75"
    assert finding.facts["Bill expected since"] == "2026-12-01 00:00 (Asia/Shanghai)"


def test_bill_missing_turns_critical_three_days_before_the_due_date(session, draw) -> None:
    """Due 2026-12-10: warning through 2026-12-06, critical from 2026-12-07 00:00 and after."""
    [warning] = check(session, "bill_missing", at("2026-12-07 00:00") - MINUTE)
    [critical] = check(session, "bill_missing", at("2026-12-07 00:00"))
    [overdue] = check(session, "bill_missing", at("2026-12-20 09:00"))

    assert warning.severity is Severity.WARNING
    assert critical.severity is Severity.CRITICAL
    assert overdue.severity is Severity.CRITICAL


@pytest.mark.parametrize(("bill_due", "clears"), [("2026-12-13", True), ("2026-12-14", False)])
def test_bill_missing_clears_once_a_bill_within_the_window_is_seen(
    session, alice, line, draw, bill_due, clears
) -> None:
    """A bill up to 3 days off the due date is the installment's bill; 4 days off is not."""
    bill(session, alice, line, bill_due, "899.75", at("2026-12-02 08:00"))

    before = check(session, "bill_missing", at("2026-12-02 08:00") - MINUTE)
    after = check(session, "bill_missing", at("2026-12-02 08:00"))

    assert len(before) == 1
    assert len(after) == (0 if clears else 1)


def test_bill_missing_uses_the_facilitys_own_lead_and_grace(session, line, draw) -> None:
    """A facility with lead 5 days and no grace expects the bill from 2026-12-05 00:00."""
    line.bill_lead_days, line.bill_grace_hours = 5, 0

    assert check(session, "bill_missing", at("2026-12-05 00:00") - MINUTE) == []
    [finding] = check(session, "bill_missing", at("2026-12-05 00:00"))
    assert finding.summary.endswith("lead 5 days, grace 0 h")


def test_a_paid_installment_without_a_bill_leaves_scope_after_the_window(
    session, alice, line, draw
) -> None:
    """Paid 2026-12-05 and never billed: missing until 2026-12-13, history from 2026-12-14."""
    record_repayment(session, alice, line, D("899.75"), now=at("2026-12-05 10:00"))

    assert len(check(session, "bill_missing", at("2026-12-14 00:00") - MINUTE)) == 1
    assert check(session, "bill_missing", at("2026-12-14 00:00")) == []


def test_a_due_date_on_a_public_holiday_matches_the_holiday_shifted_bill(session, alice) -> None:
    """Due 2025-10-01 (National Day), billed 2025-10-09, the first working day after it."""
    facility = jiebei_line(session, alice, at("2025-08-01 09:00"))
    log_draw(session, alice, facility, "10000.00", 1, date(2025, 9, 1), now=at("2025-09-01 10:00"))
    [missing] = check(session, "bill_missing", at("2025-10-02 10:00"))
    assert missing.facts["Holiday-shifted due date"] == "2025-10-09"

    bill(session, alice, facility, "2025-10-09", "10120.00", at("2025-10-02 10:00"))
    now = at("2025-10-02 10:00")

    assert check(session, "bill_missing", now) == []
    assert check(session, "bill_unexpected", now) == []
    assert check(session, "bill_amount_mismatch", now) == []


def test_a_bill_between_the_two_windows_matches_neither(session, alice) -> None:
    """Due 2025-10-01, shifted 2025-10-09: a bill on 2025-10-05 is 4 days from both."""
    facility = jiebei_line(session, alice, at("2025-08-01 09:00"))
    log_draw(session, alice, facility, "10000.00", 1, date(2025, 9, 1), now=at("2025-09-01 10:00"))
    bill(session, alice, facility, "2025-10-05", "10120.00", at("2025-10-02 10:00"))
    now = at("2025-10-02 10:00")

    assert len(check(session, "bill_missing", now)) == 1
    assert len(check(session, "bill_unexpected", now)) == 1


def test_a_due_date_in_an_unknown_year_uses_weekends_only_and_warns_once(
    session, alice, line, caplog
) -> None:
    """No official data for the year: a Sunday due date shifts to Monday only (a bill 4 days
    after it is 3 after the Monday, so it matches), and one WARNING says so."""
    forget_warned_years()  # as a new process: the warning is said once per process
    calendar = BusinessCalendar()
    year = UNKNOWN_YEAR
    sunday = date(year, 1, 8) + timedelta(days=(6 - date(year, 1, 8).weekday()) % 7)
    drawn_on = date(year - 1, 12, sunday.day)
    log_draw(session, alice, line, "10000.00", 12, drawn_on, now=at(f"{drawn_on} 12:00"))
    now = datetime.combine(sunday - 8 * ONE_DAY, datetime.min.time(), SHANGHAI) + 10 * HOUR
    bill(session, alice, line, (sunday + 4 * ONE_DAY).isoformat(), "899.75", now - HOUR)

    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        first = check(session, "bill_missing", now, calendar)
        second = check(session, "bill_unexpected", now, calendar)

    assert first == []
    assert second == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"no official holiday data for {year}: weekends only until")
    assert calendar.unknown_years_seen == {year}


# --- bill_amount_mismatch --------------------------------------------------------------------


@pytest.mark.parametrize(("billed", "fires"), [("899.76", False), ("899.77", True)])
def test_bill_amount_mismatch_allows_the_tolerance_and_no_more(
    session, alice, line, draw, billed, fires
) -> None:
    """0.01 off is within tolerance; 0.02 off fires, from the moment the bill is seen."""
    seen = at("2026-12-02 08:00")
    bill(session, alice, line, "2026-12-10", billed, seen)

    assert check(session, "bill_amount_mismatch", seen - MINUTE) == []
    findings = check(session, "bill_amount_mismatch", seen)

    assert subjects(findings) == (["2026-12-10"] if fires else [])
    if fires:
        assert findings[0].summary == (
            "bill due 2026-12-10 shows ¥899.77, the ledger expects ¥899.75 due 2026-12-10; "
            "off by ¥0.02"
        )
        assert findings[0].facts["Difference"] == "¥0.02"


@pytest.mark.parametrize(("billed", "fires"), [("899.76", False), ("899.77", True)])
def test_a_bill_a_day_off_its_due_date_gets_the_same_tolerance_and_no_more(
    session, alice, line, draw, billed, fires
) -> None:
    """The platform bills the 2026-12-10 installment on the 11th: exactly 0.01 off is quiet, one
    fen more fires. (A bill on the due date itself is settled in SQL; this one is matched and
    compared in Python.)"""
    seen = at("2026-12-02 08:00")
    bill(session, alice, line, "2026-12-11", billed, seen)

    findings = check(session, "bill_amount_mismatch", seen)

    assert subjects(findings) == (["2026-12-10"] if fires else [])
    if fires:
        assert findings[0].facts["Bill due date"] == "2026-12-11"
        assert findings[0].facts["Tolerance"] == "¥0.01"
    assert check(session, "bill_missing", seen) == []


def test_bill_amount_mismatch_clears_when_the_facility_widens_its_tolerance(
    session, alice, line, draw
) -> None:
    """A facility that rounds differently may allow 0.05 per installment."""
    bill(session, alice, line, "2026-12-10", "899.80", at("2026-12-02 08:00"))
    assert len(check(session, "bill_amount_mismatch", at("2026-12-02 09:00"))) == 1

    line.amount_tolerance = D("0.05")

    assert check(session, "bill_amount_mismatch", at("2026-12-02 09:00")) == []


def test_installments_due_on_one_day_are_compared_with_one_bill_as_a_sum(
    session, alice, line, draw
) -> None:
    """Two draws due 2026-12-10: one bill of 1,799.50 ± 2 × 0.01 is right."""
    log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 10), now=LOGGED)
    bill(session, alice, line, "2026-12-10", "1799.52", at("2026-12-02 08:00"))
    bill(session, alice, line, "2027-01-10", "1799.53", at("2026-12-02 08:00"))
    now = at("2026-12-02 09:00")

    [finding] = check(session, "bill_amount_mismatch", now)

    assert finding.subject == "2027-01-10"
    assert finding.facts["Expected"] == "¥1,799.50"
    assert finding.facts["Installments"] == "2"
    assert check(session, "bill_missing", now) == []


def test_a_bill_due_on_another_draws_day_is_not_compared_with_this_one(
    session, alice, line, draw
) -> None:
    """A bill on 2026-12-11 belongs to the draw due that day, not to the one due on the 10th.

    So the 10th's bill is missing (the platform never billed that draw), not "off by" the
    11th's amount; only bills on days without installments are matched across days.
    """
    other = log_draw(session, alice, line, "5000.00", 6, date(2026, 11, 11), now=LOGGED + ONE_DAY)
    seen = at("2026-11-20 08:00")
    for installment in other.installments:
        bill(session, alice, line, installment.due_date.isoformat(), str(installment.amount), seen)

    assert check(session, "bill_amount_mismatch", at("2026-11-20 09:00")) == []
    assert check(session, "bill_missing", at("2026-12-01 00:00") - MINUTE) == []
    [missing] = check(session, "bill_missing", at("2026-12-01 00:00"))
    assert missing.subject == f"2026-12-10#d{draw.id}"
    assert check(session, "bill_amount_mismatch", at("2026-12-12 09:00")) == []

    # A bill on a day without installments of its own still matches within the window.
    bill(session, alice, line, "2027-03-12", "1000.00", seen)
    [finding] = check(session, "bill_amount_mismatch", at("2026-11-20 09:00"))
    assert (finding.subject, finding.facts["Bill due date"]) == ("2027-03-10", "2027-03-12")


# --- bill_unexpected -------------------------------------------------------------------------


def test_bill_unexpected_fires_for_a_bill_no_installment_explains(
    session, alice, line, draw
) -> None:
    """A bill due 2026-12-20 is 10 days from the 12-10 installment: an unlogged draw?"""
    seen = at("2026-12-02 08:00")
    bill(session, alice, line, "2026-12-20", "3000.00", seen)
    bill(session, alice, line, "2026-12-13", "899.75", seen)

    assert check(session, "bill_unexpected", seen - MINUTE) == []
    [finding] = check(session, "bill_unexpected", seen)

    assert finding.subject.startswith("2026-12-20#b")
    assert finding.facts["Billed"] == "¥3,000.00"
    assert "matches no installment" in finding.summary


def test_bill_unexpected_clears_once_the_draw_is_logged(session, alice, line, draw) -> None:
    """Logging the 3,000.00 draw of 2026-11-20 explains the bill due 2026-12-20."""
    bill(session, alice, line, "2026-12-20", "268.50", at("2026-12-02 08:00"))
    assert len(check(session, "bill_unexpected", at("2026-12-02 09:00"))) == 1

    log_draw(session, alice, line, "3000.00", 12, date(2026, 11, 20), now=at("2026-12-02 09:00"))

    assert check(session, "bill_unexpected", at("2026-12-02 09:00")) == []


# --- bill_due_soon and bill_overdue ----------------------------------------------------------


def test_bill_due_soon_fires_three_business_days_ahead(session, alice, line, draw) -> None:
    """Due Monday 2026-12-14: on Wednesday 12-09 it is 3 business days away (Thu, Fri, Mon)."""
    bill(session, alice, line, "2026-12-14", "899.75", at("2026-12-01 08:00"))

    assert check(session, "bill_due_soon", at("2026-12-09 00:00") - MINUTE) == []
    [finding] = check(session, "bill_due_soon", at("2026-12-09 00:00"))
    assert finding.summary == "bill of ¥899.75 is due 2026-12-14 (in 5 days), not paid"
    assert finding.severity is Severity.WARNING

    bill(session, alice, line, "2026-12-14", "899.75", at("2026-12-10 08:00"), paid=True)

    assert check(session, "bill_due_soon", at("2026-12-10 08:00")) == []


def test_a_bill_due_after_golden_week_is_due_soon_before_the_holiday(session, alice) -> None:
    """Due 2025-10-09, 11 days after Sunday 09-28, but only 3 business days: 09-29, 09-30, 10-09."""
    facility = jiebei_line(session, alice, at("2025-08-01 09:00"))
    bill(session, alice, facility, "2025-10-09", "5000.00", at("2025-09-20 08:00"))

    # On Saturday 09-27 the next three are 09-28 (a make-up working Sunday), 09-29 and 09-30.
    assert check(session, "bill_due_soon", at("2025-09-28 00:00") - MINUTE) == []
    [finding] = check(session, "bill_due_soon", at("2025-09-28 00:00"))
    assert "(in 11 days)" in finding.summary


def test_bill_overdue_fires_once_the_due_date_has_ended(session, alice, line, draw) -> None:
    """Unpaid and due 2026-12-10: due soon that day, overdue (critical) from 12-11 00:00."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-01 08:00"))
    last_minute = at("2026-12-11 00:00") - MINUTE

    assert check(session, "bill_overdue", last_minute) == []
    assert "(today)" in check(session, "bill_due_soon", last_minute)[0].summary
    [finding] = check(session, "bill_overdue", at("2026-12-11 00:00"))
    assert finding.severity is Severity.CRITICAL
    assert finding.summary == "bill of ¥899.75 was due 2026-12-10, 1 day ago, and is not paid"
    assert check(session, "bill_due_soon", at("2026-12-11 00:00")) == []

    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-11 09:00"), paid=True)

    assert check(session, "bill_overdue", at("2026-12-11 09:00")) == []


# --- limit_dropped, limit_frozen -------------------------------------------------------------


def test_limit_dropped_fires_past_the_percentage_and_clears_when_restored(
    session, alice, line
) -> None:
    """Expected 200,000.00: 160,000.00 is exactly 20 % lower (quiet), 159,999.99 is more."""
    reading(session, alice, line, at("2026-12-01 09:00"), "200000.00")
    reading(session, alice, line, at("2026-12-02 09:00"), "160000.00")
    assert check(session, "limit_dropped", at("2026-12-02 10:00")) == []

    reading(session, alice, line, at("2026-12-03 09:00"), "159999.99")
    assert check(session, "limit_dropped", at("2026-12-03 09:00") - MINUTE) == []
    [finding] = check(session, "limit_dropped", at("2026-12-03 09:00"))
    assert finding.summary == ("limit fell to ¥159,999.99, 20.0 % below the expected ¥200,000.00")

    reading(session, alice, line, at("2026-12-04 09:00"), "200000.00")
    assert check(session, "limit_dropped", at("2026-12-04 09:00")) == []


def test_limit_dropped_compares_with_the_previous_reading_too(session, alice, line) -> None:
    """Raised to 300,000.00 by the platform, then down to 230,000.00: 23.3 % below it."""
    reading(session, alice, line, at("2026-12-01 09:00"), "300000.00")
    reading(session, alice, line, at("2026-12-02 09:00"), "230000.00")

    [finding] = check(session, "limit_dropped", at("2026-12-02 10:00"))

    assert "23.3 % below the previous reading ¥300,000.00" in finding.summary


@pytest.mark.parametrize(
    ("limit", "status"), [("200000.00", LimitStatus.FROZEN), ("0.00", LimitStatus.ACTIVE)]
)
def test_limit_frozen_is_critical_and_clears_when_active_again(
    session, alice, line, limit, status
) -> None:
    """A frozen status or a zero limit is what a frozen line shows; an active reading clears it."""
    reading(session, alice, line, at("2026-12-01 09:00"), "200000.00")
    reading(session, alice, line, at("2026-12-02 09:00"), limit, "0.00", status)

    assert check(session, "limit_frozen", at("2026-12-02 09:00") - MINUTE) == []
    [finding] = check(session, "limit_frozen", at("2026-12-02 09:00"))
    assert finding.severity is Severity.CRITICAL
    assert finding.facts["Status shown"] == str(status)
    assert check(session, "limit_dropped", at("2026-12-02 09:00")) == []

    reading(session, alice, line, at("2026-12-03 09:00"), "200000.00")
    assert check(session, "limit_frozen", at("2026-12-03 09:00")) == []


def test_a_facility_whose_summary_is_missing_is_read_from_its_readings(
    session, alice, line
) -> None:
    """Rows written past the ORM leave no summary: the limit checks read the readings instead."""
    reading(session, alice, line, at("2026-12-01 09:00"), "200000.00")
    reading(session, alice, line, at("2026-12-02 09:00"), "0.00", "0.00", LimitStatus.FROZEN)
    session.execute(delete(FacilitySummary).where(FacilitySummary.facility_id == line.id))

    [finding] = check(session, "limit_frozen", at("2026-12-02 10:00"))

    assert finding.facts["Reading taken"] == "2026-12-02 09:00 (Asia/Shanghai)"


# --- limit_inconsistent ----------------------------------------------------------------------


def test_limit_inconsistent_waits_for_the_restore_lag_after_a_draw(
    session, alice, line, draw
) -> None:
    """Drawn 10,000.00 (logged 12:00): a reading from 14:00 on must show 190,000.00 available."""
    reading(session, alice, line, at("2026-11-10 14:00") - MINUTE, "200000.00", "200000.00")
    reading(session, alice, line, at("2026-11-10 14:00"), "200000.00", "200000.00")

    assert check(session, "limit_inconsistent", at("2026-11-10 14:00") - MINUTE) == []
    [finding] = check(session, "limit_inconsistent", at("2026-11-10 14:00"))
    assert finding.summary == (
        "the platform shows ¥200,000.00 available; the ledger says ¥190,000.00 "
        "(¥200,000.00 limit − ¥10,000.00 outstanding), off by ¥10,000.00"
    )

    reading(session, alice, line, at("2026-11-10 15:00"), "200000.00", "190000.01")
    assert check(session, "limit_inconsistent", at("2026-11-10 15:00")) == []


@pytest.mark.parametrize(
    ("limit", "available", "words"),
    [
        ("200000.00", "200000.01", "more than its limit"),
        ("200000.00", "-5.00", "negative"),
        ("-1.00", None, "negative"),
    ],
)
def test_limit_inconsistent_fires_for_impossible_readings_without_any_lag(
    session, alice, line, limit, available, words
) -> None:
    """Available above the limit, or a negative figure, needs no ledger to be wrong."""
    log_draw(session, alice, line, "10000.00", 12, date(2026, 12, 1), now=at("2026-12-01 09:00"))
    reading(session, alice, line, at("2026-12-01 09:05"), limit, available)

    [finding] = check(session, "limit_inconsistent", at("2026-12-01 09:05"))

    assert words in finding.summary


def test_a_frozen_line_is_left_to_limit_frozen_not_reported_twice(
    session, alice, line, draw
) -> None:
    """A frozen line at 0 with money outstanding is one critical alert, not two."""
    reading(session, alice, line, at("2026-11-12 09:00"), "0.00", "0.00", LimitStatus.FROZEN)

    assert check(session, "limit_inconsistent", at("2026-11-12 09:00")) == []
    assert len(check(session, "limit_frozen", at("2026-11-12 09:00"))) == 1


# --- data_stale ------------------------------------------------------------------------------


def test_data_stale_counts_from_when_a_facility_without_readings_was_added(session, line) -> None:
    """Added Sunday 2026-11-01 09:00 and never read: Monday and Tuesday count, stale from
    Wednesday 2026-11-04 00:00 (48 business hours; the Sunday counts nothing)."""
    assert check(session, "data_stale", at("2026-11-04 00:00") - MINUTE) == []
    [finding] = check(session, "data_stale", at("2026-11-04 00:00"))
    assert finding.summary == (
        "nothing seen from the platform since the facility was added 63 h, 48 business hours "
        "ago; expected at least every 48 business hours"
    )
    assert finding.facts["Last seen"] == "never"


def test_data_stale_counts_from_the_last_observation_of_any_kind(
    session, alice, line, draw
) -> None:
    """A reading at 12-01 09:00 keeps it fresh until 12-03 09:00; a bill seen then clears it."""
    reading(session, alice, line, at("2026-12-01 09:00"), "200000.00")

    assert check(session, "data_stale", at("2026-12-03 09:00") - MINUTE) == []
    [finding] = check(session, "data_stale", at("2026-12-03 09:00"))
    assert finding.facts["Last seen"] == "2026-12-01 09:00 (Asia/Shanghai)"

    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-03 10:00"))
    assert check(session, "data_stale", at("2026-12-03 10:00")) == []


def test_data_stale_uses_the_facilitys_own_window(session, line) -> None:
    """A facility read hourly can say stale after 4 business hours: added on a Sunday, from
    Monday 04:00."""
    line.stale_after_hours = 4
    assert check(session, "data_stale", at("2026-11-02 04:00") - MINUTE) == []
    assert len(check(session, "data_stale", at("2026-11-02 04:00"))) == 1


def test_data_stale_uses_the_facilitys_own_window_after_a_reading(session, alice, line) -> None:
    """Read at 09:00 with a window of 4 h: stale from 13:00, well inside the default 48 h."""
    line.stale_after_hours = 4
    reading(session, alice, line, at("2026-11-02 09:00"), "200000.00")

    assert check(session, "data_stale", at("2026-11-02 13:00") - MINUTE) == []
    [finding] = check(session, "data_stale", at("2026-11-02 13:00"))
    assert finding.facts["Last seen"] == "2026-11-02 09:00 (Asia/Shanghai)"


# --- draw_unconfirmed ------------------------------------------------------------------------


def test_draw_unconfirmed_fires_a_day_after_the_draw_was_logged(session, alice, line, draw) -> None:
    """Logged 2026-11-10 12:00: unconfirmed from 2026-11-11 12:00; a payout clears it."""
    assert check(session, "draw_unconfirmed", at("2026-11-11 12:00") - MINUTE) == []
    [finding] = check(session, "draw_unconfirmed", at("2026-11-11 12:00"))
    assert finding.subject == f"d{draw.id}"
    assert finding.facts["Amount"] == "¥10,000.00"

    record_draw_confirmation(
        session,
        alice,
        line,
        occurred_at=at("2026-11-10 11:58"),
        amount=D("10000.00"),
        external_ref="2026111022001",
        description="借呗放款",
        now=at("2026-11-11 13:00"),
    )
    assert check(session, "draw_unconfirmed", at("2026-11-11 13:00")) == []


def test_a_bill_for_the_first_installment_confirms_a_draw(session, alice, line, draw) -> None:
    """No payout imported, but the platform bills 899.75 for 2026-12-10: the draw happened."""
    bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-01 09:00"))

    assert check(session, "draw_unconfirmed", at("2026-12-01 09:00") - MINUTE) != []
    assert check(session, "draw_unconfirmed", at("2026-12-01 09:00")) == []


def test_draw_unconfirmed_uses_the_facilitys_own_window(session, line, draw) -> None:
    """A platform whose statements lag may get 48 h: unconfirmed from 2026-11-12 12:00."""
    line.confirm_window_hours = 48

    assert check(session, "draw_unconfirmed", at("2026-11-12 12:00") - MINUTE) == []
    assert len(check(session, "draw_unconfirmed", at("2026-11-12 12:00"))) == 1


# --- utilization_high ------------------------------------------------------------------------


def test_utilization_high_fires_at_ninety_percent_and_clears_after_a_repayment(
    session, alice, line
) -> None:
    """179,999.99 of 200,000.00 is just under 90 %; 180,000.00 is 90 % and fires."""
    now = at("2026-12-01 09:00")
    log_draw(session, alice, line, "179999.99", 12, date(2026, 12, 1), now=now)
    assert check(session, "utilization_high", now) == []

    log_draw(session, alice, line, "0.01", 1, date(2026, 12, 1), now=now)
    [finding] = check(session, "utilization_high", now)
    assert finding.summary == (
        "¥180,000.00 of the ¥200,000.00 limit is drawn (90.0 %); ¥20,000.00 left"
    )

    record_repayment(session, alice, line, D("10000.00"), now=now)
    assert check(session, "utilization_high", now) == []


# --- all of them -----------------------------------------------------------------------------


def test_an_inactive_facility_is_not_checked(session, line, draw) -> None:
    """A line the company closed in loanwatch raises nothing, however stale or unbilled."""
    now = at("2027-06-01 09:00")
    assert run_checks(session, now, DEFAULTS, BusinessCalendar()) != []

    line.active = False

    assert run_checks(session, now, DEFAULTS, BusinessCalendar()) == []


def test_run_checks_refuses_unknown_names_and_naive_times(session) -> None:
    """A typo in a check name or a `now` without a zone is an error, not an empty result."""
    with pytest.raises(ValueError, match="unknown check 'bill_mising'"):
        run_checks(session, at("2026-12-01 09:00"), DEFAULTS, BusinessCalendar(), {"bill_mising"})
    with pytest.raises(ValueError, match="no time zone"):
        run_checks(session, datetime(2026, 12, 1, 9, 0), DEFAULTS, BusinessCalendar())  # noqa: DTZ001


def test_a_check_run_alone_finds_what_it_finds_in_a_whole_run(session, alice) -> None:
    """Checks sharing a cycle's scans report exactly what each reports when called on its own."""
    _portfolio_from(session, alice, 0, 3)
    now = at("2026-12-05 09:00")
    whole = run_checks(session, now, DEFAULTS, BusinessCalendar())

    alone = [
        finding
        for check in CHECKS.values()
        for finding in check(session, now, DEFAULTS, BusinessCalendar())
    ]

    assert alone == whole
    assert {f.check for f in whole} == set(CHECKS) - {"limit_frozen"}


def test_shared_scans_refuse_another_time_or_calendar(session) -> None:
    """Scans made for one `now` and calendar are not reused by a check asked about others."""
    calendar = BusinessCalendar()
    scans = CycleScans(session, at("2026-12-05 09:00"), DEFAULTS, calendar)
    with pytest.raises(ValueError, match="another session, time"):
        CHECKS["limit_frozen"](session, at("2026-12-06 09:00"), DEFAULTS, calendar, scans)
    with pytest.raises(ValueError, match="another session, time"):
        CHECKS["bill_due_soon"](
            session, at("2026-12-05 09:00"), DEFAULTS, BusinessCalendar(), scans
        )


@pytest.mark.parametrize("sizes", [(2, 20)])
def test_the_number_of_queries_does_not_grow_with_the_portfolio(
    engine, sessions, alice, sizes
) -> None:
    """One run issues as many statements for 20 facilities as for 2."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    counts = []
    with sessions() as session:
        done = 0
        for size in sizes:
            _portfolio_from(session, alice, done, size)
            done = size
            event.listen(engine, "before_cursor_execute", count)
            try:
                findings = run_checks(session, at("2026-12-05 09:00"), DEFAULTS, BusinessCalendar())
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert {f.check for f in findings} == set(CHECKS) - {"limit_frozen"}
            counts.append(len(statements))
            statements.clear()

    assert counts[0] == counts[1]
    assert counts[0] <= 3 * len(CHECKS)


def _portfolio_from(session: Session, alice: Actor, start: int, end: int) -> None:
    for n in range(start, end):
        _one_facility(session, alice, n)
    session.commit()


def _one_facility(session: Session, alice: Actor, n: int) -> None:
    facility = jiebei_line(session, alice, at("2026-11-01 09:00"), slug=f"line-{n:03d}")
    # Due on Saturdays (2026-12-12 …), so the holiday-shift path runs too.
    logged = at("2026-11-12 12:00")
    log_draw(session, alice, facility, "180000.00", 12, date(2026, 11, 12), now=logged)
    log_draw(session, alice, facility, "5000.00", 3, date(2026, 11, 1), now=logged)
    bill(session, alice, facility, "2026-12-01", "1800.00", at("2026-11-25 09:00"))
    bill(session, alice, facility, "2026-12-24", "77.00", at("2026-11-25 09:00"))
    bill(session, alice, facility, "2026-12-08", "66.00", at("2026-11-25 09:00"))
    reading(session, alice, facility, at("2026-11-20 09:00"), "200000.00", "15000.00")
    reading(session, alice, facility, at("2026-11-21 09:00"), "120000.00", "15000.00")
    # Paid on one side only: the ledger paid 11-20's installment, which the platform shows
    # unpaid; the platform shows 11-25's paid, which the ledger has not logged.
    unseen = log_draw(session, alice, facility, "3000.00", 3, date(2026, 10, 20), now=logged)
    log_draw(session, alice, facility, "3000.00", 3, date(2026, 10, 25), now=logged)
    first = unseen.installments[0].amount
    bill(session, alice, facility, "2026-11-20", str(first), at("2026-11-19 09:00"))
    bill(session, alice, facility, "2026-11-25", str(first), at("2026-11-25 09:00"), paid=True)
    record_repayment(
        session, alice, facility, first, now=at("2026-11-20 15:00"), paid_on=date(2026, 11, 20)
    )
    # Three "Can't see it" answers after the last reading: platform_unavailable (answered
    # before data_stale's window, which they count for, so data_stale still fires).
    for day in (22, 23, 24):
        answered = at(f"2026-11-{day} 10:05")
        session.add(
            ReadingRequest(
                facility_id=facility.id,
                slot=at(f"2026-11-{day} 10:00"),
                owner="U0DANA",
                state="answered",
                sent_at=answered,
                answer="unavailable",
                answered_by="U0DANA",
                answered_at=answered,
            )
        )
    # A 10.00 fee the platform itemised, which the ledger cannot place: repayment_mismatch.
    record_repayment(
        session,
        alice,
        facility,
        D("10.00"),
        paid_on=date(2026, 11, 15),
        fee=D("10.00"),
        now=at("2026-11-15 10:00"),
    )


# --- rows written before dates were bounded -----------------------------------------------------

ENDS_OF_THE_CALENDAR = [date.min, date(1, 1, 2), date(1999, 12, 31), date(9999, 12, 30), date.max]


def _bill_past_the_ledger(session: Session, line: Facility, due: date, seen: datetime) -> Bill:
    """A bill as a database written before 2000-2100 was enforced may hold it (the ledger
    functions now refuse such a date; the ORM still writes it)."""
    bill = Bill(facility_id=line.id, due_date=due, amount=D("100.00"), paid=False, observed_at=seen)
    bill.source = "cli"
    session.add(bill)
    session.flush()
    return bill


def _installments_past_the_ledger(session: Session, line: Facility, *dues: date) -> None:
    """A draw whose installments fall on `dues`, written the same way."""
    draw = Draw(
        facility_id=line.id,
        amount=D("1000.00"),
        drawn_on=min(dues),
        months=len(dues),
        repayment_method="equal-installment",
        day_count="30",
        daily_rate=D("0"),
        created_at=LOGGED,
        created_by="cli:alice",
    )
    session.add(draw)
    session.flush()
    share = (D("1000.00") / len(dues)).quantize(D("0.01"))
    for seq, due in enumerate(dues, start=1):
        session.add(
            Installment(
                draw_id=draw.id,
                facility_id=line.id,
                seq=seq,
                revision=0,
                due_date=due,
                principal=share,
                interest=D("0.00"),
                amount=share,
                status="scheduled",
            )
        )
    session.flush()


@pytest.mark.parametrize("due", ENDS_OF_THE_CALENDAR, ids=str)
def test_a_bill_at_an_end_of_the_calendar_stops_no_check(session, line, draw, due) -> None:
    """A bill dated 0001-01-01 (or 9999-12-31), written before the ledger refused it, is checked
    like any other: no check raises, and it is reported as matching no installment."""
    now = at("2026-12-05 09:00")
    odd = _bill_past_the_ledger(session, line, due, now - ONE_DAY)

    findings = run_checks(session, now, DEFAULTS, BusinessCalendar())

    assert f"{due.isoformat()}#b{odd.id}" in {
        f.subject for f in findings if f.check == "bill_unexpected"
    }


@pytest.mark.parametrize("billed", [True, False], ids=["billed", "unbilled"])
@pytest.mark.parametrize("due", ENDS_OF_THE_CALENDAR, ids=str)
def test_installments_at_an_end_of_the_calendar_stop_no_check(
    session, line, draw, due, billed
) -> None:
    """A draw whose installments fall at an end of the calendar, with or without a bill beside
    them, is checked without raising; the rest of the portfolio is still checked."""
    now = at("2026-12-05 09:00")
    _installments_past_the_ledger(session, line, due)
    if billed:
        _bill_past_the_ledger(session, line, due, now - ONE_DAY)

    findings = run_checks(session, now, DEFAULTS, BusinessCalendar())

    assert f"2026-12-10#d{draw.id}" in {f.subject for f in findings if f.check == "bill_missing"}


def test_a_reading_at_the_start_of_the_calendar_stops_no_check(session, alice) -> None:
    """A limit reading stamped 0001-01-01T00:00Z on a line in Los Angeles (a moment that has no
    local time there) is reported, its time in UTC, instead of stopping the checks."""
    west = jiebei_line(session, alice, at("2026-11-01 09:00"), slug="us-line")
    west.timezone = "America/Los_Angeles"
    ancient = LimitReading(
        facility_id=west.id,
        observed_at=datetime.min.replace(tzinfo=UTC),
        limit_amount=D("100.00"),
        available=D("500.00"),
        status="active",
        source="cli",
    )
    session.add(ancient)
    session.flush()

    findings = run_checks(session, at("2026-12-05 09:00"), DEFAULTS, BusinessCalendar())

    [inconsistent] = [f for f in findings if f.check == "limit_inconsistent"]
    assert inconsistent.facts["Reading taken"] == "0001-01-01T00:00+00:00 (UTC)"
