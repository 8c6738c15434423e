"""Migration 0020: each bill version keeps when loanwatch recorded it."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.models import Bill
from tests.ledger.cast import jiebei_line

ALICE = Actor("cli:alice", "cli")
NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
SEEN = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def test_bills_from_before_are_known_from_when_they_were_observed(engine: Engine) -> None:
    """Down to 0019, a bill written there (observed 11-30), up again: its recorded_at is its
    observed_at, so `check --at` sees it as before."""
    with Session(engine) as session, session.begin():
        facility_id = jiebei_line(session, ALICE, NOW).id
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0019")
    with engine.begin() as connection:
        # The table as revision 0019 had it: no recorded_at (the columns named are the ones
        # written).
        connection.execute(
            insert(Bill.__table__).values(
                facility_id=facility_id,
                due_date=date(2026, 12, 10),
                amount=Decimal("899.75"),
                paid=False,
                observed_at=SEEN,
                source="cli",
            )
        )
    command.upgrade(config, "head")

    with Session(engine) as session:
        [bill] = session.scalars(select(Bill)).all()
        assert bill.recorded_at == bill.observed_at == SEEN
