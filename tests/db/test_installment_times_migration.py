"""Migration 0024: installments get the time they were recorded and superseded."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.repayments import record_repayment
from bot.models import Installment
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
SET_UP = datetime.fromisoformat("2025-01-10T09:00:00+08:00")
TYPED = datetime.fromisoformat("2025-02-11T09:00:00+08:00")
PREPAID = datetime.fromisoformat("2025-03-20T09:00:00+08:00")


def _schedule(session: Session) -> list[tuple]:
    return [
        (i.revision, i.seq, i.amount, i.status, i.recorded_at, i.superseded_at)
        for i in session.scalars(
            select(Installment).order_by(Installment.revision, Installment.seq)
        )
    ]


def test_going_down_and_up_dates_a_regenerated_schedule_by_its_prepayment(
    engine: Engine,
) -> None:
    """A draw, its first installment paid and 5,000.00 prepaid (recorded on 03-20): down to
    0023 and up again, the schedule is there to the fen, the first one in force from the draw,
    the superseded rows until the prepayment was recorded, the regenerated ones from then."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, SET_UP)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 10), now=SET_UP)
        record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 2, 10), now=TYPED
        )
        record_repayment(
            session, ALICE, facility, Decimal("5000.00"), paid_on=date(2025, 2, 20), now=PREPAID
        )
        kept = _schedule(session)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0023")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        assert _schedule(session) == kept
        rows = _schedule(session)
        assert {(r[4], r[5]) for r in rows if r[3] == "superseded"} == {(None, PREPAID)}
        assert {(r[4], r[5]) for r in rows if r[0] == 1} == {(PREPAID, None)}
        assert {r[4] for r in rows if r[0] == 0} == {None}
