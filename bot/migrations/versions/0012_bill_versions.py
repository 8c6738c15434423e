"""Bills keep their versions: a correction is a new row, the old one kept as history.

- `bills`: `last_seen_at` (seen again, same amount), `paid_at` (first seen paid, apart from
  `observed_at`, which stays when the bill was first seen), `superseded_at` (when a correction
  or a removal replaced this version), `origin_id` (the bill's first version) and
  `removal_reason`. The unique (facility, due date, amount) goes: a bill corrected back to an
  earlier amount is a third version.
- The partial index on unpaid bills covers only current versions.
- `facility_summaries.ledger_at`: when the facility's latest draw or repayment was logged, so
  a check run as of an earlier moment knows the summary's outstanding is ahead of it.

Existing rows behave as before: every one stays a current version (the checks sum bills on one
day as they did), NULL `paid_at` on a paid row means paid since first seen, NULL
`last_seen_at` means `observed_at`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_bills_unpaid_due_date",
            sqlite_where=sa.text("paid = 0"),
            postgresql_where=sa.text("NOT paid"),
        )
        batch_op.drop_constraint(batch_op.f("uq_bills_facility_id_due_date_amount"), type_="unique")
        batch_op.add_column(sa.Column("last_seen_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("paid_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("superseded_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("origin_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removal_reason", sa.String(length=2000), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bills_origin_id_bills"), "bills", ["origin_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_bills_paid_at"), ["paid_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bills_superseded_at"), ["superseded_at"], unique=False)
        batch_op.create_index(
            "ix_bills_unpaid_due_date",
            ["due_date"],
            unique=False,
            sqlite_where=sa.text("paid = 0 AND superseded_at IS NULL"),
            postgresql_where=sa.text("NOT paid AND superseded_at IS NULL"),
        )

    with op.batch_alter_table("facility_summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_at", _TIME, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_facility_summaries_ledger_at"), ["ledger_at"], unique=False
        )
    for table in ("draws", "repayments"):
        later = (
            f"SELECT MAX(created_at) FROM {table} "
            f"WHERE {table}.facility_id = facility_summaries.facility_id"
        )
        op.execute(
            f"UPDATE facility_summaries SET ledger_at = ({later}) "
            f"WHERE ledger_at IS NULL OR ledger_at < ({later})"
        )


def downgrade() -> None:
    with op.batch_alter_table("facility_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_summaries_ledger_at"))
        batch_op.drop_column("ledger_at")
    # Only current versions can go back: history and removed bills are dropped.
    op.execute("UPDATE bills SET origin_id = NULL")
    op.execute("DELETE FROM bills WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_bills_unpaid_due_date",
            sqlite_where=sa.text("paid = 0 AND superseded_at IS NULL"),
            postgresql_where=sa.text("NOT paid AND superseded_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_bills_superseded_at"))
        batch_op.drop_index(batch_op.f("ix_bills_paid_at"))
        batch_op.drop_constraint(batch_op.f("fk_bills_origin_id_bills"), type_="foreignkey")
        for column in ("removal_reason", "origin_id", "superseded_at", "paid_at", "last_seen_at"):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint(
            batch_op.f("uq_bills_facility_id_due_date_amount"),
            ["facility_id", "due_date", "amount"],
        )
        batch_op.create_index(
            "ix_bills_unpaid_due_date",
            ["due_date"],
            unique=False,
            sqlite_where=sa.text("paid = 0"),
            postgresql_where=sa.text("NOT paid"),
        )
