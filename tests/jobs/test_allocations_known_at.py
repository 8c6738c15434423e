"""A check run as of T reads the repayments' allocations in force at T, whatever was entered or
removed after T (issue 11, F8).

The cast: Alice's Jiebei line (Asia/Shanghai), set up on 2026-11-01, and 10,000.00 over 12
months drawn 2026-11-10 and logged at noon: 899.75 due on the 10th of each month from
2026-12-10 (779.75 of it principal). She paid the first installment on its day and logged it
the next morning; a reading on 12-15 shows the limit less what she owes then. Times are
Shanghai wall-clock times.
"""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.ledger.observations import record_limit_reading
from bot.ledger.repayments import record_repayment, remove_repayment
from bot.models import Draw, Facility, Repayment
from tests.jobs.test_checks import at
from tests.jobs.test_terms_known_at import found
from tests.ledger.cast import jiebei_line, log_draw

D = Decimal
MOMENTS = ["2026-12-12 10:00", "2026-12-16 10:00", "2026-12-20 10:00"]


@pytest.fixture
def line(session: Session, alice: Actor) -> Facility:
    """Alice's Jiebei line, set up on 2026-11-01."""
    return jiebei_line(session, alice, at("2026-11-01 09:00"))


@pytest.fixture
def draw(session: Session, alice: Actor, line: Facility) -> Draw:
    """10,000.00 over 12 months drawn 2026-11-10, logged at noon: 899.75 due 2026-12-10."""
    return log_draw(
        session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
    )


@pytest.fixture
def paid_on_time(session: Session, alice: Actor, line: Facility, draw: Draw) -> Repayment:
    """The 12-10 installment, paid that day and logged on 12-11; a reading agrees on 12-15."""
    repayment = record_repayment(
        session, alice, line, D("899.75"), paid_on=date(2026, 12, 10), now=at("2026-12-11 09:00")
    )
    record_limit_reading(
        session,
        alice,
        line,
        limit_amount=D("200000.00"),
        available=D("200000.00") - D("10000.00") + D("779.75"),
        now=at("2026-12-15 09:00"),
    )
    return repayment


def test_a_backdated_repayment_does_not_change_what_the_checks_saw_before_it(
    session, alice, line, draw, paid_on_time
) -> None:
    """On 12-22 Alice finds a 12-05 payment she had not logged: the replay puts it on the 12-10
    installment and the 12-10 payment becomes an early repayment. As of 12-12 … 12-20 the ledger
    said the installment was paid by the 12-10 payment and the reading agreed: no alert then,
    and none as of then now."""
    before = {moment: found(session, moment) for moment in MOMENTS}
    assert found(session, MOMENTS[-1], "bill_missing", "limit_inconsistent") == []

    record_repayment(
        session, alice, line, D("899.75"), paid_on=date(2026, 12, 5), now=at("2026-12-22 09:00")
    )

    assert {moment: found(session, moment) for moment in MOMENTS} == before


def test_a_repayment_removed_later_still_counts_before_it_was_removed(
    session, alice, line, draw, paid_on_time
) -> None:
    """Alice removes the 12-10 payment on 12-22 (typed on the wrong line, she says): as of the
    days before, the ledger had it, and the checks as of then find what they found then."""
    before = {moment: found(session, moment) for moment in MOMENTS}

    remove_repayment(
        session, alice, line, paid_on_time.id, reason="wrong line", now=at("2026-12-22 09:00")
    )

    assert {moment: found(session, moment) for moment in MOMENTS} == before
    assert f"bill_missing 2026-12-10#d{draw.id} critical" in found(
        session, "2026-12-22 10:00", "bill_missing"
    )
