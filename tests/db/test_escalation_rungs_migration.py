"""Migration 0026 and the steps run before it: their rungs are read back from their actions,
so a round that was half way up its ladder goes on from there after the upgrade."""

from datetime import timedelta

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.db import alembic_config
from bot.models import EscalationStep
from tests.oncall.test_escalation import OPENED, _open, _setup, _wake


def test_a_round_begun_before_the_upgrade_goes_on_without_repeating_a_step(engine: Engine) -> None:
    with Session(engine) as session:
        facility_id = _setup(session, OPENED)
        alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED)
        for minute in (0, 15):
            _wake(session, OPENED + timedelta(minutes=minute))
        alert_id = alert.id
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0025")
    command.upgrade(config, "head")
    with Session(engine) as session:
        rungs = session.scalars(select(EscalationStep.rung).order_by(EscalationStep.id)).all()
        assert rungs == ["oncall#0", "dm#0"]
        _wake(session, OPENED + timedelta(minutes=45))
        actions = session.scalars(
            select(EscalationStep.action)
            .where(EscalationStep.alert_id == alert_id)
            .order_by(EscalationStep.id)
        ).all()
    assert actions == ["oncall", "dm", "next"]
