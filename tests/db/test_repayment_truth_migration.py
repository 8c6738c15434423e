"""Migration 0011: facilities from before it charge no penalty, and their repayments stay placed."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.repayments import breakdown, record_repayment
from bot.models import Facility, Repayment
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
NOW = datetime.fromisoformat("2025-06-01T09:00:00+08:00")


def test_facilities_from_before_charge_no_penalty_and_repayments_keep_their_allocation(
    engine: Engine,
) -> None:
    """Back at 0010 with a line, a draw and a repayment; after the upgrade the line has no
    penalty rule, the repayment nothing unexplained, and a late repayment pays no penalty."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, NOW)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 10), now=NOW)
        record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 2, 10), now=NOW
        )
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0010")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        facility = session.scalars(select(Facility)).one()
        assert (facility.penalty_multiplier, facility.penalty_on_interest) == (Decimal(0), False)
        [before] = session.scalars(select(Repayment)).all()
        placed = breakdown(before)
        assert (placed.principal, placed.interest, placed.penalty, placed.unexplained) == (
            Decimal("779.75"),
            Decimal("120.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        )
        late = record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 3, 20), now=NOW
        )
        assert breakdown(late).penalty == Decimal("0.00")
        assert late.unexplained == Decimal("0.00")
