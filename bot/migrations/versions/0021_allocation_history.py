"""Allocations kept over time, so `check --at T` reads how the ledger had placed the money at T.

- `repayment_allocations.recorded_at`: since when the ledger has placed the money this way.
  Every existing row gets its repayment's `created_at` (what `check --at` read before this
  revision: an allocation known from when its repayment was recorded).
- `allocation_history`: new, empty. A replay that places a repayment's money otherwise, and
  removing a repayment, keep the allocations they replace here, with when they stopped holding.

A plain ADD COLUMN and a new table: SQLite and PostgreSQL take both in place, and no row of an
existing table is rewritten but for the new column. Going down drops the column and the table:
the allocations in force now stay, the replaced ones (only `check --at` reads them) go.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("repayment_allocations", sa.Column("recorded_at", _TIME, nullable=True))
    op.execute(
        "UPDATE repayment_allocations SET recorded_at = "
        "(SELECT created_at FROM repayments WHERE repayments.id = repayment_allocations.repayment_id)"
    )
    op.create_index(
        "ix_repayment_allocations_recorded_at", "repayment_allocations", ["recorded_at"]
    )
    op.create_table(
        "allocation_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("repayment_id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("installment_id", sa.Integer(), nullable=True),
        sa.Column("installment_revision", sa.Integer(), nullable=True),
        sa.Column("installment_seq", sa.Integer(), nullable=True),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=True),
        sa.Column("superseded_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name="fk_allocation_history_facility_id_facilities"
        ),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["draws.id"], name="fk_allocation_history_draw_id_draws"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_history"),
    )
    op.create_index("ix_allocation_history_facility_id", "allocation_history", ["facility_id"])
    op.create_index("ix_allocation_history_superseded_at", "allocation_history", ["superseded_at"])
    op.create_index(
        "ix_allocation_history_installment",
        "allocation_history",
        ["draw_id", "installment_revision", "installment_seq"],
    )


def downgrade() -> None:
    op.drop_index("ix_allocation_history_installment", table_name="allocation_history")
    op.drop_index("ix_allocation_history_superseded_at", table_name="allocation_history")
    op.drop_index("ix_allocation_history_facility_id", table_name="allocation_history")
    op.drop_table("allocation_history")
    op.drop_index("ix_repayment_allocations_recorded_at", table_name="repayment_allocations")
    # SQLite drops a column in place since 3.35.
    op.drop_column("repayment_allocations", "recorded_at")
