"""What an alert's **At risk** line says agrees with the ledger (issue 11), on SQLite and
PostgreSQL: no "overdue" on what the ledger or the platform shows paid, "overdue since" the
day after the collection day, and the late fee by the facility's own penalty rule.

The cast: Alice's Jiebei line (0.04 %/day, penalty 1.5× on principal and interest) with 10,000
drawn over 12 months on 2026-11-10 (899.75 due on the 10th from 2026-12-10), and a Weilidai
line (0.05 %/day, penalty 1.5× on principal only). Times are Shanghai wall-clock times.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.alerts.at_risk import money_at_risk
from bot.calendar import BusinessCalendar
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.repayments import record_repayment
from tests.jobs.test_checks import at, bill
from tests.ledger.cast import jiebei_line, log_draw

D = Decimal
CALENDAR = BusinessCalendar()


@dataclass(frozen=True)
class Seen:
    """An alert as money_at_risk reads it."""

    id: int
    check: str
    facility_id: int
    subject: str


def risk(session, check: str, facility, subject: str, now):
    return money_at_risk(
        session, [Seen(1, check, facility.id, subject)], now=now, calendar=CALENDAR
    )[1]


def _jiebei(session, alice):
    line = jiebei_line(session, alice, at("2026-11-01 09:00"))
    log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00"))
    return line


def test_an_installment_the_ledger_shows_paid_is_not_overdue(session, alice) -> None:
    """A bill_amount_mismatch on the 12-10 installment the ledger paid in full: no "overdue",
    no late fee, not urgent."""
    line = _jiebei(session, alice)
    record_repayment(
        session, alice, line, D("899.75"), now=at("2026-12-10 10:00"), paid_on=date(2026, 12, 10)
    )

    found = risk(session, "bill_amount_mismatch", line, "2026-12-10", at("2026-12-15 10:00"))

    assert found.fact() == "¥899.75 due 2026-12-10, paid in the ledger"
    assert "overdue" not in found.words()
    assert not found.urgent(2)


def test_a_bill_the_platform_shows_paid_is_not_overdue(session, alice) -> None:
    """repayment_unlogged: the platform shows the bill paid, the ledger has nothing yet."""
    line = _jiebei(session, alice)
    shown = bill(session, alice, line, "2026-12-10", "899.75", at("2026-12-11 09:00"), paid=True)

    subject = f"2026-12-10#b{shown.row.id}"
    found = risk(session, "repayment_unlogged", line, subject, at("2026-12-15 10:00"))

    assert found.fact() == "¥899.75 due 2026-12-10, paid on the platform"
    assert not found.urgent(2)


def test_an_unpaid_bill_is_overdue_from_the_day_after_it_is_collected(session, alice) -> None:
    """Due 12-10, unpaid: due on 12-10 itself, "overdue since 2026-12-11" from 12-11."""
    line = _jiebei(session, alice)

    on_the_day = risk(session, "bill_missing", line, "2026-12-10", at("2026-12-10 18:00"))
    after = risk(session, "bill_missing", line, "2026-12-10", at("2026-12-11 09:00"))

    assert on_the_day.fact().startswith("¥899.75 due 2026-12-10;")
    assert after.fact().startswith("¥899.75 due 2026-12-10, overdue since 2026-12-11;")


def test_a_bank_bill_due_on_a_holiday_is_overdue_after_its_collection_day(session, alice) -> None:
    """Due 10-01 under `following`, collected 10-08: not overdue on 10-05; overdue since 10-09."""
    line = jiebei_line(session, alice, at("2026-08-25 09:00"), slug="bank")
    line.holiday_rule = "following"
    log_draw(session, alice, line, "10000.00", 1, date(2026, 9, 1), now=at("2026-09-01 12:00"))

    during = risk(session, "bill_missing", line, "2026-10-01", at("2026-10-05 10:00"))
    after = risk(session, "bill_missing", line, "2026-10-01", at("2026-10-09 10:00"))

    assert "overdue" not in during.fact()
    assert "due 2026-10-01, collected 2026-10-08" in during.fact()
    assert during.business_days == 1
    assert "collected 2026-10-08, overdue since 2026-10-09" in after.fact()


def test_the_alerts_own_message_counts_overdue_from_the_collection_day(session, alice) -> None:
    """The alert's message reads its At risk fact without a calendar of its own (the notifier
    passes none): a bank bill due 10-01, collected 10-08, is still "overdue since 2026-10-09",
    and the 11-01 one, collected 11-02, "overdue since 2026-11-03" (not the day after the due
    date)."""
    line = jiebei_line(session, alice, at("2026-08-25 09:00"), slug="bank")
    line.holiday_rule = "following"
    log_draw(session, alice, line, "10000.00", 3, date(2026, 9, 1), now=at("2026-09-01 12:00"))

    def fact(subject: str, now) -> str:
        seen = Seen(1, "bill_overdue", line.id, subject)
        return money_at_risk(session, [seen], now=now)[1].fact()

    assert "collected 2026-10-08, overdue since 2026-10-09" in fact(
        "2026-10-01", at("2026-10-09 10:00")
    )
    assert "collected 2026-11-02, overdue since 2026-11-03" in fact(
        "2026-11-01", at("2026-11-03 10:00")
    )


def test_the_late_fee_follows_a_penalty_on_principal_only(session, alice) -> None:
    """Weilidai charges 1.5 × 0.05 % a day on the overdue principal only: 3,333.33 of the
    first installment is principal, so ≈ ¥2.50/day, not the ¥2.72 of the whole installment."""
    terms = FacilityTerms.as_given(
        "wl", "weilidai", D("200000"), timezone="Asia/Shanghai", daily_rate=D("0.0005")
    )
    line = add_facility(session, alice, terms, now=at("2026-11-01 09:00"))
    draw = log_draw(
        session, alice, line, "20000.00", 6, date(2026, 11, 8), now=at("2026-11-08 12:00")
    )
    first = min(draw.installments, key=lambda i: i.due_date)
    assert first.principal == D("3333.33")

    found = risk(session, "bill_missing", line, first.due_date.isoformat(), at("2027-01-20 10:00"))

    assert found.late_fee == D("2.50")
    assert "late fee ≈ ¥2.50/day" in found.fact()
