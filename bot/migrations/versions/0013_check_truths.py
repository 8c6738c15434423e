"""A facility's own `bill_critical_days`.

- `facilities.bill_critical_days`: how many days before its due date a missing bill turns
  critical for this facility; NULL (every existing row) takes `LOANWATCH_BILL_CRITICAL_DAYS`,
  as before this revision.

`stale_after_hours` keeps its values: it now counts business hours (docs/checks.md), which on a
business day are the same hours as before, so a facility's own window means what it meant on
weekdays and no longer runs out over a weekend or a holiday.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite and PostgreSQL both take it in place.
    op.add_column("facilities", sa.Column("bill_critical_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column in place since 3.35.
    op.drop_column("facilities", "bill_critical_days")
