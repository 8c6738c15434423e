"""Each repayment keeps the penalty rule in force when it was recorded.

- `repayments.penalty_multiplier`, `penalty_on_interest`: the facility's penalty rule when the
  repayment was recorded, so a replay (after a backdated entry or a removal) places it with its
  own rule and a later `facility set --penalty-rate` applies only to repayments recorded after
  it. NULL for every repayment from before this revision: those follow the facility's current
  rule, as they did before.

Plain ADD COLUMN of nullable columns (no batch rebuild on SQLite): no existing row changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("repayments", sa.Column("penalty_multiplier", sa.BigInteger(), nullable=True))
    op.add_column("repayments", sa.Column("penalty_on_interest", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # Going down forgets each repayment's rule: they follow the facility's current rule again.
    op.drop_column("repayments", "penalty_on_interest")
    op.drop_column("repayments", "penalty_multiplier")
