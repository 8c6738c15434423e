"""Prompt checks: the facilities whose checks are due because new observations arrived.

- `check_requests`: one row per facility with something new to check, written in the
  transaction that records the observation (`bot.ledger.check_marks`), deleted by the worker
  run that checks it (`jobs.prompt`), in that run's transaction. `requested_at` is the latest
  write, `first_requested_at` the oldest one not yet checked (the debounce and its cap).
- `check_runs.facilities`: how many facilities a run checked; NULL for a run of the whole
  portfolio (every run before this revision, and every clock-driven or hand-run cycle).

A new table and a nullable column: nothing to backfill.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "check_requests",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("first_requested_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_check_requests_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("facility_id", name=op.f("pk_check_requests")),
    )
    op.add_column("check_runs", sa.Column("facilities", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_runs") as batch:
        batch.drop_column("facilities")
    op.drop_table("check_requests")
