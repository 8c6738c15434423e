"""Escalation steps know their ladder and rung; storm alerts know the message they were told in.

- `escalation_steps.severity`: the ladder (severity) the step was run on; NULL for rows written
  before this revision.
- `escalation_steps.target`: a `group` step's user group.
- `escalation_steps.rung`: what the step did and how many times before in its round
  (`dm#0`, `here#1`, `group:S0FIN#0`): the claim's unique key is now (alert, round, rung)
  instead of the step's position, so a ladder that changed mid-round (an admin's
  `escalation set`, a warning turned critical) neither repeats a step nor skips one.
  Backfilled from the rows' action and their order in the round (an old `group` row's
  group was not kept: its rung is `group#N`).
- `escalation_steps.skipped`: a step that fell due while the alert was silenced and was
  passed over when the silence ended (only the latest due one runs).
- `alerts.told_in`: the token of the grouped (storm) message the alert was opened in; alerts
  told together escalate together, in that message's thread.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 05:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("told_in", sa.String(length=32), nullable=True))
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("severity", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("target", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rung", sa.String(length=48), nullable=True))
        batch_op.add_column(
            sa.Column("skipped", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _backfill(op.get_bind())
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.alter_column("rung", existing_type=sa.String(length=48), nullable=False)
        batch_op.drop_constraint("uq_escalation_steps_alert_id_round_step", type_="unique")
        batch_op.create_unique_constraint(
            "uq_escalation_steps_alert_id_round_rung", ["alert_id", "round", "rung"]
        )


def _backfill(bind: sa.Connection) -> None:
    """Each old row's rung: its action and how many of the same its round ran before it."""
    rows = bind.execute(
        sa.text(
            "SELECT id, alert_id, round, action FROM escalation_steps "
            "ORDER BY alert_id, round, step, id"
        )
    ).all()
    seen: dict[tuple[int, int, str], int] = defaultdict(int)
    for row in rows:
        key = (row.alert_id, row.round, row.action)
        bind.execute(
            sa.text("UPDATE escalation_steps SET rung = :rung WHERE id = :id"),
            {"rung": f"{row.action}#{seen[key]}", "id": row.id},
        )
        seen[key] += 1


def downgrade() -> None:
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.drop_constraint("uq_escalation_steps_alert_id_round_rung", type_="unique")
        batch_op.create_unique_constraint(
            "uq_escalation_steps_alert_id_round_step", ["alert_id", "round", "step"]
        )
        batch_op.drop_column("skipped")
        batch_op.drop_column("rung")
        batch_op.drop_column("target")
        batch_op.drop_column("severity")
    op.drop_column("alerts", "told_in")
