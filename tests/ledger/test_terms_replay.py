"""A change of terms reaches the repayments as the terms in force on each day, whatever the order.

Alice runs a bank-style line (1.5x penalty on principal and interest, holidays `following`).
Changing the holiday rule moves collection days, so the repayments are placed again under it
(issue 11, F7); a change of the penalty rate applies to the days after it was made, so a late
repayment's split does not depend on whether it was typed before or after the change (F2).
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from bot.calendar import BusinessCalendar
from bot.ledger.draws import current_installments
from bot.ledger.repayments import breakdown, record_repayment
from bot.ledger.schedule import HolidayRule
from bot.ledger.term_changes import TermChanges, change_terms
from bot.models import AuditRecord, Repayment
from tests.ledger.cast import jiebei_line, log_draw

# Drawn 2025-09-01, the first installment is due 2025-10-01 (National Day): a `following`
# line collects it on 2025-10-09, a `none` line on the day.
DRAWN_ON = date(2025, 9, 1)
PAID_ON = date(2025, 10, 5)
SET_UP = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)


def _line_with_one_payment(session, alice, slug: str, now: datetime):
    facility = jiebei_line(session, alice, SET_UP, slug=slug)
    draw = log_draw(session, alice, facility, "10000.00", 3, DRAWN_ON, now=SET_UP)
    first = current_installments(session, draw)[0]
    amount = first.amount + Decimal("5.00")
    return facility, draw, amount


def _placed(session, facility, draw) -> tuple:
    repayments = session.scalars(select(Repayment).where(Repayment.facility_id == facility.id))
    return (
        [(r.paid_on, breakdown(r)) for r in repayments],
        [(i.seq, i.revision, i.status, i.paid_on) for i in current_installments(session, draw)],
    )


def test_changing_the_holiday_rule_places_the_repayments_again(session, alice, now) -> None:
    """A payment four days after a holiday due date owes penalty once the line collects on the
    calendar day: after `--holiday-rule none` the ledger is the one that rule gives from the
    start, and the replay is audited."""
    facility, draw, amount = _line_with_one_payment(session, alice, "holiday-later", now)
    record_repayment(session, alice, facility, amount, paid_on=PAID_ON, now=now)
    assert breakdown(session.scalars(select(Repayment)).one()).penalty == 0

    change_terms(
        session,
        alice,
        facility,
        TermChanges(holiday_rule=HolidayRule.NONE),
        now=now,
        calendar=BusinessCalendar(),
    )

    other, other_draw, _ = _line_with_one_payment(session, alice, "holiday-first", now)
    change_terms(session, alice, other, TermChanges(holiday_rule=HolidayRule.NONE), now=SET_UP)
    record_repayment(session, alice, other, amount, paid_on=PAID_ON, now=now)
    changed, from_start = _placed(session, facility, draw), _placed(session, other, other_draw)
    assert changed == from_start
    assert changed[0][0][1].penalty > 0
    replays = session.scalars(
        select(AuditRecord).where(
            AuditRecord.action == "repayment.replay", AuditRecord.entity_id == str(facility.id)
        )
    ).all()
    assert len(replays) == 1


LATE_ON = date(2025, 10, 20)
RATE_CHANGED = datetime(2025, 10, 25, 2, 0, tzinfo=UTC)


def _late_payment(session, alice, slug: str, *, typed_after_the_change: bool):
    facility, draw, amount = _line_with_one_payment(session, alice, slug, SET_UP)
    change = TermChanges(penalty_multiplier=Decimal(3))
    typed_at = datetime(2025, 11, 1, 2, 0, tzinfo=UTC)
    if typed_after_the_change:
        change_terms(session, alice, facility, change, now=RATE_CHANGED)
        record_repayment(session, alice, facility, amount, paid_on=LATE_ON, now=typed_at)
    else:
        record_repayment(
            session,
            alice,
            facility,
            amount,
            paid_on=LATE_ON,
            now=datetime(2025, 10, 21, 2, 0, tzinfo=UTC),
        )
        change_terms(session, alice, facility, change, now=RATE_CHANGED)
    return _placed(session, facility, draw)


def test_a_late_repayment_is_split_the_same_before_or_after_a_penalty_change(
    session, alice
) -> None:
    """A payment dated before the penalty rate went up pays the old rate's penalty, typed in
    before the change or after it."""
    before = _late_payment(session, alice, "typed-before", typed_after_the_change=False)
    after = _late_payment(session, alice, "typed-after", typed_after_the_change=True)

    assert after == before


def test_penalty_accrues_at_the_rate_in_force_on_each_day(session, alice) -> None:
    """Overdue across a penalty change: the days up to the change's day at 1.5x, the days after
    it at 3x, on the installment's principal and interest (collected 2025-10-09)."""
    facility, draw, amount = _line_with_one_payment(session, alice, "across", SET_UP)
    first = current_installments(session, draw)[0]
    change_terms(
        session, alice, facility, TermChanges(penalty_multiplier=Decimal(3)), now=RATE_CHANGED
    )
    paid_on = date(2025, 10, 30)
    record_repayment(
        session, alice, facility, amount, paid_on=paid_on, now=datetime(2025, 11, 1, tzinfo=UTC)
    )

    base = first.principal + first.interest
    old_days = (date(2025, 10, 25) - date(2025, 10, 9)).days
    new_days = (paid_on - date(2025, 10, 25)).days
    exact = base * Decimal("0.0004") * (Decimal("1.5") * old_days + 3 * new_days)
    expected = exact.quantize(Decimal("0.01"))
    assert breakdown(session.scalars(select(Repayment)).one()).penalty == expected
