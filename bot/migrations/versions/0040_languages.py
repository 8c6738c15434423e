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


def _foreign_keys(on: bool) -> None:
    """On SQLite, leave foreign keys unchecked while batch mode rebuilds `facilities` (which other
    tables point at), then check every reference (as 0011 does)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0040 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


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
    _foreign_keys(on=False)
    op.drop_table("channel_languages")
    with op.batch_alter_table("facilities") as batch:
        batch.drop_column("language")
    _foreign_keys(on=True)
