"""Migration 0031 (a facility's owner and reading schedule, and the requests) goes down and up."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config

COLUMNS = {"reading_owner", "readings", "readings_since"}


def test_the_reading_request_table_and_columns_come_and_go_with_their_migration(
    engine: Engine,
) -> None:
    """Down to the revision before 0031 the table and the facility's columns are gone; back at
    head, there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0031-1")  # the revision before it, wherever it is chained
    assert "reading_requests" not in inspect(engine).get_table_names()
    facilities = {c["name"] for c in inspect(engine).get_columns("facilities")}
    assert COLUMNS.isdisjoint(facilities)
    command.upgrade(config, "head")
    assert "reading_requests" in inspect(engine).get_table_names()
    assert {c["name"] for c in inspect(engine).get_columns("facilities")} >= COLUMNS
