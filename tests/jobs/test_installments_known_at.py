# ruff: noqa: F811 (the fixtures are those of test_allocations_known_at)
"""A check run as of T reads the schedule in force at T: a prepayment logged after T, which
regenerates the rest of a draw's schedule, leaves how T is judged as it was (issue 11).

The cast: Alice's Jiebei line (Asia/Shanghai), set up on 2026-11-01, and 10,000.00 over 12
months drawn 2026-11-10 and logged at noon: 899.75 due on the 10th of each month. She paid the
first installment on its day and logged it the next morning; Jiebei's bill for 2027-01-10,
899.75, was seen on 2027-01-02. Times are Shanghai wall-clock times.
"""

from datetime import date
from decimal import Decimal

from bot.ledger.bills import record_bill
from bot.ledger.repayments import record_repayment
from bot.models import Installment, InstallmentStatus
from tests.jobs.test_allocations_known_at import draw, line, paid_on_time  # noqa: F401
from tests.jobs.test_checks import at
from tests.jobs.test_terms_known_at import found

D = Decimal
MOMENTS = ["2027-01-03 10:00", "2027-01-05 10:00", "2027-01-08 10:00"]


def test_a_prepayment_logged_later_does_not_change_the_schedule_read_before_it(
    session,
    alice,
    line,
    draw,
    paid_on_time,
) -> None:
    """On 01-09 Alice logs 5,000.00 she prepaid on 12-20: the rest of the schedule is
    regenerated, smaller. As of 01-03 … 01-08 the ledger expected 899.75 on 01-10 and the bill
    agreed: the checks as of then find what a copy of the database taken then finds."""
    seen = at("2027-01-02 09:00")
    record_bill(
        session,
        alice,
        line,
        due_date=date(2027, 1, 10),
        amount=D("899.75"),
        paid=False,
        now=seen,
        observed_at=seen,
    )
    before = {moment: found(session, moment) for moment in MOMENTS}
    assert found(session, MOMENTS[-1], "bill_amount_mismatch", "bill_missing") == []

    record_repayment(
        session, alice, line, D("5000.00"), paid_on=date(2026, 12, 20), now=at("2027-01-09 09:00")
    )
    superseded = [i for i in draw.installments if i.status == InstallmentStatus.SUPERSEDED]
    assert superseded, "the prepayment regenerated the schedule"
    assert any(i.revision == 1 for i in session.query(Installment).filter_by(draw_id=draw.id))

    assert {moment: found(session, moment) for moment in MOMENTS} == before
    # Now the bill is for the old amount: the ledger expects less.
    assert any(
        f.startswith("bill_amount_mismatch 2027-01-10")
        for f in found(session, "2027-01-09 10:00", "bill_amount_mismatch")
    )


def test_a_payoff_logged_later_leaves_the_installments_it_superseded_expected_before_it(
    session, alice, line, draw, paid_on_time
) -> None:
    """No bill for 01-10 yet, and on 01-20 Alice logs that she paid the whole loan off on
    12-20: as of the days around 01-10 the ledger still expected the 01-10 installment, and
    its missing bill is found as it was then."""
    moments = ["2027-01-08 10:00", "2027-01-12 10:00", "2027-01-15 10:00"]
    before = {moment: found(session, moment) for moment in moments}
    assert any(f.startswith("bill_missing 2027-01-10") for f in before[moments[-1]])

    record_repayment(
        session, alice, line, D("9300.00"), paid_on=date(2026, 12, 20), now=at("2027-01-20 09:00")
    )
    assert not [i for i in draw.installments if i.status == InstallmentStatus.SCHEDULED]

    assert {moment: found(session, moment) for moment in moments} == before
