"""Migration 0033 (a reading request's `reminded_at`) goes down and up."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def test_reminded_at_comes_and_goes_with_its_migration(engine: Engine) -> None:
    """Down to the revision before 0033 the column is gone; back at head, there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0033-1")  # the revision before it, wherever it is chained
    assert "reminded_at" not in {c["name"] for c in inspect(engine).get_columns("reading_requests")}
    command.upgrade(config, "head")
    assert "reminded_at" in {c["name"] for c in inspect(engine).get_columns("reading_requests")}
