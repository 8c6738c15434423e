"""Installment statuses, on SQLite and PostgreSQL: the enum and the migrated schema agree.

The cast: Alice's Jiebei line, with a 3-month draw she logged.
"""

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.models import Installment, InstallmentStatus
from tests.ledger.cast import jiebei_line, log_draw


@pytest.fixture
def installment_id(session, alice, now) -> int:
    """The first installment of Alice's draw, committed."""
    line = jiebei_line(session, alice, now)
    draw = log_draw(session, alice, line, "3000.00", 3, date(2026, 11, 28), now=now)
    session.commit()
    return draw.installments[0].id


@pytest.mark.parametrize("status", list(InstallmentStatus))
def test_the_database_takes_every_status_the_ledger_writes(session, installment_id, status) -> None:
    """Each InstallmentStatus is one the migrated schema accepts, and reads back as itself."""
    session.execute(
        update(Installment).where(Installment.id == installment_id).values(status=status)
    )
    session.commit()

    stored = session.scalar(select(Installment.status).where(Installment.id == installment_id))
    assert stored == status
    assert InstallmentStatus(stored) is status


def test_the_database_refuses_a_status_the_ledger_does_not_know(session, installment_id) -> None:
    """A status outside InstallmentStatus ("overdue") is refused by the schema, not stored."""
    with pytest.raises(IntegrityError):
        session.execute(
            update(Installment).where(Installment.id == installment_id).values(status="overdue")
        )
    session.rollback()

    stored = session.scalar(select(Installment.status).where(Installment.id == installment_id))
    assert stored == InstallmentStatus.SCHEDULED
