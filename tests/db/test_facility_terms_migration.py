"""Migration 0010: facilities and draws from before it keep today's terms and their schedules."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.db import alembic_config
from bot.ledger.draws import current_installments
from bot.ledger.schedule import DayCount, RepaymentMethod, Rounding, plan_draw
from bot.ledger.terms import rate_of
from bot.models import Draw, Facility
from tests.ledger.cast import jiebei_line, log_draw

ALICE = Actor("cli:alice", "cli")
NOW = datetime.fromisoformat("2025-03-01T09:00:00+08:00")


def test_facilities_and_draws_from_before_keep_todays_terms_and_schedules(engine: Engine) -> None:
    """Back at 0009 with a line and a draw; after the upgrade the facility reads 30-day,
    half-up, next-month, draw-day, no holiday move, and its draw re-plans to the fen."""
    with Session(engine) as session, session.begin():
        facility = jiebei_line(session, ALICE, NOW, day_count=DayCount.ACTUAL)
        log_draw(session, ALICE, facility, "10000.00", 12, date(2025, 1, 31), now=NOW)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0009")
    command.upgrade(config, "head")

    with Session(engine) as session:
        facility = session.scalars(select(Facility)).one()
        draw = session.scalars(select(Draw)).one()
        assert (
            facility.rounding,
            facility.first_period,
            facility.repayment_day_rule,
            facility.holiday_rule,
            facility.annual_rate,
            facility.rate_basis,
        ) == ("half-up", "next-month", "draw-day", "none", None, None)
        assert (draw.rounding, draw.annual_rate, draw.rate_basis) == ("half-up", None, None)
        stored = [
            (i.due_date, i.principal, i.interest) for i in current_installments(session, draw)
        ]
        replanned = plan_draw(
            draw.amount,
            rate_of(draw),
            draw.months,
            draw.drawn_on,
            RepaymentMethod(draw.repayment_method),
            DayCount(draw.day_count),
            draw.repayment_day,
            rounding=Rounding(draw.rounding),
        )
        assert stored == [(i.due_date, i.principal, i.interest) for i in replanned]
        # Actual days, as the line was set up: Jan 31 to Feb 28 is 28 days at 4.00 a day.
        assert stored[0][0::2] == (date(2025, 2, 28), Decimal("112.00"))


@pytest.mark.parametrize(
    "assignment",
    [
        "rounding = 'sideways'",
        "holiday_rule = 'preceding'",
        "repayment_method = 'balloon'",
        "rate_basis = 360",  # a year without an annual rate
        "annual_rate = 3500000",  # an annual rate without its year
        "annual_rate = -1, rate_basis = 360",
    ],
)
def test_the_database_refuses_terms_loanwatch_does_not_know(engine: Engine, assignment) -> None:
    """The new columns carry CHECK constraints on both databases, as the models declare."""
    with Session(engine) as session, session.begin():
        jiebei_line(session, ALICE, NOW)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(f"UPDATE facilities SET {assignment}"))
