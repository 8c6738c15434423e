"""The order repayments are typed in never changes the ledger (issue 11 §3), penalty included,
nor which side of a penalty-rate change they were typed on (F2).

Alice draws on a Jiebei line (bank-default penalty, 1.5x on principal and interest) and records
a handful of repayments, some on time, some late, some early, in whatever order she finds the
receipts. Whatever the order, the ledger is the one date order gives, to the fen.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.ledger.draws import current_installments, outstanding_principal
from bot.ledger.repayments import breakdown, record_repayment
from bot.ledger.term_changes import TermChanges, change_terms
from bot.models import Repayment
from tests.ledger.cast import jiebei_line, log_draw

DRAWN_ON = date(2025, 1, 10)
_slugs = count()

# Up to five repayments on distinct days in the first eight months, 50.00 to 4,000.00 each.
repayment_sets = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=240),
        st.integers(min_value=5_000, max_value=400_000).map(lambda fen: Decimal(fen) / 100),
    ),
    min_size=2,
    max_size=5,
    unique_by=lambda pair: pair[0],
)


def _read_out(session, facility, draw) -> tuple:
    """The facility's ledger: outstanding principal, each repayment's placing, the schedule."""
    session.flush()
    rows = session.scalars(
        select(Repayment).where(Repayment.facility_id == facility.id).order_by(Repayment.paid_on)
    )
    placed = [(r.paid_on, r.amount, breakdown(r)) for r in rows]
    schedule = [
        (i.seq, i.revision, i.due_date, i.principal, i.interest, i.status, i.paid_on)
        for i in current_installments(session, draw)
    ]
    return outstanding_principal(session, facility.id), placed, schedule


def _ledger(session, alice, now, repayments: list[tuple[int, Decimal]]) -> tuple:
    """Record ``repayments`` (days after the draw, amount) in the order given; the ledger."""
    facility = jiebei_line(session, alice, now, slug=f"order-{next(_slugs)}")
    draw = log_draw(session, alice, facility, "10000.00", 12, DRAWN_ON, now=now)
    for days, amount in repayments:
        on = DRAWN_ON + timedelta(days=days)
        record_repayment(session, alice, facility, amount, paid_on=on, now=now)
    return _read_out(session, facility, draw)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(repayments=repayment_sets, order=st.randoms(use_true_random=False))
def test_every_entry_order_gives_the_same_ledger_to_the_fen(
    session, alice, now, repayments, order
) -> None:
    """Typed in date order or shuffled, the repayments place the same money the same way."""
    shuffled = list(repayments)
    order.shuffle(shuffled)

    in_date_order = _ledger(session, alice, now, sorted(repayments))
    as_typed = _ledger(session, alice, now, shuffled)

    assert as_typed == in_date_order


RATE_CHANGED = datetime(2025, 5, 1, 2, 0, tzinfo=UTC)  # penalty 1.5x → 3x, from 2025-05-02 on
CHANGED_ON = RATE_CHANGED.date()
LATER = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)  # after every repayment date


def _ledger_around_a_change(session, alice, before: list, after: list) -> tuple:
    """Record ``before`` (dated by the change's day) just before the penalty change, then
    ``after`` once every repayment date has passed, each in the order given; the ledger."""
    set_up = datetime(2025, 1, 10, 2, 0, tzinfo=UTC)
    facility = jiebei_line(session, alice, set_up, slug=f"order-{next(_slugs)}")
    draw = log_draw(session, alice, facility, "10000.00", 12, DRAWN_ON, now=set_up)
    for minute, (days, amount) in enumerate(before):
        on = DRAWN_ON + timedelta(days=days)
        when = RATE_CHANGED - timedelta(minutes=len(before) - minute)
        record_repayment(session, alice, facility, amount, paid_on=on, now=when)
    change_terms(
        session, alice, facility, TermChanges(penalty_multiplier=Decimal(3)), now=RATE_CHANGED
    )
    for minute, (days, amount) in enumerate(after):
        on = DRAWN_ON + timedelta(days=days)
        when = LATER + timedelta(minutes=minute)
        record_repayment(session, alice, facility, amount, paid_on=on, now=when)
    return _read_out(session, facility, draw)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(repayments=repayment_sets, data=st.data())
def test_a_penalty_change_gives_the_same_ledger_whichever_side_a_repayment_was_typed(
    session, alice, repayments, data
) -> None:
    """Repayments dated by the day the penalty rate went up may be typed before the change or
    after it, in any order: the ledger is the one typing them all afterwards in date order
    gives, to the fen (each day's penalty at the rate in force that day)."""
    early = [r for r in repayments if DRAWN_ON + timedelta(days=r[0]) <= CHANGED_ON]
    sides = data.draw(st.lists(st.booleans(), min_size=len(early), max_size=len(early)))
    typed_before = data.draw(st.permutations([r for r, b in zip(early, sides, strict=True) if b]))
    typed_after = data.draw(st.permutations([r for r in repayments if r not in typed_before]))

    reference = _ledger_around_a_change(session, alice, [], sorted(repayments))
    as_typed = _ledger_around_a_change(session, alice, list(typed_before), list(typed_after))

    assert as_typed == reference
