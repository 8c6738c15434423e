"""Reading requests: a facility's owner and reading schedule, and the requests sent to them.

- `facilities.reading_owner` (a Slack user id), `facilities.readings` ("workdays 10:00", as
  `bot.ledger.reading_schedule` stores it) and `facilities.readings_since` (when the schedule
  was set; no earlier slot is asked). NULL on every facility: nobody is asked until an admin
  sets `facility set FAC --owner U… --readings …`.
- `reading_requests`: one row per (facility, slot), the claim that makes a request go once
  across workers, with its answer.

Plain ADD COLUMNs and a new table.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("facilities", sa.Column("reading_owner", sa.String(length=32), nullable=True))
    op.add_column("facilities", sa.Column("readings", sa.String(length=64), nullable=True))
    op.add_column("facilities", sa.Column("readings_since", _TIME, nullable=True))
    op.create_table(
        "reading_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("slot", _TIME, nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("reading_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_reading_requests_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["limit_readings.id"],
            name=op.f("fk_reading_requests_reading_id_limit_readings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_requests")),
        sa.UniqueConstraint(
            "facility_id", "slot", name=op.f("uq_reading_requests_facility_id_slot")
        ),
    )
    op.create_index(op.f("ix_reading_requests_facility_id"), "reading_requests", ["facility_id"])
    op.create_index(op.f("ix_reading_requests_state"), "reading_requests", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reading_requests_state"), table_name="reading_requests")
    op.drop_index(op.f("ix_reading_requests_facility_id"), table_name="reading_requests")
    op.drop_table("reading_requests")
    # Plain DROP COLUMNs (SQLite 3.35+ drops a column in place; a batch copy of `facilities`
    # would fail on the tables that refer to it), as 0019 drops `oncall_rotation`.
    op.drop_column("facilities", "readings_since")
    op.drop_column("facilities", "readings")
    op.drop_column("facilities", "reading_owner")
