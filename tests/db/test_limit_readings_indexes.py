"""Migration 0035: one limit_readings index leads with facility_id, the unique
(facility_id, observed_at) one, and the newest readings are found through it."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def reading_indexes(engine: Engine) -> dict[str, list[str]]:
    """The limit_readings table's indexes (the unique one too), by name, with their columns."""
    found = inspect(engine)
    indexes = {
        index["name"]: list(index["column_names"]) for index in found.get_indexes("limit_readings")
    }
    for unique in found.get_unique_constraints("limit_readings"):
        indexes[unique["name"]] = list(unique["column_names"])
    return indexes


def test_facility_lookups_use_the_unique_facility_and_time_index(engine: Engine) -> None:
    """At head, the index on facility_id alone is gone; the unique one it duplicated stays."""
    leading = {
        name: columns
        for name, columns in reading_indexes(engine).items()
        if columns[0] == "facility_id"
    }

    assert list(leading.values()) == [["facility_id", "observed_at"]]
    assert "ix_limit_readings_facility_id" not in leading


def test_a_downgrade_below_0035_brings_the_facility_index_back(engine: Engine) -> None:
    """Before 0035 both are there again; upgrading drops the single-column one again."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0035-1")  # the revision before it, wherever it is chained
    try:
        assert reading_indexes(engine)["ix_limit_readings_facility_id"] == ["facility_id"]
    finally:
        command.upgrade(config, "head")

    assert "ix_limit_readings_facility_id" not in reading_indexes(engine)
