"""Reading requests are repeated once: `reading_requests.reminded_at`.

NULL until the request's reminder was written to the outbox (two business hours after its
message went out, if still unanswered); the conditional UPDATE that sets it is the claim that
makes the reminder go once across workers (`bot.ledger.request_reminders`).

A plain ADD COLUMN.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reading_requests", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ drops a column in place), as 0031's downgrade does.
    op.drop_column("reading_requests", "reminded_at")
