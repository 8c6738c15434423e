"""Summaries the checks read: facility_summaries and bill_days, filled from what is there.

A check cycle read every limit reading, bill and installment; these two tables hold what it
needs (latest readings and outstanding principal per facility; installments against bills per
facility and day), kept in step by `bot.ledger.summaries` from now on. The upgrade fills them
with plain SQL of its own, so it does not depend on code that may change later. Also a partial
index on unpaid bills by due date, for bill_due_soon and bill_overdue, and one on draws nothing
has confirmed yet, for draw_unconfirmed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:28:22.642754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Money is integer fen in both tables, so sums are exact. Installments that are superseded or
# 0.00 expect no bill and are left out, as in the checks.
BILL_DAYS = """
INSERT INTO bill_days (facility_id, day, installments, open, expected, bills, billed, billed_seen_at)
SELECT facility_id, day, SUM(installments), SUM(open), SUM(expected), SUM(bills), SUM(billed),
       MAX(billed_seen_at)
FROM (
    SELECT facility_id, due_date AS day, COUNT(*) AS installments,
           SUM(CASE WHEN status = 'scheduled' THEN 1 ELSE 0 END) AS open,
           SUM(amount) AS expected, 0 AS bills, 0 AS billed, NULL AS billed_seen_at
    FROM installments
    WHERE status != 'superseded' AND amount > 0
    GROUP BY facility_id, due_date
    UNION ALL
    SELECT facility_id, due_date, 0, 0, 0, COUNT(*), SUM(amount), MAX(observed_at)
    FROM bills
    GROUP BY facility_id, due_date
) AS both_sides
GROUP BY facility_id, day
"""

# One pass over each table (readings ranked per facility), so the cost does not hang on the
# planner's statistics.
FACILITY_SUMMARIES = """
INSERT INTO facility_summaries (facility_id, reading_at, reading_limit, reading_available,
                                reading_status, previous_at, previous_limit, outstanding,
                                facility_limit, own_thresholds)
SELECT f.id, r.reading_at, r.reading_limit, r.reading_available, r.reading_status,
       r.previous_at, r.previous_limit, COALESCE(drawn.amount, 0) - COALESCE(repaid.amount, 0),
       f.limit_amount,
       CASE WHEN f.limit_drop_percent IS NOT NULL OR f.amount_tolerance IS NOT NULL
                 OR f.utilization_percent IS NOT NULL OR f.stale_after_hours IS NOT NULL
                 OR f.restore_lag_hours IS NOT NULL
            THEN TRUE ELSE FALSE END
