"""Saved statement mappings: how to read one bank's export for `loanwatch import --mapping`.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statement_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("date_format", sa.String(length=64), nullable=True),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("skip_rows", sa.Integer(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_statement_mappings_name")),
    )


def downgrade() -> None:
    op.drop_table("statement_mappings")
