"""A facility's own `bill_critical_days`; when a draw's confirmation became known.

- `facilities.bill_critical_days`: how many days before its due date a missing bill turns
  critical for this facility; NULL (every existing row) takes `LOANWATCH_BILL_CRITICAL_DAYS`,
  as before this revision.
- `draws.confirmed_seen_at`: when loanwatch learned that a draw arrived (a payout, `draw
  confirm`, the Money arrived button), so `check --at T` leaves out confirmations recorded after
  T; NULL (every row confirmed before this revision) counts as known all along.

`stale_after_hours` keeps its values: it now counts business hours (docs/checks.md), which on a
business day are the same hours as before, so a facility's own window means what it meant on
weekdays and no longer runs out over a weekend or a holiday.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite and PostgreSQL both take it in place.
    op.add_column("facilities", sa.Column("bill_critical_days", sa.Integer(), nullable=True))
    # When loanwatch learned a draw was confirmed; NULL for rows confirmed before: known all along.
    op.add_column(
        "draws", sa.Column("confirmed_seen_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_draws_confirmed_seen_at", "draws", ["confirmed_seen_at"])


def downgrade() -> None:
    # SQLite drops a column in place since 3.35.
    op.drop_index("ix_draws_confirmed_seen_at", table_name="draws")
    op.drop_column("draws", "confirmed_seen_at")
    op.drop_column("facilities", "bill_critical_days")
