"""Installments keep their time, so `check --at T` reads the schedule the ledger held at T.

- `installments.recorded_at`: since when the row is part of its draw's schedule. NULL for the
  first schedule (revision 0: in force from when its draw was logged).
- `installments.superseded_at`: when an early repayment superseded it; NULL while in force.

Backfill: a draw's revision k (k >= 1) was written by its k-th early repayment (the allocations
with no installment, in the order they are placed: repayment date, then id), so its rows get
that repayment's `created_at`; a superseded row of revision r gets the time of revision r + 1,
or, when none was written (a payoff), of the draw's last early repayment, else of its last
repayment, else of the draw. Those are the times `check --at` read before this revision (a
replay's own time is not known). Plain ADD COLUMNs: no table is rewritten.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 03:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("installments", sa.Column("recorded_at", _TIME, nullable=True))
    op.add_column("installments", sa.Column("superseded_at", _TIME, nullable=True))
    _backfill(op.get_bind())
    op.create_index("ix_installments_recorded_at", "installments", ["recorded_at"])
    op.create_index("ix_installments_superseded_at", "installments", ["superseded_at"])


def _backfill(bind: sa.Connection) -> None:
    early: dict[int, list] = defaultdict(list)
    for draw_id, created_at in bind.execute(
        sa.text(
            "SELECT a.draw_id, r.created_at FROM repayment_allocations a"
            " JOIN repayments r ON r.id = a.repayment_id WHERE a.installment_id IS NULL"
            " ORDER BY a.draw_id, r.paid_on, r.id"
        )
    ):
        early[draw_id].append(created_at)
    last = dict(
        bind.execute(
            sa.text(
                "SELECT d.id, COALESCE(MAX(r.created_at), d.created_at) FROM draws d"
                " LEFT JOIN repayment_allocations a ON a.draw_id = d.id"
                " LEFT JOIN repayments r ON r.id = a.repayment_id GROUP BY d.id, d.created_at"
            )
        ).all()
    )
    rows = bind.execute(
        sa.text(
            "SELECT id, draw_id, revision, status FROM installments"
            " WHERE revision > 0 OR status = 'superseded'"
        )
    ).all()
    stamps = []
    for row_id, draw_id, rev, status in rows:
        times = early[draw_id]
        recorded = times[rev - 1] if 0 < rev <= len(times) else None
        if rev > 0 and recorded is None:
            recorded = last[draw_id]
        superseded = None
        if status == "superseded":
            superseded = times[rev] if rev < len(times) else (times[-1] if times else last[draw_id])
        stamps.append({"i": row_id, "rec": recorded, "sup": superseded})
    if stamps:
        bind.execute(
            sa.text(
                "UPDATE installments SET recorded_at = :rec, superseded_at = :sup WHERE id = :i"
            ),
            stamps,
        )


def downgrade() -> None:
    op.drop_index("ix_installments_superseded_at", table_name="installments")
    op.drop_index("ix_installments_recorded_at", table_name="installments")
    # SQLite drops a column in place since 3.35.
    op.drop_column("installments", "superseded_at")
    op.drop_column("installments", "recorded_at")
