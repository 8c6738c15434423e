"""Migration 0025: installments keep the versions a replay replaces."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.installments_at import in_force_at
from bot.ledger.repayments import record_repayment
from bot.models import Facility, Installment
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
SET_UP = datetime.fromisoformat("2025-01-10T09:00:00+08:00")
PREPAID = datetime.fromisoformat("2025-03-20T09:00:00+08:00")
BETWEEN = datetime.fromisoformat("2025-03-25T09:00:00+08:00")
BACKDATED = datetime.fromisoformat("2025-04-01T09:00:00+08:00")


def _schedule(session: Session, at: datetime | None = None) -> list[tuple]:
    query = select(Installment).order_by(Installment.revision, Installment.seq)
    if at is not None:
        query = query.where(in_force_at(at))
    return [
        (i.revision, i.seq, i.due_date, i.principal, i.interest, i.status, i.version)
        for i in session.scalars(query)
    ]


def test_a_schedule_from_0024_is_the_ledgers_own_and_a_later_replay_keeps_it(
    engine: Engine,
) -> None:
    """A draw with 5,000.00 prepaid (a regenerated schedule), down to 0024 and up again: every
    row is the ledger's own (version 0) and reads as before; then a repayment backdated before
    the prepayment regenerates the schedule otherwise, and as of a moment before that entry
    the schedule's amounts are the ones the database held then."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, SET_UP)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 10), now=SET_UP)
        record_repayment(
            session, ALICE, facility, Decimal("5000.00"), paid_on=date(2025, 2, 20), now=PREPAID
        )
        kept = _schedule(session)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0024")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        assert _schedule(session) == kept
        assert {row[6] for row in kept} == {0}
        facility = session.scalars(select(Facility)).one()
        record_repayment(
            session, ALICE, facility, Decimal("1000.00"), paid_on=date(2025, 2, 15), now=BACKDATED
        )
    with Session(engine) as session:
        regenerated = [row[:5] for row in kept if row[0] == 1]
        assert [row[:5] for row in _schedule(session) if row[0] == 1] != regenerated
        in_force = [row[:5] for row in kept if row[5] != "superseded"]
        assert [row[:5] for row in _schedule(session, BETWEEN)] == in_force
