"""Indexes for the check cycle's probes: bills by (facility_id, due_date), allocations by
installment.

- bills lost their (facility_id, due_date, amount) unique index in 0012 (bill versions), and
  nothing took its place: every probe for "a bill of this facility due within the window"
  (bill_missing, bill_amount_mismatch, draw_unconfirmed) ANDed the facility index with a range
  of the due-date index, thousands of entries each. ix_bills_facility_id_due_date finds a
  facility's bills in a window in one probe, and replaces ix_bills_facility_id, which it leads
  (as 0009 did for installments).
- repayment_allocations had no index on installment_id, so reading the payments of the few
  installments a bill check looks at scanned every allocation (42,000 at 10,000 facilities).

Revision ID: 0038
Revises: 0036
Create Date: 2026-12-07 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0038"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE / DROP INDEX: SQLite and PostgreSQL both take them in place.
    op.create_index("ix_bills_facility_id_due_date", "bills", ["facility_id", "due_date"])
    op.drop_index("ix_bills_facility_id", table_name="bills")
    op.create_index(
        "ix_repayment_allocations_installment_id", "repayment_allocations", ["installment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_repayment_allocations_installment_id", table_name="repayment_allocations")
    op.create_index("ix_bills_facility_id", "bills", ["facility_id"])
    op.drop_index("ix_bills_facility_id_due_date", table_name="bills")
