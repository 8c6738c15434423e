"""Facility terms kept over time; a removed repayment's id never given to another.

- `facility_terms`: a version of a facility's terms, thresholds and active flag per change,
  valid from when it was made, so that `check --at T` judges T by the terms in force at T
  (`bot.ledger.terms_history`). Each existing facility gets one version with its terms as
  they are, valid from when it was set up: what it had before this revision is not known
  (its audit records say, for people), so a `check --at` before this revision reads today's
  terms, as it did.
- `repayments` becomes AUTOINCREMENT on SQLite: without it SQLite gives the next repayment
  the highest id again when the highest was removed (`repay remove`), and an audit trail or a
  `repayment_mismatch` alert would then name two repayments by one id. The rebuilt table's
  sequence starts past every repayment id the audit records name. The other tables whose rows
  are removed (repayment allocations, rescheduled installments, expired command requests) are
  named by no audit record or alert. PostgreSQL's sequences never give an id twice: nothing to
  do there.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
# The facility's columns a version keeps (bot.models.terms.VERSIONED_COLUMNS at this revision).
_VERSIONED = (
    ("limit_amount", sa.BigInteger(), False),
    ("daily_rate", sa.BigInteger(), False),
    ("annual_rate", sa.BigInteger(), True),
    ("rate_basis", sa.Integer(), True),
    ("repayment_method", sa.String(length=32), False),
    ("day_count", sa.String(length=8), False),
    ("rounding", sa.String(length=16), False),
    ("first_period", sa.String(length=16), False),
    ("repayment_day", sa.Integer(), True),
    ("repayment_day_rule", sa.String(length=16), False),
    ("holiday_rule", sa.String(length=16), False),
    ("penalty_multiplier", sa.BigInteger(), False),
    ("penalty_on_interest", sa.Boolean(), False),
    ("active", sa.Boolean(), False),
    ("bill_lead_days", sa.Integer(), True),
    ("bill_grace_hours", sa.Integer(), True),
    ("bill_match_window_days", sa.Integer(), True),
    ("bill_critical_days", sa.Integer(), True),
    ("amount_tolerance", sa.BigInteger(), True),
    ("due_soon_days", sa.Integer(), True),
    ("limit_drop_percent", sa.Integer(), True),
    ("restore_lag_hours", sa.Integer(), True),
    ("stale_after_hours", sa.Integer(), True),
    ("confirm_window_hours", sa.Integer(), True),
    ("utilization_percent", sa.Integer(), True),
)


def upgrade() -> None:
    # First, before any row is written: SQLite takes `PRAGMA foreign_keys` only outside a
    # transaction, and the first INSERT opens one.
    if op.get_bind().dialect.name == "sqlite":
        _autoincrement_repayments()
    op.create_table(
        "facility_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", _TIME, nullable=False),
        *(sa.Column(name, kind, nullable=nullable) for name, kind, nullable in _VERSIONED),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_facility_terms_facility_id_valid_from", "facility_terms", ["facility_id", "valid_from"]
    )
    op.create_index("ix_facility_terms_valid_from", "facility_terms", ["valid_from"])
    columns = ", ".join(name for name, _, _ in _VERSIONED)
    op.execute(
        f"INSERT INTO facility_terms (facility_id, valid_from, {columns}) "
        f"SELECT id, created_at, {columns} FROM facilities ORDER BY id"
    )


def _foreign_keys(on: bool) -> None:
    """Leave foreign keys unchecked while batch mode rebuilds `repayments` (which allocations
    point at), then check every reference (as 0010 and 0011 do). SQLite only."""
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0018 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _rebuild_repayments(autoincrement: bool) -> None:
    _foreign_keys(on=False)
    with op.batch_alter_table(
        "repayments", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    _foreign_keys(on=True)


def _autoincrement_repayments() -> None:
    """Rebuild `repayments` as AUTOINCREMENT, its sequence past every id ever given."""
    _rebuild_repayments(autoincrement=True)
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'repayments'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'repayments', MAX("
        "COALESCE((SELECT MAX(id) FROM repayments), 0), "
        "COALESCE((SELECT MAX(CAST(entity_id AS INTEGER)) FROM audit_records "
        "WHERE entity = 'repayments'), 0))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_repayments(autoincrement=False)
    op.drop_index("ix_facility_terms_valid_from", table_name="facility_terms")
    op.drop_index("ix_facility_terms_facility_id_valid_from", table_name="facility_terms")
    op.drop_table("facility_terms")
