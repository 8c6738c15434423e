"""On-call: rotations, overrides, escalation policies and the steps each alert ran.

- `oncall_rotations`, `oncall_overrides`, `escalation_policies`: new, empty (the default
  policies live in the code until an admin sets one).
- `escalation_steps`: one row per step an alert's ladder ran; its unique key (alert, round,
  step) is how two workers agree that a step runs once.
- `alerts.escalation_round` (0 for every existing alert) and `alerts.escalation_from` (NULL:
  the ladder is timed from the opening).
- `facilities.oncall_rotation`: the rotation's name, NULL for the default.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oncall_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("handoff", sa.String(length=32), nullable=False),
        sa.Column("handoff_time", sa.String(length=5), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("length_days", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_rotations")),
        sa.UniqueConstraint("name", name=op.f("uq_oncall_rotations_name")),
    )
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=32), nullable=False),
        sa.Column("starts_at", _TIME, nullable=False),
        sa.Column("ends_at", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["oncall_rotations.id"],
            name=op.f("fk_oncall_overrides_rotation_id_oncall_rotations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    op.create_index(
        op.f("ix_oncall_overrides_rotation_id"), "oncall_overrides", ["rotation_id"], unique=False
    )
    op.create_table(
        "escalation_policies",
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("severity", name=op.f("pk_escalation_policies")),
    )
    op.create_table(
        "escalation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=32), nullable=True),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("ran_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_escalation_steps_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_steps")),
        sa.UniqueConstraint(
            "alert_id", "round", "step", name=op.f("uq_escalation_steps_alert_id_round_step")
        ),
    )
    op.create_index(
        op.f("ix_escalation_steps_alert_id"), "escalation_steps", ["alert_id"], unique=False
    )
    # Plain ADD COLUMNs: SQLite and PostgreSQL both take them in place.
    op.add_column(
        "alerts",
        sa.Column("escalation_round", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("alerts", sa.Column("escalation_from", _TIME, nullable=True))
    op.add_column("facilities", sa.Column("oncall_rotation", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("facilities", "oncall_rotation")
    op.drop_column("alerts", "escalation_from")
    op.drop_column("alerts", "escalation_round")
    op.drop_index(op.f("ix_escalation_steps_alert_id"), table_name="escalation_steps")
    op.drop_table("escalation_steps")
    op.drop_table("escalation_policies")
    op.drop_index(op.f("ix_oncall_overrides_rotation_id"), table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
    op.drop_table("oncall_rotations")
