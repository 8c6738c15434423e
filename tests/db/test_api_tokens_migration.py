"""Migration 0027 (the ingest API's tokens and kept answers) goes down and up again cleanly."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def test_the_api_tables_come_and_go_with_their_migration(engine: Engine) -> None:
    """Down to the revision before 0027 the two tables are gone; back at head, there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0027-1")  # the revision before it, wherever it is chained
    assert {"api_tokens", "api_idempotency_keys"}.isdisjoint(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert {"api_tokens", "api_idempotency_keys"} <= set(inspect(engine).get_table_names())
