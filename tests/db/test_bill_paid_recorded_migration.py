"""Migration 0028: bills keep when their paid mark was recorded."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.bills import record_bill
from bot.models import Bill
from tests.ledger.cast import jiebei_line

ALICE = Actor("cli:alice", "cli")
SET_UP = datetime.fromisoformat("2026-11-01T09:00:00+08:00")
SEEN = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
SHOWN_PAID = datetime.fromisoformat("2026-12-11T09:00:00+08:00")
IMPORTED = datetime.fromisoformat("2026-12-14T09:00:00+08:00")


def _bill(session: Session, facility, due: date, paid: bool, observed: datetime, now: datetime):
    return record_bill(
        session,
        ALICE,
        facility,
        due_date=due,
        amount=Decimal("899.75"),
        paid=paid,
        observed_at=observed,
        now=now,
    )


def test_a_paid_mark_from_before_0028_is_known_from_when_it_was_recorded(engine: Engine) -> None:
    """A bill seen unpaid then marked paid by a late import, one recorded paid, one unpaid:
    down to 0025 and up again, the first is known paid from the import, the second from when
    it was recorded, the third not at all."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, SET_UP)
        _bill(session, facility, date(2026, 12, 10), False, SEEN, SEEN)
        _bill(session, facility, date(2026, 12, 10), True, SHOWN_PAID, IMPORTED)
        _bill(session, facility, date(2027, 1, 10), True, SEEN, SEEN)
        _bill(session, facility, date(2027, 2, 10), False, SEEN, SEEN)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0027")
    command.upgrade(config, "head")

    with Session(engine) as session:
        rows = session.execute(
            select(Bill.due_date, Bill.paid_at, Bill.paid_recorded_at).order_by(Bill.due_date)
        ).all()
    assert [tuple(row) for row in rows] == [
        (date(2026, 12, 10), SHOWN_PAID, IMPORTED),
        (date(2027, 1, 10), SEEN, SEEN),
        (date(2027, 2, 10), None, None),
    ]
