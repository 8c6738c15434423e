"""Repayments: settling installments, prepaying, and regenerating the rest, on both databases."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.errors import InputError
from bot.ledger.draws import current_installments, outstanding_principal
from bot.ledger.facilities import get_facility
from bot.ledger.repayments import record_repayment
from bot.models import Installment, Repayment, RepaymentAllocation
from tests.ledger.cast import jiebei_line, log_draw

D = Decimal


def _pay(session, alice, facility, amount: str, on: date, now):
    return record_repayment(session, alice, facility, D(amount), paid_on=on, now=now)


@pytest.fixture
def drawn(session, alice, now):
    """Alice drew 10,000.00 on 2025-01-10 over 12 months at 0.04 %/day (the worked example)."""
    facility = jiebei_line(session, alice, now)
    draw = log_draw(session, alice, facility, "10000.00", 12, date(2025, 1, 10), now=now)
    return facility, draw


def test_paying_an_installment_on_its_due_date_settles_it(session, alice, now, drawn) -> None:
    """899.75 on 2025-02-10 pays installment 1: 779.75 principal, 120.00 interest, nothing else."""
    facility, draw = drawn
    repayment = _pay(session, alice, facility, "899.75", date(2025, 2, 10), now)

    rows = current_installments(session, draw)
    assert rows[0].status == "paid"
    assert rows[0].paid_on == date(2025, 2, 10)
    assert all(r.status == "scheduled" and r.revision == 0 for r in rows[1:])
    assert [(a.principal, a.interest) for a in repayment.allocations] == [
        (D("779.75"), D("120.00"))
    ]
    assert outstanding_principal(session, facility.id) == D("9220.25")


def test_an_early_repayment_regenerates_the_rest_with_interest_to_the_repayment_day(
    session, alice, now, drawn
) -> None:
    """3,000 on 2025-02-20 pays 10 days' interest, cuts principal, and reshapes installments 2-12.

    After installment 1 the balance is 9,220.25. Interest from Feb 10 to Feb 20 is
    9,220.25 x 0.0004 x 10 = 36.88, so 2,963.12 goes to principal and 6,257.13 is left. The new
    installment 2 (due Mar 10) carries 18 days of interest from the repayment day: 45.05.
    """
    facility, draw = drawn
    _pay(session, alice, facility, "899.75", date(2025, 2, 10), now)
    repayment = _pay(session, alice, facility, "3000.00", date(2025, 2, 20), now)

    assert [(a.installment_id, a.principal, a.interest) for a in repayment.allocations] == [
        (None, D("2963.12"), D("36.88"))
    ]
    assert outstanding_principal(session, facility.id) == D("6257.13")
    rows = current_installments(session, draw)
    assert [r.seq for r in rows] == list(range(1, 13))
    assert rows[0].revision == 0
    assert all(r.revision == 1 for r in rows[1:])
    assert [r.due_date for r in rows[1:]] == [date(2025, m, 10) for m in range(3, 13)] + [
        date(2026, 1, 10)
    ]
    assert rows[1].interest == D("45.05")
    assert sum(r.principal for r in rows[1:]) == D("6257.13")
    superseded = session.scalar(
        select(func.count()).where(
            Installment.draw_id == draw.id, Installment.status == "superseded"
        )
    )
    assert superseded == 11


def test_paying_off_everything_early_leaves_nothing_scheduled(session, alice, now, drawn) -> None:
    """The whole balance plus interest to date closes the draw: no installment is left to pay."""
    facility, draw = drawn
    # 10,000 x 0.0004 x 15 days (Jan 10 to Jan 25) = 60.00 of interest.
    _pay(session, alice, facility, "10060.00", date(2025, 1, 25), now)

    assert outstanding_principal(session, facility.id) == D("0.00")
    assert [r for r in current_installments(session, draw) if r.status == "scheduled"] == []


def test_missed_installments_are_settled_oldest_first_with_their_penalty(
    session, alice, now, drawn
) -> None:
    """Two installments paid late in one go both end up paid with their penalty, nothing prepaid.

    The bank default: 1.5 x 0.04 %/day on the overdue principal and interest, 899.75 each:
    30 days late is 16.20, 2 days late 1.08; 1,799.50 + 17.28 settles both.
    """
    facility, draw = drawn
    repayment = _pay(session, alice, facility, "1816.78", date(2025, 3, 12), now)

    rows = current_installments(session, draw)
    assert [r.status for r in rows[:3]] == ["paid", "paid", "scheduled"]
    assert all(a.installment_id is not None for a in repayment.allocations)
    assert [a.penalty for a in repayment.allocations] == [D("16.20"), D("1.08")]
    assert repayment.unexplained == D("0.00")
    assert all(r.revision == 0 for r in rows)


def test_a_partial_payment_leaves_the_installment_open_until_the_rest_arrives(
    session, alice, now, drawn
) -> None:
    """500 toward an 899.75 installment pays its interest first; the rest a day late settles it,
    with a day's penalty on the 399.75 left overdue (399.75 x 0.0004 x 1.5 = 0.24)."""
    facility, draw = drawn
    first = _pay(session, alice, facility, "500.00", date(2025, 2, 10), now)
    assert [(a.principal, a.interest) for a in first.allocations] == [(D("380.00"), D("120.00"))]
    assert current_installments(session, draw)[0].status == "scheduled"

    rest = _pay(session, alice, facility, "399.99", date(2025, 2, 11), now)
    assert [a.penalty for a in rest.allocations] == [D("0.24")]
    assert current_installments(session, draw)[0].status == "paid"
    assert outstanding_principal(session, facility.id) == D("9220.25")


def test_paying_a_visible_bill_a_few_days_early_pays_that_bill(session, alice, now, drawn) -> None:
    """An installment due in 5 days is inside the bill lead window: paying it is no prepayment."""
    facility, draw = drawn
    _pay(session, alice, facility, "899.75", date(2025, 2, 5), now)

    rows = current_installments(session, draw)
    assert rows[0].status == "paid"
    assert all(r.revision == 0 for r in rows)


def test_repayments_settle_the_older_draw_first(session, alice, now, drawn) -> None:
    """With two draws billed on the same day, the one drawn first is paid first."""
    facility, older = drawn
    newer = log_draw(session, alice, facility, "2000.00", 2, date(2025, 1, 10), now=now)
    _pay(session, alice, facility, "899.75", date(2025, 2, 10), now)

    assert current_installments(session, older)[0].status == "paid"
    assert current_installments(session, newer)[0].status == "scheduled"


@pytest.mark.parametrize(
    ("amount", "on", "message"),
    [
        ("100.00", date(2099, 1, 1), "in the future"),
        ("100.00", date(2025, 1, 5), "2025-01-05 is before jiebei-main's first draw"),
    ],
)
def test_a_refused_repayment_writes_nothing(sessions, alice, now, amount, on, message) -> None:
    """Paying in the future or before any draw changes nothing."""
    with sessions.begin() as session:
        facility = jiebei_line(session, alice, now)
        log_draw(session, alice, facility, "10000.00", 12, date(2025, 1, 10), now=now)

    with pytest.raises(InputError, match=message), sessions.begin() as session:
        _pay(session, alice, get_facility(session, "jiebei-main"), amount, on, now)

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Repayment)) == 0
        assert session.scalar(select(func.count()).select_from(RepaymentAllocation)) == 0
        statuses = session.scalars(select(Installment.status).distinct()).all()
        assert statuses == ["scheduled"]
