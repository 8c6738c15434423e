"""Drop ix_limit_readings_facility_id: the unique (facility_id, observed_at) index covers it.

The readings' unique constraint (0001) is an index on (facility_id, observed_at), so every
lookup of a facility's readings (its newest, the one before, those between two moments) is
served by it, in order. The index on facility_id alone served no query the other does not, and
every reading written paid for keeping both: a batch of a thousand readings keeps four indexes
now instead of five.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain DROP INDEX: SQLite and PostgreSQL both take it in place (no batch rebuild).
    op.drop_index("ix_limit_readings_facility_id", table_name="limit_readings")


def downgrade() -> None:
    op.create_index("ix_limit_readings_facility_id", "limit_readings", ["facility_id"])
