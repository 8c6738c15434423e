"""Where each ticket's Slack message is, so its changes update it in place.

- `tickets.message_ref`: "CHANNEL_ID:TS" of the ticket's message in Slack (in its alert's
  thread, or in the facility's channel), kept by the delivery worker when the first notice
  about the ticket is posted, like `alerts.message_ref`. NULL until then, and for tickets only
  ever told on the console.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite and PostgreSQL both take it in place.
    op.add_column("tickets", sa.Column("message_ref", sa.String(100), nullable=True))


def downgrade() -> None:
    # SQLite drops a column in place since 3.35.
    op.drop_column("tickets", "message_ref")
