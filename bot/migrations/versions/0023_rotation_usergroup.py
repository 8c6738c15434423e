"""On-call: a rotation may keep a Slack user group in step with whoever is on call.

- `oncall_rotations.usergroup`: the group's id (S…), NULL for none (every existing rotation).
- `oncall_rotations.usergroup_user`: whom the group was last set to, NULL until the first sync.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oncall_rotations") as batch:
        batch.add_column(sa.Column("usergroup", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("usergroup_user", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oncall_rotations") as batch:
        batch.drop_column("usergroup_user")
        batch.drop_column("usergroup")
