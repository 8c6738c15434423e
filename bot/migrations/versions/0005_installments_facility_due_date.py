"""An index on installments (facility_id, due_date) for matching installments to bills.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_installments_facility_id_due_date", ["facility_id", "due_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.drop_index("ix_installments_facility_id_due_date")
