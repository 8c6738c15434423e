"""Languages: a facility's own (its channel messages) and a channel's.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("facilities") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    op.create_table(
        "channel_languages",
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_languages")),
    )


def downgrade() -> None:
    op.drop_table("channel_languages")
    with op.batch_alter_table("facilities") as batch:
        batch.drop_column("language")
