"""When loanwatch recorded each limit reading, apart from when the platform showed it.

- `limit_readings.recorded_at`: when the reading was written. A reading typed late with
  `limit add --at` is observed in the past but known only from when it was recorded, so `check
  --at T` leaves out readings recorded after T. Every existing row gets its `observed_at` (as
  before this revision: known from when it was observed); NULL, written past the ORM, counts
  the same way.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite and PostgreSQL both take it in place.
    op.add_column(
        "limit_readings", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE limit_readings SET recorded_at = observed_at")
    op.create_index("ix_limit_readings_recorded_at", "limit_readings", ["recorded_at"])


def downgrade() -> None:
    # SQLite drops a column in place since 3.35.
    op.drop_index("ix_limit_readings_recorded_at", table_name="limit_readings")
    op.drop_column("limit_readings", "recorded_at")
