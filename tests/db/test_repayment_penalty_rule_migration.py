"""Migration 0015: repayments from before it follow the facility's current penalty rule."""

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


def test_repayments_from_before_keep_their_allocation_and_new_ones_keep_their_rule(
    engine: Engine,
) -> None:
    """Down to 0014 and up again: the old repayment has no rule of its own (NULL, the current
    rule) and is placed as before; one recorded after the upgrade keeps the rule in force."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, NOW)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 10), now=NOW)
        record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 2, 10), now=NOW
        )
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0014")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        [before] = session.scalars(select(Repayment)).all()
        assert (before.penalty_multiplier, before.penalty_on_interest) == (None, None)
        placed = breakdown(before)
        assert (placed.principal, placed.interest, placed.penalty) == (
            Decimal("779.75"),
            Decimal("120.00"),
            Decimal("0.00"),
        )
        facility = session.scalars(select(Facility)).one()
        later = record_repayment(
            session, ALICE, facility, Decimal("899.75"), paid_on=date(2025, 3, 10), now=NOW
        )
        assert (later.penalty_multiplier, later.penalty_on_interest) == (
            facility.penalty_multiplier,
            facility.penalty_on_interest,
        )