FROM facilities f
LEFT JOIN (
    SELECT facility_id,
           MAX(CASE WHEN rank = 1 THEN observed_at END) AS reading_at,
           MAX(CASE WHEN rank = 1 THEN limit_amount END) AS reading_limit,
           MAX(CASE WHEN rank = 1 THEN available END) AS reading_available,
           MAX(CASE WHEN rank = 1 THEN status END) AS reading_status,
           MAX(CASE WHEN rank = 2 THEN observed_at END) AS previous_at,
           MAX(CASE WHEN rank = 2 THEN limit_amount END) AS previous_limit
    FROM (
        SELECT facility_id, observed_at, limit_amount, available, status,
               ROW_NUMBER() OVER (PARTITION BY facility_id ORDER BY observed_at DESC) AS rank
        FROM limit_readings
    ) AS ranked
    WHERE rank <= 2
    GROUP BY facility_id
) AS r ON r.facility_id = f.id
LEFT JOIN (
    SELECT facility_id, SUM(amount) AS amount FROM draws GROUP BY facility_id
) AS drawn ON drawn.facility_id = f.id
LEFT JOIN (
    SELECT d.facility_id, SUM(a.principal) AS amount
    FROM repayment_allocations a JOIN draws d ON d.id = a.draw_id
    GROUP BY d.facility_id
) AS repaid ON repaid.facility_id = f.id
"""


def upgrade() -> None:
    op.create_table(
        "bill_days",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("bills", sa.Integer(), nullable=False),
        sa.Column("billed", sa.BigInteger(), nullable=False),
        sa.Column("billed_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_bill_days_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("facility_id", "day", name=op.f("pk_bill_days")),
    )
    with op.batch_alter_table("bill_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bill_days_billed_seen_at"), ["billed_seen_at"], unique=False
        )
        batch_op.create_index(
            "ix_bill_days_orphaned",
            ["facility_id", "day"],
            unique=False,
            sqlite_where=sa.text("installments = 0 AND bills > 0"),
            postgresql_where=sa.text("installments = 0 AND bills > 0"),
        )
        batch_op.create_index(
            "ix_bill_days_unbalanced",
            ["facility_id", "day"],
            unique=False,
            sqlite_where=sa.text("installments > 0 AND bills > 0 AND billed != expected"),
            postgresql_where=sa.text("installments > 0 AND bills > 0 AND billed != expected"),
        )
        batch_op.create_index(
            "ix_bill_days_unbilled",
            ["day"],
            unique=False,
            sqlite_where=sa.text("installments > 0 AND bills = 0"),
            postgresql_where=sa.text("installments > 0 AND bills = 0"),
        )
        batch_op.create_index(
            "ix_bill_days_unbilled_open",
            ["day"],
            unique=False,
            sqlite_where=sa.text("installments > 0 AND bills = 0 AND open > 0"),
            postgresql_where=sa.text("installments > 0 AND bills = 0 AND open > 0"),
        )

    op.create_table(
        "facility_summaries",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("reading_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reading_limit", sa.BigInteger(), nullable=True),
        sa.Column("reading_available", sa.BigInteger(), nullable=True),
        sa.Column("reading_status", sa.String(length=16), nullable=True),
        sa.Column("previous_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_limit", sa.BigInteger(), nullable=True),
        sa.Column("outstanding", sa.BigInteger(), nullable=False),
        sa.Column("facility_limit", sa.BigInteger(), nullable=False),
        sa.Column("own_thresholds", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_summaries_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("facility_id", name=op.f("pk_facility_summaries")),
    )
    with op.batch_alter_table("facility_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facility_summaries_reading_at"), ["reading_at"], unique=False
        )
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bills_unpaid_due_date",
            ["due_date"],
            unique=False,
            sqlite_where=sa.text("paid = 0"),
            postgresql_where=sa.text("NOT paid"),
        )

    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.create_index(
            "ix_draws_unconfirmed",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("confirmed_at IS NULL"),
            postgresql_where=sa.text("confirmed_at IS NULL"),
        )

    op.execute(BILL_DAYS)
    op.execute(FACILITY_SUMMARIES)


def downgrade() -> None:
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_draws_unconfirmed",
            sqlite_where=sa.text("confirmed_at IS NULL"),
            postgresql_where=sa.text("confirmed_at IS NULL"),
        )
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_bills_unpaid_due_date",
            sqlite_where=sa.text("paid = 0"),
            postgresql_where=sa.text("NOT paid"),
        )
    with op.batch_alter_table("facility_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_summaries_reading_at"))

    op.drop_table("facility_summaries")
    with op.batch_alter_table("bill_days", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_bill_days_unbilled_open",
            sqlite_where=sa.text("installments > 0 AND bills = 0 AND open > 0"),
            postgresql_where=sa.text("installments > 0 AND bills = 0 AND open > 0"),
        )
        batch_op.drop_index(
            "ix_bill_days_unbilled",
            sqlite_where=sa.text("installments > 0 AND bills = 0"),
            postgresql_where=sa.text("installments > 0 AND bills = 0"),
        )
        batch_op.drop_index(
            "ix_bill_days_unbalanced",
            sqlite_where=sa.text("installments > 0 AND bills > 0 AND billed != expected"),
            postgresql_where=sa.text("installments > 0 AND bills > 0 AND billed != expected"),
        )
        batch_op.drop_index(
            "ix_bill_days_orphaned",
            sqlite_where=sa.text("installments = 0 AND bills > 0"),
            postgresql_where=sa.text("installments = 0 AND bills > 0"),
        )
        batch_op.drop_index(batch_op.f("ix_bill_days_billed_seen_at"))

    op.drop_table("bill_days")
