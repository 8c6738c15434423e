"""A random token per outbox row, to tell its posts from any other database's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
    # Rows written before this migration get a random token each, like every row after it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE outbox SET token = md5(random()::text || id::text)")
    else:
        op.execute("UPDATE outbox SET token = lower(hex(randomblob(16)))")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("token")
