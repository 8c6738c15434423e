"""repayment_mismatch: money the platform collected that the ledger cannot place, until accepted.

Alice records a repayment with a 10.00 fee the platform itemised on her Jiebei line.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.ledger.repayments import accept_repayment, record_repayment
from tests.jobs.test_checks import check
from tests.ledger.cast import jiebei_line, log_draw

RECORDED = datetime.fromisoformat("2025-02-10T18:00:00+08:00")


def test_a_fee_fires_from_when_it_was_recorded_until_it_is_accepted(session, alice) -> None:
    """Not before the repayment was recorded (check --at sees the past), then with the
    difference, and not once accepted with a reason, from the moment it was."""
    line = jiebei_line(session, alice, RECORDED)
    log_draw(session, alice, line, "10000.00", 12, date(2025, 1, 10), now=RECORDED)
    repayment = record_repayment(
        session,
        alice,
        line,
        Decimal("909.75"),
        paid_on=date(2025, 2, 10),
        fee=Decimal("10.00"),
        now=RECORDED,
    )

    assert check(session, "repayment_mismatch", RECORDED - timedelta(hours=1)) == []
    [finding] = check(session, "repayment_mismatch", RECORDED + timedelta(hours=1))
    assert finding.subject == f"r{repayment.id}"
    assert finding.facts["Unexplained"] == "¥10.00"
    assert finding.facts["Fee itemised"] == "¥10.00"

    accepted_at = RECORDED + timedelta(days=1)
    accept_repayment(session, alice, line, repayment.id, reason="SMS fee", now=accepted_at)
    assert len(check(session, "repayment_mismatch", accepted_at - timedelta(minutes=1))) == 1
    assert check(session, "repayment_mismatch", accepted_at) == []


def test_a_repayment_the_ledger_places_whole_raises_nothing(session, alice) -> None:
    """899.75 on its due date is the installment to the fen: no finding."""
    line = jiebei_line(session, alice, RECORDED)
    log_draw(session, alice, line, "10000.00", 12, date(2025, 1, 10), now=RECORDED)
    record_repayment(
        session, alice, line, Decimal("899.75"), paid_on=date(2025, 2, 10), now=RECORDED
    )

    assert check(session, "repayment_mismatch", RECORDED + timedelta(days=1)) == []


def test_as_of_before_a_backdated_repayment_the_unexplained_amount_is_the_one_then(
    session, alice
) -> None:
    """Alice records ¥20,000.00 on 02-10, more than the payoff; two days later a ¥1,000.00
    repayment from 01-20 she had forgotten: the replay leaves more of the ¥20,000.00
    unexplained. As of the day between, the finding shows what was unexplained then."""
    line = jiebei_line(session, alice, RECORDED)
    log_draw(session, alice, line, "10000.00", 12, date(2025, 1, 10), now=RECORDED)
    big = record_repayment(
        session, alice, line, Decimal("20000.00"), paid_on=date(2025, 2, 10), now=RECORDED
    )
    then = big.unexplained
    record_repayment(
        session,
        alice,
        line,
        Decimal("1000.00"),
        paid_on=date(2025, 1, 20),
        now=RECORDED + timedelta(days=2),
    )
    session.refresh(big)
    assert big.unexplained > then

    [between] = check(session, "repayment_mismatch", RECORDED + timedelta(days=1))
    [after] = check(session, "repayment_mismatch", RECORDED + timedelta(days=3))

    assert between.facts["Unexplained"] == f"¥{then:,.2f}"
    assert after.facts["Unexplained"] == f"¥{big.unexplained:,.2f}"


def _accepted_fee(session, alice):
    """The 10.00 fee of the module's repayment, accepted the day after it was recorded."""
    line = jiebei_line(session, alice, RECORDED)
    log_draw(session, alice, line, "10000.00", 12, date(2025, 1, 10), now=RECORDED)
    repayment = record_repayment(
        session,
        alice,
        line,
        Decimal("909.75"),
        paid_on=date(2025, 2, 10),
        fee=Decimal("10.00"),
        now=RECORDED,
    )
    accept_repayment(
        session, alice, line, repayment.id, reason="SMS fee", now=RECORDED + timedelta(days=1)
    )
    return line, repayment


def test_an_accepted_fee_stays_accepted_when_a_backdated_repayment_leaves_it_as_it_was(
    session, alice
) -> None:
    """A ¥100.00 repayment from 01-20, recorded after the fee was accepted, replays the
    allocations; the fee is still the ¥10.00 Alice accepted, so nothing fires."""
    line, repayment = _accepted_fee(session, alice)
    record_repayment(
        session,
        alice,
        line,
        Decimal("100.00"),
        paid_on=date(2025, 1, 20),
        now=RECORDED + timedelta(days=2),
    )
    session.refresh(repayment)

    assert repayment.unexplained == Decimal("10.00")
    assert check(session, "repayment_mismatch", RECORDED + timedelta(days=3)) == []


def test_an_acceptance_a_later_replay_ends_still_holds_as_of_before_it(session, alice) -> None:
    """Accepted on day 1; on day 2 a forgotten ¥20,000.00 repayment dated 01-20 pays the line
    off, and the fee repayment's money is now all unexplained: Alice must look again from day
    2, but as of day 1½ the fee was accepted, and nothing fired."""
    line, repayment = _accepted_fee(session, alice)
    record_repayment(
        session,
        alice,
        line,
        Decimal("20000.00"),
        paid_on=date(2025, 1, 20),
        now=RECORDED + timedelta(days=2),
    )

    assert check(session, "repayment_mismatch", RECORDED + timedelta(days=1, hours=12)) == []
    findings = check(session, "repayment_mismatch", RECORDED + timedelta(days=3))
    assert f"r{repayment.id}" in [finding.subject for finding in findings]
