"""Draws stored with the schedules they imply, on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.errors import InputError
from bot.ledger.draws import DrawRequest, current_installments, outstanding_principal, record_draw
from bot.ledger.facilities import get_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import AuditRecord, Draw, Installment
from tests.ledger.cast import jiebei_line

D = Decimal


@pytest.mark.parametrize(
    ("method", "day_count", "first", "last", "total_interest"),
    [
        (RepaymentMethod.EQUAL_INSTALLMENT, DayCount.THIRTY, "899.75", "899.80", "797.05"),
        (RepaymentMethod.EQUAL_INSTALLMENT, DayCount.ACTUAL, "900.41", "900.42", "804.93"),
        (RepaymentMethod.EQUAL_PRINCIPAL, DayCount.THIRTY, "953.33", None, "780.00"),
        (RepaymentMethod.INTEREST_FIRST, DayCount.THIRTY, "120.00", "10120.00", "1440.00"),
    ],
)
def test_the_worked_examples_are_stored_to_the_fen(
    session, alice, now, method, day_count, first, last, total_interest
) -> None:
    """The DESIGN.md examples (10,000.00 at 0.04 %/day, 12 months) survive the database exactly."""
    facility = jiebei_line(session, alice, now, method=method, day_count=day_count)
    draw = record_draw(
        session, alice, facility, DrawRequest(D("10000.00"), 12, date(2025, 1, 10)), now=now
    )
    session.commit()
    session.expire_all()

    rows = current_installments(session, draw)
    assert len(rows) == 12
    assert rows[0].amount == D(first)
    if last is not None:
        assert rows[-1].amount == D(last)
    assert sum(r.interest for r in rows) == D(total_interest)
    assert sum(r.principal for r in rows) == D("10000.00")
    assert [r.due_date for r in rows][:2] == [date(2025, 2, 10), date(2025, 3, 10)]
    assert all(r.amount == r.principal + r.interest for r in rows)


def test_a_draw_on_january_31st_is_due_at_each_months_end(session, alice, now) -> None:
    """Drawn on Jan 31 2024 (a leap year): Feb 29, Mar 31, Apr 30, never drifting to the 29th."""
    facility = jiebei_line(session, alice, now)
    draw = record_draw(
        session, alice, facility, DrawRequest(D("3000.00"), 4, date(2024, 1, 31)), now=now
    )
    session.commit()
    dues = [r.due_date for r in current_installments(session, draw)]
    assert dues == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]


def test_a_fixed_repayment_day_overrides_the_draws_day(session, alice, now) -> None:
    """A facility that repays on the 10th gets due dates on the 10th, whatever the draw's day."""
    facility = jiebei_line(session, alice, now, repayment_day=10)
    draw = record_draw(
        session, alice, facility, DrawRequest(D("3000.00"), 2, date(2025, 1, 25)), now=now
    )
    dues = [r.due_date for r in current_installments(session, draw)]
    assert dues == [date(2025, 2, 10), date(2025, 3, 10)]


def test_a_draw_adds_to_outstanding_and_is_audited(session, alice, now) -> None:
    """Outstanding principal grows by the draw, and the audit trail names Alice and the draw."""
    facility = jiebei_line(session, alice, now)
    record_draw(
        session,
        alice,
        facility,
        DrawRequest(D("5000.00"), 6, date(2025, 3, 1), note="rent"),
        now=now,
    )
    record_draw(session, alice, facility, DrawRequest(D("2500.50"), 3, date(2025, 3, 2)), now=now)
    session.commit()

    assert outstanding_principal(session, facility.id) == D("7500.50")
    entry = session.scalars(select(AuditRecord).where(AuditRecord.action == "draw.add")).first()
    assert entry.actor == "cli:alice"
    assert entry.after["amount"] == "5000.00"
    assert entry.after["note"] == "rent"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (DrawRequest(D("250000.00"), 12, date(2025, 1, 10)), "above its limit"),
        (DrawRequest(D("1000.00"), 12, date(2099, 1, 10)), "in the future"),
        (DrawRequest(D("1000.00"), 0, date(2025, 1, 10)), "month"),
        (DrawRequest(D("0.00"), 12, date(2025, 1, 10)), "more than zero"),
    ],
)
def test_a_refused_draw_writes_nothing(sessions, alice, now, request_, message) -> None:
    """An over-limit, future, zero-term or zero draw is refused and leaves no draw behind."""
    with sessions.begin() as session:
        jiebei_line(session, alice, now)
    with pytest.raises(InputError, match=message), sessions.begin() as session:
        record_draw(session, alice, get_facility(session, "jiebei-main"), request_, now=now)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draw)) == 0
        assert session.scalar(select(func.count()).select_from(Installment)) == 0


def test_over_limit_is_allowed_when_asked(session, alice, now) -> None:
    """A draw the platform really lent above the recorded limit can be logged deliberately."""
    facility = jiebei_line(session, alice, now, limit="1000.00")
    request = DrawRequest(D("1500.00"), 3, date(2025, 1, 10), allow_over_limit=True)
    record_draw(session, alice, facility, request, now=now)
    assert outstanding_principal(session, facility.id) == D("1500.00")
