"""How an alert was worded (its summary's and facts' message ids and arguments), kept beside
its English so every surface can say it in its reader's language.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _foreign_keys(on: bool) -> None:
    """On SQLite, leave foreign keys unchecked while batch mode rebuilds `alerts` (which other
    tables point at), then check every reference (as 0011 does)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0041 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("wording", sa.JSON(), nullable=True))


def downgrade() -> None:
    _foreign_keys(on=False)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("wording")
    _foreign_keys(on=True)
