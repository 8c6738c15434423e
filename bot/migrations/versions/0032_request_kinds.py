"""Requests of three kinds: a facility's reading, a bill, whether a draw's money arrived.

- `reading_requests.kind` (`limit`, `bill`, `draw`; every row so far is `limit`),
  `due_date` (the bill asked about), `draw_id` (the draw asked about) and `bill_id` (the bill
  the answer recorded).
- Each kind's claim is a unique key of its own: (facility, slot) for limits only, now a partial
  unique index, since a bill's lead window may open at the minute a reading is scheduled;
  (facility, due date) for bills; the draw for draws (NULLs are distinct, so the other kinds
  are not held by those two).

New columns (the one NOT NULL with a server default), and the (facility, slot) constraint
swapped for the partial index: a batch copy of `reading_requests` on SQLite, which no table
refers to.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIMITS_ONLY = sa.text("kind = 'limit'")


def upgrade() -> None:
    with op.batch_alter_table("reading_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="limit", nullable=False)
        )
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("draw_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bill_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reading_requests_draw_id_draws"), "draws", ["draw_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reading_requests_bill_id_bills"), "bills", ["bill_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("uq_reading_requests_facility_id_slot"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_reading_requests_facility_id_due_date"), ["facility_id", "due_date"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_reading_requests_draw_id"), ["draw_id"])
    op.create_index(
        "uq_reading_requests_limit_slot",
        "reading_requests",
        ["facility_id", "slot"],
        unique=True,
        sqlite_where=_LIMITS_ONLY,
        postgresql_where=_LIMITS_ONLY,
    )


def downgrade() -> None:
    # The requests of the new kinds have no place in the old table: they go.
    op.execute("DELETE FROM reading_requests WHERE kind <> 'limit'")
    op.drop_index("uq_reading_requests_limit_slot", table_name="reading_requests")
    with op.batch_alter_table("reading_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reading_requests_draw_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("uq_reading_requests_facility_id_due_date"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_reading_requests_facility_id_slot"), ["facility_id", "slot"]
        )
        batch_op.drop_constraint(
            batch_op.f("fk_reading_requests_bill_id_bills"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_reading_requests_draw_id_draws"), type_="foreignkey"
        )
        batch_op.drop_column("bill_id")
        batch_op.drop_column("draw_id")
        batch_op.drop_column("due_date")
        batch_op.drop_column("kind")
