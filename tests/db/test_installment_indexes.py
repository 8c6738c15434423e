"""Migration 0009: one installments index leads with facility_id, (facility_id, due_date)."""

from alembic import command
from sqlalchemy import Engine, inspect

from bot.db import alembic_config


def installment_indexes(engine: Engine) -> dict[str, list[str]]:
    """The installments table's indexes, by name, with their columns."""
    return {
        index["name"]: list(index["column_names"])
        for index in inspect(engine).get_indexes("installments")
    }


def test_facility_lookups_use_the_facility_and_due_date_index(engine: Engine) -> None:
    """At head, the index on facility_id alone is gone and the composite one it duplicated stays."""
    indexes = installment_indexes(engine)

    assert "ix_installments_facility_id" not in indexes
    assert indexes["ix_installments_facility_id_due_date"] == ["facility_id", "due_date"]
    assert [name for name, columns in indexes.items() if columns[0] == "facility_id"] == [
        "ix_installments_facility_id_due_date"
    ]


def test_a_downgrade_to_0008_brings_the_facility_index_back(engine: Engine) -> None:
    """Back at 0008 both indexes are there again; upgrading drops the single-column one again."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0008")
    try:
        assert installment_indexes(engine)["ix_installments_facility_id"] == ["facility_id"]
    finally:
        command.upgrade(config, "head")

    assert "ix_installments_facility_id" not in installment_indexes(engine)
