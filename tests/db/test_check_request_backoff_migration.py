"""Migration 0036 (a held-back mark's pause and its failed runs) goes down and up."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("check_requests")}


def test_the_pause_and_attempts_come_and_go_with_their_migration(engine: Engine) -> None:
    """Down to the revision before 0036 the two columns are gone; back at head, there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0036-1")  # the revision before it, wherever it is chained
    assert {"not_before", "attempts"}.isdisjoint(_columns(engine))
    command.upgrade(config, "head")
    assert {"not_before", "attempts"} <= _columns(engine)
