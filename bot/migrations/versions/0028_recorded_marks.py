"""Marks keep when they held, so `check --at T` reads them as they were at T.

Bills keep when loanwatch recorded them paid, so `check --at T` sees a bill paid only if the
paid mark was recorded by T (an import recorded late carries a paid mark observed days
before). Repayments keep an acceptance a replay ended, and when it did.

- `bills.paid_recorded_at`: when the paid mark was recorded; NULL on an unpaid row, and on a
  paid one written past the ORM (known paid from `paid_at`, as before this revision).

Backfill, paid rows only: the time of the bill's latest `bill.update` audit record (the only
change that marks an existing version paid; on a row paid now, the latest one marked it so),
else the version's `recorded_at` (it was recorded paid), else NULL.

- `repayments.acceptance_ended_at`: when a replay left another amount unexplained than the one
  accepted (the acceptance is kept); NULL while it holds. Acceptances a replay cleared before
  this revision are not known: NULL everywhere.

Plain ADD COLUMNs.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("bills", sa.Column("paid_recorded_at", _TIME, nullable=True))
    bind = op.get_bind()
    marked = dict(
        bind.execute(
            sa.text(
                "SELECT entity_id, MAX(at) FROM audit_records"
                " WHERE entity = 'bills' AND action = 'bill.update' GROUP BY entity_id"
            )
        ).all()
    )
    stamps = [
        {"i": row_id, "at": marked.get(str(row_id), recorded_at)}
        for row_id, recorded_at in bind.execute(
            sa.text("SELECT id, recorded_at FROM bills WHERE paid")
        )
    ]
    stamps = [stamp for stamp in stamps if stamp["at"] is not None]
    if stamps:
        bind.execute(sa.text("UPDATE bills SET paid_recorded_at = :at WHERE id = :i"), stamps)
    op.create_index("ix_bills_paid_recorded_at", "bills", ["paid_recorded_at"])
    op.add_column("repayments", sa.Column("acceptance_ended_at", _TIME, nullable=True))


def downgrade() -> None:
    # An ended acceptance goes, as a replay cleared it before this revision.
    op.execute(
        "UPDATE repayments SET accepted_at = NULL, accepted_by = NULL, accept_reason = NULL"
        " WHERE acceptance_ended_at IS NOT NULL"
    )
    op.drop_column("repayments", "acceptance_ended_at")
    op.drop_index("ix_bills_paid_recorded_at", table_name="bills")
    # SQLite drops a column in place since 3.35.
    op.drop_column("bills", "paid_recorded_at")
