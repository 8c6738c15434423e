"""Every real run of the checks records the moment it evaluated as of.

`check --at T` before the latest real run is a replay (jobs/replay.py). The latest run was
inferred from what runs leave on alerts and the scheduler's slots; a run that found nothing
(or ran from the command line) left no trace, so a `check --at` before it ran for real.

- `check_runs`: one row per real run (`at`: the moment it evaluated as of; `recorded_at`: when
  it ran), written in the run's transaction.

No backfill: runs before this revision are still inferred from the alerts and slots they left,
as before (jobs.replay.latest_run_at takes the later of both).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 05:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_runs")),
    )
    op.create_index(op.f("ix_check_runs_at"), "check_runs", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_check_runs_at"), table_name="check_runs")
    op.drop_table("check_runs")
