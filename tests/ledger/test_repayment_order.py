"""The order repayments are typed in never changes the ledger (issue 11 §3), penalty included.

Alice draws on a Jiebei line (bank-default penalty, 1.5x on principal and interest) and records
a handful of repayments, some on time, some late, some early, in whatever order she finds the
receipts. Whatever the order, the ledger is the one date order gives, to the fen.
"""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.ledger.draws import current_installments, outstanding_principal
from bot.ledger.repayments import breakdown, record_repayment
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


def _ledger(session, alice, now, repayments: list[tuple[int, Decimal]]) -> tuple:
    """Record ``repayments`` (days after the draw, amount) in the order given; the ledger."""
    facility = jiebei_line(session, alice, now, slug=f"order-{next(_slugs)}")
    draw = log_draw(session, alice, facility, "10000.00", 12, DRAWN_ON, now=now)
    for days, amount in repayments:
        on = DRAWN_ON + timedelta(days=days)
        record_repayment(session, alice, facility, amount, paid_on=on, now=now)
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
