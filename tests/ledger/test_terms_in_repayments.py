"""An early repayment follows the draw's own terms: its annual rate, rounding and periods."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.ledger.draws import current_installments
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.repayments import record_repayment
from bot.ledger.schedule import DayCount, RepaymentMethod, Rounding
from bot.models import Facility
from tests.ledger.cast import log_draw

NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
D = Decimal


def bank_loan(session: Session, alice: Actor, **terms: object) -> Facility:
    """icbc-term: a bank loan, 30-day months and half-up unless told otherwise."""
    return add_facility(
        session,
        alice,
        FacilityTerms(slug="icbc-term", platform="icbc", limit_amount=D("20000000.00"), **terms),  # type: ignore[arg-type]
        now=NOW,
    )


def test_a_prepayment_on_an_annual_rate_accrues_the_exact_annual_interest(
    session: Session, alice: Actor
) -> None:
    """¥3,600,000 at 3.5 %/360 prepaid after 1 day: 350.00 of interest exactly (a daily rate of
    0.00009722 would give 349.99), and the regenerated months charge 3,000,000 at 3.5 %/360 for
    30 days: 8,750.00."""
    loan = bank_loan(
        session,
        alice,
        annual_rate=D("0.035"),
        rate_basis=360,
        repayment_method=RepaymentMethod.INTEREST_FIRST,
    )
    draw = log_draw(session, alice, loan, "3600000.00", 6, date(2026, 1, 15), now=NOW)

    repayment = record_repayment(
        session, alice, loan, D("600350.00"), now=NOW, paid_on=date(2026, 1, 16)
    )

    (allocation,) = repayment.allocations
    assert (allocation.interest, allocation.principal) == (D("350.00"), D("600000.00"))
    later = current_installments(session, draw)
    assert later[1].interest == D("8750.00")


def test_a_prepayment_on_a_line_that_rounds_down_truncates_the_accrued_interest(
    session: Session, alice: Actor
) -> None:
    """12,345.67 at 0.04 %/day for 7 days is 34.567876: 34.56 truncated, not 34.57."""
    line = bank_loan(
        session,
        alice,
        daily_rate=D("0.0004"),
        day_count=DayCount.ACTUAL,
        rounding=Rounding.DOWN,
    )
    log_draw(session, alice, line, "12345.67", 6, date(2026, 1, 15), now=NOW)

    repayment = record_repayment(
        session, alice, line, D("1000.00"), now=NOW, paid_on=date(2026, 1, 22)
    )

    assert repayment.allocations[0].interest == D("34.56")


def test_a_quarterly_interest_draw_prepaid_on_a_quarter_day_keeps_whole_quarters(
    session: Session, alice: Actor
) -> None:
    """Drawn on 2026-03-20 for 12 months on 30-day months: after the June interest is paid and
    half the principal prepaid that day, each later quarter costs 90 days on the rest."""
    loan = bank_loan(
        session,
        alice,
        daily_rate=D("0.0001"),
        repayment_method=RepaymentMethod.QUARTERLY_INTEREST,
    )
    draw = log_draw(session, alice, loan, "100000.00", 12, date(2026, 3, 20), now=NOW)
    assert [i.interest for i in current_installments(session, draw)] == [D("900.00")] * 4

    record_repayment(session, alice, loan, D("50900.00"), now=NOW, paid_on=date(2026, 6, 20))

    scheduled = [i for i in current_installments(session, draw) if i.status == "scheduled"]
    assert [(i.due_date, i.interest) for i in scheduled] == [
        (date(2026, 9, 20), D("450.00")),
        (date(2026, 12, 20), D("450.00")),
        (date(2027, 3, 20), D("450.00")),
    ]
    assert scheduled[-1].principal == D("50000.00")
