"""The ledger itself refuses dates outside 2000-2100 and text past its cap, whoever calls it.

The parsers refuse such input where it is typed; these tests call the ledger functions directly,
as a caller that skips the parsers would, and check that nothing is written.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.errors import InputError
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import record_bill, record_draw_confirmation, record_limit_reading
from bot.ledger.repayments import record_repayment
from bot.models import AuditRecord, Bill, Draw, DrawConfirmation, Facility, LimitReading, Repayment
from bot.typed import MAX_TEXT_CHARS
from tests.ledger.cast import jiebei_line, log_draw

D = Decimal
TOO_LONG = "x" * (MAX_TEXT_CHARS + 1)


def rows(session) -> dict[str, int]:
    """How many rows each table a refused call could have written holds."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Draw, Repayment, Bill, LimitReading, DrawConfirmation, Facility, AuditRecord)
    }


@pytest.fixture
def line(session, alice, now):
    """Alice's Jiebei line with 10,000.00 drawn on 2026-11-10."""
    facility = jiebei_line(session, alice, now)
    log_draw(session, alice, facility, "10000.00", 12, date(2026, 11, 10), now=now)
    session.flush()
    return facility


REFUSED = [
    pytest.param(
        lambda s, a, f, now: record_bill(
            s, a, f, due_date=date(1, 1, 1), amount=D("100.00"), paid=False, now=now
        ),
        "due date 0001-01-01 is outside the dates loanwatch keeps",
        id="bill-in-year-one",
    ),
    pytest.param(
        lambda s, a, f, now: record_bill(
            s, a, f, due_date=date.max, amount=D("100.00"), paid=False, now=now
        ),
        "due date 9999-12-31 is outside",
        id="bill-at-the-end-of-the-calendar",
    ),
    pytest.param(
        lambda s, a, f, now: record_bill(
            s,
            a,
            f,
            due_date=date(2026, 12, 10),
            amount=D("100.00"),
            paid=False,
            now=now,
            observed_at=datetime(1999, 12, 31, tzinfo=UTC),
        ),
        "observation time 1999-12-31T00:00:00+00:00 is outside",
        id="bill-seen-in-1999",
    ),
    pytest.param(
        lambda s, a, f, now: record_bill(
            s,
            a,
            f,
            due_date=date(2026, 12, 10),
            amount=D("100.00"),
            paid=False,
            now=now,
            reference="J" * 129,
        ),
        "the bill's reference is 129 characters long; keep it to 128",
        id="bill-reference-too-long",
    ),
    pytest.param(
        lambda s, a, f, now: record_limit_reading(
            s, a, f, limit_amount=D("1.00"), now=now, observed_at=datetime(1, 1, 1, tzinfo=UTC)
        ),
        "observation time 0001-01-01T00:00:00+00:00 is outside",
        id="reading-in-year-one",
    ),
    pytest.param(
        lambda s, a, f, now: record_draw(
            s, a, f, DrawRequest(D("100.00"), 3, date(1999, 12, 31)), now=now
        ),
        "draw date 1999-12-31 is outside",
        id="draw-in-1999",
    ),
    pytest.param(
        lambda s, a, f, now: record_draw(
            s, a, f, DrawRequest(D("100.00"), 3, date(2026, 11, 20), note=TOO_LONG), now=now
        ),
        "the draw's note is 2,001 characters long; keep it to 2,000",
        id="draw-note-too-long",
    ),
    pytest.param(
        lambda s, a, f, now: record_repayment(s, a, f, D("100.00"), now=now, paid_on=date(1, 1, 1)),
        "repayment date 0001-01-01 is outside",
        id="repayment-in-year-one",
    ),
    pytest.param(
        lambda s, a, f, now: record_repayment(s, a, f, D("100.00"), now=now, note=TOO_LONG),
        "the repayment's note is 2,001 characters long",
        id="repayment-note-too-long",
    ),
    pytest.param(
        lambda s, a, f, now: record_draw_confirmation(
            s,
            a,
            f,
            occurred_at=datetime(1, 1, 1, tzinfo=UTC),
            amount=D("10000.00"),
            external_ref="2025031022001",
            description="借呗放款",
            now=now,
        ),
        "payout time 0001-01-01T00:00:00+00:00 is outside",
        id="payout-in-year-one",
    ),
    pytest.param(
        lambda s, a, f, now: record_draw_confirmation(
            s,
            a,
            f,
            occurred_at=now,
            amount=D("10000.00"),
            external_ref="2025031022001",
            description="借" * 501,
            now=now,
        ),
        "the payout's description is 501 characters long; keep it to 500",
        id="payout-description-too-long",
    ),
]


@pytest.mark.parametrize(("call", "says"), REFUSED)
def test_the_ledger_refuses_what_no_parser_would_let_through(
    session, alice, now, line, call, says
) -> None:
    """A date outside 2000-2100 or text past its column's cap is an InputError; nothing is
    written."""
    before = rows(session)

    with pytest.raises(InputError) as refused:
        call(session, alice, line, now)

    assert says in str(refused.value)
    session.flush()
    assert rows(session) == before


def test_a_facilitys_name_is_capped_at_its_column(session, alice, now) -> None:
    """A name of 201 characters is refused (PostgreSQL would fail on it); 200 are kept."""

    def named(name: str) -> FacilityTerms:
        return FacilityTerms(slug="icbc-term", platform="icbc", limit_amount=D("1.00"), name=name)

    with pytest.raises(InputError, match="the facility's name is 201 characters long"):
        add_facility(session, alice, named("n" * 201), now=now)
    kept = add_facility(session, alice, named("n" * 200), now=now)
    session.flush()

    assert kept.name == "n" * 200


def test_a_note_at_the_cap_is_kept_trimmed(session, alice, now, line) -> None:
    """2,000 characters of note are fine, and the spaces around a note are not kept."""
    draw = record_draw(
        session,
        alice,
        line,
        DrawRequest(D("100.00"), 3, date(2026, 11, 20), note=f"  {'x' * MAX_TEXT_CHARS}  "),
        now=now,
    )
    session.flush()

    assert draw.note == "x" * MAX_TEXT_CHARS
