"""Installments keep the versions a replay replaces, so `check --at T` reads T's amounts.

- `installments.version`: 0 for the ledger's own row at its place (draw, revision, seq); a
  replay that writes the place otherwise (a backdated or removed repayment, a new holiday
  rule) keeps the row it replaces as version 1, 2, …, superseded at the replay's time.
- The unique constraint on (draw_id, revision, seq) becomes (draw_id, revision, seq,
  version).

Backfill: every existing row is the ledger's own (version 0, the server default); what earlier
replays overwrote in place is not known. SQLite rebuilds the table (batch mode) to change the
constraint; PostgreSQL alters it in place.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _foreign_keys(on: bool) -> None:
    """On SQLite, leave foreign keys unchecked while batch mode rebuilds `installments` (which
    allocations point at), then check every reference (as 0011 and 0018 do). First, before any
    row is written: SQLite takes the pragma only outside a transaction."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0025 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade() -> None:
    _foreign_keys(on=False)
    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_installments_draw_id_revision_seq", type_="unique")
        batch_op.create_unique_constraint(
            "uq_installments_draw_id_revision_seq_version",
            ["draw_id", "revision", "seq", "version"],
        )
    _foreign_keys(on=True)


def downgrade() -> None:
    _foreign_keys(on=False)
    # The kept versions go: only `check --at` an earlier moment reads them.
    op.execute("DELETE FROM installments WHERE version <> 0")
    with op.batch_alter_table("installments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_installments_draw_id_revision_seq_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_installments_draw_id_revision_seq", ["draw_id", "revision", "seq"]
        )
        batch_op.drop_column("version")
    _foreign_keys(on=True)
