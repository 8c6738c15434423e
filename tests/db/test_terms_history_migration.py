"""Migration 0018: facilities get their first terms version, and repayment ids are never reused."""

from datetime import date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.repayments import record_repayment, remove_repayment
from bot.models import Facility, FacilityTermsVersion, Repayment, RepaymentAllocation
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
NOW = datetime.fromisoformat("2026-03-20T09:00:00+08:00")


def test_down_and_up_again_keeps_repayments_and_gives_each_facility_its_terms(
    engine: Engine,
) -> None:
    """Down to 0016 (no versions, plain ids) and up again: the repayments and their allocations
    are all there, each facility has one version with its terms, valid from its set-up, and
    the id of the repayment removed before the upgrade is not given again."""
    with Session(engine) as session, session.begin():
        line = jiebei_line(session, ALICE, NOW)
        line.bill_critical_days = 4
        log_draw(session, ALICE, line, "10000.00", 12, date(2026, 1, 10), now=NOW)
        kept = record_repayment(
            session, ALICE, line, Decimal("899.75"), paid_on=date(2026, 2, 10), now=NOW
        )
        typo = record_repayment(
            session, ALICE, line, Decimal("89.75"), paid_on=date(2026, 2, 11), now=NOW
        )
        kept_id, typo_id = kept.id, typo.id
        remove_repayment(session, ALICE, line, typo_id, reason="a typo", now=NOW)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0017")
    command.upgrade(config, "head")

    with Session(engine) as session, session.begin():
        line = session.scalars(select(Facility)).one()
        [version] = session.scalars(select(FacilityTermsVersion)).all()
        assert (version.facility_id, version.valid_from) == (line.id, line.created_at)
        assert (version.bill_critical_days, version.holiday_rule, version.active) == (
            4,
            line.holiday_rule,
            True,
        )
        assert session.scalars(select(Repayment.id)).all() == [kept_id]
        assert {a.repayment_id for a in session.scalars(select(RepaymentAllocation))} == {kept_id}
        later = record_repayment(
            session, ALICE, line, Decimal("899.75"), paid_on=date(2026, 3, 10), now=NOW
        )
        assert later.id > typo_id
