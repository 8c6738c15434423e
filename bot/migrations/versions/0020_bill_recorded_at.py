"""When loanwatch learned of each bill version, apart from when the platform showed it.

- `bills.recorded_at`: when the version was written. A statement imported late carries bills
  the platform showed days before (`observed_at`), but loanwatch knew them only from the import,
  so `check --at T` leaves out versions recorded after T, and a correction recorded late leaves
  the version it replaces current until then. Every existing row gets its `observed_at` (as
  before this revision: known from when it was observed); NULL, written past the ORM, counts
  the same way.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite and PostgreSQL both take it in place.
    op.add_column("bills", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE bills SET recorded_at = observed_at")
    op.create_index("ix_bills_recorded_at", "bills", ["recorded_at"])


def downgrade() -> None:
    # SQLite drops a column in place since 3.35.
    op.drop_index("ix_bills_recorded_at", table_name="bills")
    op.drop_column("bills", "recorded_at")
