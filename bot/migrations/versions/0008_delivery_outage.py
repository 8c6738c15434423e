"""Delivery that survives outages: a random token per outbox row, dropped rows, destination health.

- `outbox.token`: with the installation's id, it tells this row's Slack posts from any other
  database's (staging beside production, a restored backup whose ids start again). Rows
  written before this migration keep none: their posts in Slack carry only the outbox id, and
  a row without a token is matched to its post by that id, as before (jobs/transports/slack.py).
- `outbox.dropped_reason`: why a row in the new state `dropped` will never be sent.
- `delivery_destinations`: per transport and channel, since when sending there has been failing
  and whether a `delivery_degraded` admin alert is open about it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("dropped_reason", sa.Text(), nullable=True))

    op.create_table(
        "delivery_destinations",
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("destination", name=op.f("pk_delivery_destinations")),
    )


def downgrade() -> None:
    op.drop_table("delivery_destinations")
    # Rows dropped on purpose must not come back to life as pending ones.
    op.execute("UPDATE outbox SET state = 'dead' WHERE state = 'dropped'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dropped_reason")
        batch_op.drop_column("token")
