"""What the ledger said at T is what it says as of T, whatever is entered or removed after T.

Alice records a handful of repayments on a Jiebei line in whatever order she finds the
receipts, an hour apart, and later removes one (typed twice, she says). Backdated ones replay
the allocations of those recorded before them. Read as of a moment T between two entries, the
ledger (outstanding principal, what each installment was paid, which were still open, and the
schedule in force: every installment's due date, principal and interest) is the
one a copy of the database taken at T gives: the same entries, recorded the same way, and
nothing after (issue 11, F8).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.ledger.allocations import allocations_at, open_at
from bot.ledger.installments_at import in_force_at
from bot.ledger.portfolio import drawn_and_repaid, outstanding_from
from bot.ledger.repayments import record_repayment, remove_repayment
from bot.models import Draw, Facility, Installment
from tests.ledger.cast import jiebei_line, log_draw
from tests.ledger.test_repayment_order import DRAWN_ON, repayment_sets

_slugs = count()
SET_UP = datetime(2025, 1, 10, 2, 0, tzinfo=UTC)
# After the last repayment date (240 days after the draw): entries are an hour apart from here.
FIRST_ENTRY = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)


def _entered(session, alice, entries, *, removed: int | None) -> tuple[Facility, Draw]:
    """A line with ``entries`` (days after the draw, amount) recorded an hour apart in the order
    given, then the ``removed``-th of them taken out an hour after the last."""
    facility = jiebei_line(session, alice, SET_UP, slug=f"as-of-{next(_slugs)}")
    draw = log_draw(session, alice, facility, "10000.00", 12, DRAWN_ON, now=SET_UP)
    recorded = []
    for hour, (days, amount) in enumerate(entries):
        on = DRAWN_ON + timedelta(days=days)
        when = FIRST_ENTRY + timedelta(hours=hour)
        recorded.append(record_repayment(session, alice, facility, amount, paid_on=on, now=when))
    if removed is not None:
        when = FIRST_ENTRY + timedelta(hours=len(entries))
        remove_repayment(
            session, alice, facility, recorded[removed].id, reason="typed twice", now=when
        )
    session.flush()
    return facility, draw


def _ledger_as_of(session, facility: Facility, draw: Draw, moment: datetime) -> tuple:
    """Outstanding, what each installment (by revision and seq) and the early repayments were
    paid, and which of the draw's first schedule's installments were open, as of ``moment``."""
    drawn, repaid = drawn_and_repaid([facility.id], as_of=moment)
    outstanding = session.scalar(
        select(outstanding_from(drawn, repaid))
        .select_from(Facility)
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        .where(Facility.id == facility.id)
    )
    held = allocations_at(moment)
    paid = session.execute(
        select(
            held.c.revision,
            held.c.seq,
            func.sum(held.c.principal),
            func.sum(held.c.interest),
            func.sum(held.c.penalty),
        )
        .where(held.c.draw_id == draw.id)
        .group_by(held.c.revision, held.c.seq)
        .order_by(held.c.revision, held.c.seq)
    ).all()
    still_open = session.scalars(
        select(Installment.seq)
        .where(
            Installment.draw_id == draw.id,
            Installment.revision == 0,
            Installment.version == 0,
            open_at(moment),
        )
        .order_by(Installment.seq)
    ).all()
    schedule = session.execute(
        select(
            Installment.revision,
            Installment.seq,
            Installment.due_date,
            Installment.principal,
            Installment.interest,
            Installment.amount,
            open_at(moment),
        )
        .where(Installment.draw_id == draw.id, in_force_at(moment))
        .order_by(Installment.revision, Installment.seq)
    ).all()
    return outstanding, [tuple(row) for row in paid], list(still_open), [tuple(r) for r in schedule]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(repayments=repayment_sets, data=st.data())
def test_the_ledger_as_of_t_is_a_copy_taken_at_t(session, alice, repayments, data) -> None:
    """Entries after T (backdated ones that replay, a removal) leave the ledger as of T as a
    copy of the database taken at T has it, to the fen."""
    entries = data.draw(st.permutations(repayments))
    cut = data.draw(st.integers(min_value=1, max_value=len(entries) - 1))
    removed = data.draw(st.none() | st.integers(min_value=0, max_value=len(entries) - 1))
    moment = FIRST_ENTRY + timedelta(hours=cut - 1, minutes=30)

    facility, draw = _entered(session, alice, entries, removed=removed)
    copy, copy_draw = _entered(session, alice, entries[:cut], removed=None)

    # The schedule too: one a replay after T regenerated otherwise is read as it was at T.
    assert _ledger_as_of(session, facility, draw, moment) == _ledger_as_of(
        session, copy, copy_draw, moment
    )
    # The copy itself: as of T it is what it is now, nothing having happened since.
    now = FIRST_ENTRY + timedelta(days=30)
    assert _ledger_as_of(session, copy, copy_draw, moment) == _ledger_as_of(
        session, copy, copy_draw, now
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(repayments=repayment_sets, data=st.data())
def test_the_schedule_as_of_t_is_a_copy_taken_at_t(session, alice, repayments, data) -> None:
    """Repayments entered in date order, an early repayment among them regenerating the rest
    of the schedule after T: as of T, the schedule in force (every installment's revision,
    due date and amount) and the rest of the ledger are a copy's taken at T, to the fen."""
    entries = sorted(repayments)
    cut = data.draw(st.integers(min_value=1, max_value=len(entries) - 1))
    moment = FIRST_ENTRY + timedelta(hours=cut - 1, minutes=30)

    facility, draw = _entered(session, alice, entries, removed=None)
    copy, copy_draw = _entered(session, alice, entries[:cut], removed=None)

    assert _ledger_as_of(session, facility, draw, moment) == _ledger_as_of(
        session, copy, copy_draw, moment
    )


def test_a_removed_repayment_counts_before_its_removal(session, alice) -> None:
    """One repayment, removed an hour after it was recorded: as of the half hour between, it
    had paid the first installment; as of after, nothing is paid."""
    facility, draw = _entered(session, alice, [(31, Decimal("899.75"))], removed=0)
    between, after = FIRST_ENTRY + timedelta(minutes=30), FIRST_ENTRY + timedelta(hours=2)

    outstanding_then, paid_then, open_then, _ = _ledger_as_of(session, facility, draw, between)
    outstanding_now, paid_now, _, _ = _ledger_as_of(session, facility, draw, after)

    assert outstanding_then == Decimal("9220.25")
    assert paid_then == [(0, 1, Decimal("779.75"), Decimal("120.00"), Decimal("0.00"))]
    assert open_then[0] == 2
    assert (outstanding_now, paid_now) == (Decimal("10000.00"), [])
