"""Migration 0041: alerts keep how they were worded; an alert from before has none, and is
said as kept (bot.alerts.said)."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, inspect, text

from bot.alerts.said import facts_of, summary_of
from bot.db import alembic_config
from bot.i18n import ZH, use


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("alerts")}


def test_an_alert_from_before_the_wording_is_kept_and_said_as_kept(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0040")
    assert "wording" not in _columns(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO alerts (fingerprint, "check", subject, severity, state, summary, '
                "facts, opened_at, last_seen_at, escalation_level, escalation_round, version) "
                "VALUES (:fingerprint, 'bill_missing', 'x', 'warning', 'open', :summary, :facts, "
                ":at, :at, 0, 0, 1)"
            ),
            {
                "fingerprint": "bill_missing:-:x",
                "summary": "expected ¥1.00 due 2026-12-10",
                "facts": '{"Facility": "jb-1"}',
                "at": datetime(2026, 12, 1, tzinfo=UTC),
            },
        )

    command.upgrade(config, "head")

    assert "wording" in _columns(engine)
    with engine.connect() as connection:
        summary, wording = connection.execute(
            text("SELECT summary, wording FROM alerts WHERE subject = 'x'")
        ).one()
    assert wording is None
    with use(ZH):
        assert summary_of(summary, wording) == "expected ¥1.00 due 2026-12-10"
        assert facts_of({"Facility": "jb-1"}, wording) == {"授信额度": "jb-1"}

    command.downgrade(config, "0040")
    assert "wording" not in _columns(engine)
    command.upgrade(config, "head")
    assert "wording" in _columns(engine)
