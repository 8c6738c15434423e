"""Repayments tell the truth: penalty interest, itemised penalty and fee, unexplained amounts.

- `facilities.penalty_multiplier` and `penalty_on_interest`: penalty interest (罚息) per day as
  a multiple of the facility's rate, on the overdue principal (and interest). Facilities from
  before this revision get 0 and no: they charge no penalty, as loanwatch did before; `loanwatch
  facility set FAC --penalty-rate 1.5` turns it on.
- `repayments.penalty_given`, `fee`: what the platform itemised; `unexplained`: money the
  ledger could not place on the loans (0.00 for every repayment from before, which were all
  placed); `accepted_at`, `accepted_by`, `accept_reason`: `loanwatch repay accept`.
- `repayment_allocations.penalty`: the penalty a repayment paid on an installment (0.00 before).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEMISED = "(penalty_given IS NULL OR penalty_given >= 0) AND (fee IS NULL OR fee >= 0)"


def _foreign_keys(on: bool) -> None:
    """On SQLite, leave foreign keys unchecked while batch mode rebuilds `facilities` and
    `repayments` (which other tables point at), then check every reference (as 0010 does)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0011 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade() -> None:
    _foreign_keys(on=False)
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("penalty_multiplier", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("penalty_on_interest", sa.Boolean(), nullable=True))
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("penalty_given", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("fee", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("unexplained", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("accepted_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("accept_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("repayment_allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("penalty", sa.BigInteger(), nullable=True))

    # What every row meant before: no penalty, nothing unexplained.
    op.execute(
        sa.text(
            "UPDATE facilities SET penalty_multiplier = 0, penalty_on_interest = :no"
        ).bindparams(no=False)
    )
    op.execute("UPDATE repayments SET unexplained = 0")
    op.execute("UPDATE repayment_allocations SET penalty = 0")

    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.alter_column("penalty_multiplier", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("penalty_on_interest", existing_type=sa.Boolean(), nullable=False)
        batch_op.create_check_constraint("penalty_not_negative", "penalty_multiplier >= 0")
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.alter_column("unexplained", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint("itemised_not_negative", _ITEMISED)
    with op.batch_alter_table("repayment_allocations", schema=None) as batch_op:
        batch_op.alter_column("penalty", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint("penalty_not_negative", "penalty >= 0")
    op.create_index(
        "ix_repayments_unexplained",
        "repayments",
        ["facility_id"],
        unique=False,
        sqlite_where=sa.text("unexplained <> 0"),
        postgresql_where=sa.text("unexplained <> 0"),
    )
    _foreign_keys(on=True)


def downgrade() -> None:
    # Penalty paid and unexplained amounts have no column to go back to: going down forgets them.
    _foreign_keys(on=False)
    op.drop_index("ix_repayments_unexplained", table_name="repayments")
    with op.batch_alter_table("repayment_allocations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_repayment_allocations_penalty_not_negative"), type_="check"
        )
        batch_op.drop_column("penalty")
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_repayments_itemised_not_negative"), type_="check")
        for column in (
            "accept_reason",
            "accepted_by",
            "accepted_at",
            "unexplained",
            "fee",
            "penalty_given",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_facilities_penalty_not_negative"), type_="check")
        batch_op.drop_column("penalty_on_interest")
        batch_op.drop_column("penalty_multiplier")
    _foreign_keys(on=True)
