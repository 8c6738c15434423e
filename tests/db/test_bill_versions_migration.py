"""Migration 0012: bills from before it behave as they did; summaries learn when the ledger moved.

See docs/ledger.md, Bills.
"""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.db import alembic_config
from bot.ledger.summaries import rebuild_summaries
from bot.models import Bill, FacilitySummary
from bot.thresholds import Thresholds
from jobs.checks import run_checks
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
LOGGED = datetime.fromisoformat("2026-11-10T12:00:00+08:00")
SEEN = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


def test_bills_from_before_stay_current_and_paid_ones_stay_paid(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Back at 0010, two bills on one day (summed, as then) and a paid one; after the upgrade
    the checks still sum the two, the paid one is paid since it was seen, and the facility's
    summary knows when its draw was logged."""
    with sessions() as session, session.begin():
        line = jiebei_line(session, ALICE, LOGGED)
        draw = log_draw(session, ALICE, line, "10000.00", 12, date(2026, 11, 10), now=LOGGED)
        facility_id, first_due = line.id, draw.installments[0].due_date
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0010")
    old_columns = ("facility_id", "due_date", "amount", "paid", "observed_at", "source")
    rows = [
        (facility_id, first_due, Decimal("899.75"), False, SEEN, "cli"),
        (facility_id, first_due, Decimal("100.00"), False, SEEN, "cli"),
        (facility_id, date(2027, 1, 10), Decimal("899.75"), True, SEEN, "cli"),
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(Bill.__table__), [dict(zip(old_columns, row, strict=True)) for row in rows]
        )
    command.upgrade(config, "head")
    with Session(engine) as session:
        summary = session.get(FacilitySummary, facility_id)
        assert summary is not None
        assert summary.ledger_at == LOGGED  # filled by the migration
    with engine.begin() as connection:
        rebuild_summaries(connection)  # the bills were written past the ORM

    with Session(engine) as session:
        findings = run_checks(
            session, datetime.fromisoformat("2027-01-20T10:00:00+08:00"), Thresholds(),
            BusinessCalendar(), only={"bill_amount_mismatch", "bill_overdue"},
        )  # fmt: skip
        bills = session.scalars(select(Bill).order_by(Bill.id)).all()
    assert [(f.check, f.subject) for f in findings] == [
        ("bill_amount_mismatch", first_due.isoformat()),
        ("bill_overdue", f"{first_due.isoformat()}#b{bills[0].id}"),
        ("bill_overdue", f"{first_due.isoformat()}#b{bills[1].id}"),
    ]
    assert "shows ¥999.75" in findings[0].summary
    assert [(b.superseded_at, b.paid_at, b.origin_id) for b in bills] == [(None, None, None)] * 3
