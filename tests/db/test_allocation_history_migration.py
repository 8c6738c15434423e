"""Migration 0021: allocations get the time they hold from; their history starts empty."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.repayments import record_repayment
from bot.models import AllocationHistory, RepaymentAllocation
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
SET_UP = datetime.fromisoformat("2025-01-10T09:00:00+08:00")
TYPED = datetime.fromisoformat("2025-02-11T09:00:00+08:00")


def _allocations(session: Session) -> list[tuple]:
    return [
        (a.repayment_id, a.installment_id, a.principal, a.interest, a.penalty)
        for a in session.scalars(select(RepaymentAllocation).order_by(RepaymentAllocation.id))
    ]


def test_going_down_and_up_keeps_every_allocation_known_from_its_repayment(
    engine: Engine,
) -> None:
    """Down to 0020 and up again: every allocation is still there, to the fen, held since its
    repayment was recorded; the replaced allocations' history (only `check --at` reads it)
    starts empty."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, SET_UP)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 10), now=SET_UP)
        record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 2, 10), now=TYPED
        )
        kept = _allocations(session)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0020")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        assert _allocations(session) == kept
        assert {a.recorded_at for a in session.scalars(select(RepaymentAllocation))} == {TYPED}
        assert session.scalar(select(func.count()).select_from(AllocationHistory)) == 0
