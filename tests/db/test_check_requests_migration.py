"""Migration 0034 (the facilities whose checks are due, and how many a run checked) goes down and
up."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def test_the_check_marks_and_the_runs_scope_come_and_go_with_their_migration(
    engine: Engine,
) -> None:
    """Down to the revision before 0034 the table and check_runs.facilities are gone; back at
    head, there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0034-1")  # the revision before it, wherever it is chained
    assert "check_requests" not in inspect(engine).get_table_names()
    assert "facilities" not in {c["name"] for c in inspect(engine).get_columns("check_runs")}
    command.upgrade(config, "head")
    assert "check_requests" in inspect(engine).get_table_names()
    assert "facilities" in {c["name"] for c in inspect(engine).get_columns("check_runs")}
