"""Migration 0032 (requests of three kinds, each with its own claim) goes down and up."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config

COLUMNS = {"kind", "due_date", "draw_id", "bill_id"}


def test_the_request_kinds_come_and_go_with_their_migration(engine: Engine) -> None:
    """Down to 0031 the kind columns are gone and (facility, slot) is unique again; back at
    head, the columns and each kind's key are there."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0031")
    columns = {c["name"] for c in inspect(engine).get_columns("reading_requests")}
    assert COLUMNS.isdisjoint(columns)
    uniques = {u["name"] for u in inspect(engine).get_unique_constraints("reading_requests")}
    assert "uq_reading_requests_facility_id_slot" in uniques
    command.upgrade(config, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("reading_requests")}
    assert columns >= COLUMNS
    uniques = {u["name"] for u in inspect(engine).get_unique_constraints("reading_requests")}
    assert {"uq_reading_requests_facility_id_due_date", "uq_reading_requests_draw_id"} <= uniques
    indexes = {i["name"] for i in inspect(engine).get_indexes("reading_requests")}
    assert "uq_reading_requests_limit_slot" in indexes
