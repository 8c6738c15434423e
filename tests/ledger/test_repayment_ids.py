"""A removed repayment's id is never given to another repayment (issue 11).

SQLite gives a new row the highest rowid + 1 unless the table is AUTOINCREMENT: remove the
newest repayment and the next one took its id, so the audit trail named two different
repayments by the same id (revision 0018).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.ledger.repayments import record_repayment, remove_repayment
from bot.models import AuditRecord
from tests.ledger.cast import jiebei_line, log_draw

NOW = datetime.fromisoformat("2026-03-20T09:00:00+08:00")


def test_the_next_repayment_does_not_take_a_removed_ones_id(session: Session, alice: Actor):
    line = jiebei_line(session, alice, NOW)
    log_draw(session, alice, line, "10000.00", 12, date(2026, 1, 10), now=NOW)
    first = record_repayment(
        session, alice, line, Decimal("899.75"), paid_on=date(2026, 2, 10), now=NOW
    )
    typo = record_repayment(
        session, alice, line, Decimal("89.75"), paid_on=date(2026, 2, 11), now=NOW
    )
    typo_id = typo.id
    remove_repayment(session, alice, line, typo_id, reason="typed 89.75 for 899.75", now=NOW)
    again = record_repayment(
        session, alice, line, Decimal("899.75"), paid_on=date(2026, 3, 10), now=NOW
    )

    assert again.id not in {first.id, typo_id}
    named = session.execute(
        select(AuditRecord.entity_id, AuditRecord.action)
        .where(AuditRecord.entity == "repayments")
        .order_by(AuditRecord.id)
    ).all()
    # The removed repayment's id names its own add and removal, and nothing else.
    assert [action for entity_id, action in named if entity_id == str(typo_id)] == [
        "repayment.add",
        "repayment.remove",
    ]
