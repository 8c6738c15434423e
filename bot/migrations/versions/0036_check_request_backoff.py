"""Prompt checks: a facility whose prompt run keeps failing waits before it is tried again.

- `check_requests.not_before`: the mark is not claimed before then (NULL: as soon as it is
  due). Set by the worker when the facility's run raised (`jobs.prompt`), so one failing
  facility is tried again with a growing pause instead of every second.
- `check_requests.attempts`: how many runs of the facility have failed since it was last
  checked; the pause doubles with each.

Two columns with defaults: nothing to backfill.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_requests") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("check_requests") as batch:
        batch.drop_column("attempts")
        batch.drop_column("not_before")
