"""Facility terms that match how each platform bills: annual rates, rounding, rules.

- `facilities` and `draws`: `annual_rate` and `rate_basis` (360 or 365) for a rate given per
  year, kept as given so a schedule divides by the year last; `rounding` (`half-up`, `down`).
- `facilities`: `first_period`, `repayment_day_rule` and `holiday_rule`; the methods `bullet`
  and `quarterly-interest` join the known repayment methods.

Existing rows keep exactly the schedules they have: no annual rate, `half-up`, `next-month`,
`draw-day` and no holiday move (`none`) are what loanwatch did before this revision.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_METHODS = ("equal-installment", "equal-principal", "interest-first")
_METHODS = (*_OLD_METHODS, "bullet", "quarterly-interest")
_ANNUAL_RATE_HAS_A_BASIS = (
    "(annual_rate IS NULL AND rate_basis IS NULL) OR "
    "(annual_rate IS NOT NULL AND rate_basis IS NOT NULL "
    "AND annual_rate >= 0 AND rate_basis IN (360, 365))"
)
# What every facility did before this revision.
_FACILITY_FILL = {
    "rounding": "half-up",
    "first_period": "next-month",
    "repayment_day_rule": "draw-day",
    "holiday_rule": "none",
}
_KNOWN = {
    "rounding": ("half-up", "down"),
    "first_period": ("next-month", "skip-short"),
    "repayment_day_rule": ("draw-day", "first-draw"),
    "holiday_rule": ("none", "following"),
}


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _foreign_keys(on: bool) -> None:
    """On SQLite, leave foreign keys unchecked while batch mode rebuilds `facilities` and `draws`
    (it drops each and renames a copy, which the rows of other tables point at meanwhile), then
    check every reference before turning them back on. Outside a transaction, as SQLite needs."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if on:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration 0010 left broken references: {broken[:5]}")
    op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade() -> None:
    _foreign_keys(on=False)
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annual_rate", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rate_basis", sa.Integer(), nullable=True))
        for column in _FACILITY_FILL:
            batch_op.add_column(sa.Column(column, sa.String(length=16), nullable=True))
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annual_rate", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rate_basis", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rounding", sa.String(length=16), nullable=True))

    for column, value in _FACILITY_FILL.items():
        op.execute(sa.text(f"UPDATE facilities SET {column} = :value").bindparams(value=value))
    op.execute(sa.text("UPDATE draws SET rounding = 'half-up'"))

    with op.batch_alter_table("facilities", schema=None) as batch_op:
        for column in _FACILITY_FILL:
            batch_op.alter_column(column, existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_constraint(batch_op.f("ck_facilities_repayment_method_known"), type_="check")
        batch_op.create_check_constraint(
            "repayment_method_known", _one_of("repayment_method", _METHODS)
        )
        for column, values in _KNOWN.items():
            batch_op.create_check_constraint(f"{column}_known", _one_of(column, values))
        batch_op.create_check_constraint("annual_rate_basis", _ANNUAL_RATE_HAS_A_BASIS)
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.alter_column("rounding", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint("rounding_known", _one_of("rounding", _KNOWN["rounding"]))
        batch_op.create_check_constraint("annual_rate_basis", _ANNUAL_RATE_HAS_A_BASIS)
    _foreign_keys(on=True)


def downgrade() -> None:
    # The rows' daily_rate (the annual rate over its basis, to 10^-8) is what is left of a rate
    # given per year; facilities on the two new methods cannot go back and are refused.
    _foreign_keys(on=False)
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_draws_annual_rate_basis"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_draws_rounding_known"), type_="check")
        batch_op.drop_column("rounding")
        batch_op.drop_column("rate_basis")
        batch_op.drop_column("annual_rate")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_facilities_annual_rate_basis"), type_="check")
        for column in _KNOWN:
            batch_op.drop_constraint(batch_op.f(f"ck_facilities_{column}_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_facilities_repayment_method_known"), type_="check")
        batch_op.create_check_constraint(
            "repayment_method_known", _one_of("repayment_method", _OLD_METHODS)
        )
        for column in reversed(list(_FACILITY_FILL)):
            batch_op.drop_column(column)
        batch_op.drop_column("rate_basis")
        batch_op.drop_column("annual_rate")
    _foreign_keys(on=True)
