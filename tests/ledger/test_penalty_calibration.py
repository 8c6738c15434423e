"""`facility calibrate` reads the penalty rule only off bills seen after the late repayment.

Weilidai at 0.05 %/day, equal installment on 30-day months: 20,000 over 6 months drawn
2026-05-08 is 3,510.50 a month; the June installment paid three days late carries 7.22 of
penalty under 1.5x the rate on overdue principal.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.ledger.calibration import calibrate
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import record_bill
from bot.ledger.repayments import record_repayment
from bot.ledger.schedule import DayCount, RepaymentMethod
from tests.ledger.cast import log_draw

D = Decimal


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


def test_a_bill_seen_before_the_late_repayment_is_no_evidence(session: Session, alice: Actor):
    """The June bill seen on 06-09 shows 3,510.50 (no penalty yet); the repayment of 06-11
    paid 7.22 more. That bill says nothing of the rule: it stays unconfirmed, not "no penalty".
    Seen again on 06-12 at 3,517.72 (a correction), it confirms 1.5x on principal."""
    line = add_facility(
        session,
        alice,
        FacilityTerms(
            slug="wl",
            platform="weilidai",
            limit_amount=D("200000"),
            daily_rate=D("0.0005"),
            repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
            day_count=DayCount.THIRTY,
            penalty_multiplier=D("1.5"),
            penalty_on_interest=False,
        ),
        now=at("2026-05-01T09:00"),
    )
    log_draw(session, alice, line, "20000.00", 6, date(2026, 5, 8), now=at("2026-05-08T12:00"))
    record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 6, 8),
        amount=D("3510.50"),
        paid=False,
        now=at("2026-06-09T09:00"),
    )
    record_repayment(
        session, alice, line, D("3517.72"), paid_on=date(2026, 6, 11), now=at("2026-06-11T18:00")
    )
    calendar = BusinessCalendar()

    report = calibrate(session, line, calendar).report()
    assert report.splitlines()[-1].startswith("Penalty rule (penalty 1.5x the rate on overdue ")

    record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 6, 8),
        amount=D("3517.72"),
        paid=True,
        now=at("2026-06-12T09:00"),
    )
    report = calibrate(session, line, calendar).report()
    assert report.splitlines()[-2:] == [
        "Penalty in the 1 bill after a late repayment reproduced to the fen by: penalty 1.5x "
        "the rate on overdue principal.",
        "wl is already set to it; nothing to change.",
    ]
