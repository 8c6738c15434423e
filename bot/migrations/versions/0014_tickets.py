"""Tickets with a platform: contacts, the ticket counter, tickets, their alerts and timeline.

New tables only; no existing row changes. The counter row is made by the first ticket
(bot.tickets.numbers), so a database emptied and refilled starts again at T-1 only if it
has no tickets.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:04:20.465457
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ticket_counter")),
    )
    op.create_table(
        "platform_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("to_addresses", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("secret_env", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("follow_up_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "language IN ('zh', 'en')", name=op.f("ck_platform_contacts_language_known")
        ),
        sa.CheckConstraint(
            "via IN ('email', 'webhook', 'manual')", name=op.f("ck_platform_contacts_via_known")
        ),
        sa.CheckConstraint(
            "follow_up_days BETWEEN 1 AND 60",
            name=op.f("ck_platform_contacts_follow_up_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_platform_contacts_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_platform_contacts_platform_id_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_contacts")),
    )
    with op.batch_alter_table("platform_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_platform_contacts_facility",
            ["facility_id"],
            unique=True,
            sqlite_where=sa.text("facility_id IS NOT NULL"),
            postgresql_where=sa.text("facility_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_platform_contacts_platform",
            ["platform_id"],
            unique=True,
            sqlite_where=sa.text("facility_id IS NULL"),
            postgresql_where=sa.text("facility_id IS NULL"),
        )

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("opener", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("follow_up_days", sa.Integer(), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("records_days", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=100), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_ups", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("thread_event_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint("language IN ('zh', 'en')", name=op.f("ck_tickets_language_known")),
        sa.CheckConstraint(
            "state IN ('open', 'waiting', 'answered', 'closed')",
            name=op.f("ck_tickets_state_known"),
        ),
        sa.CheckConstraint(
            "via IN ('email', 'webhook', 'manual')", name=op.f("ck_tickets_via_known")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_tickets_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platforms.id"], name=op.f("fk_tickets_platform_id_platforms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_facility_id"), ["facility_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_tickets_waiting_follow_up",
            ["next_follow_up_at"],
            unique=False,
            sqlite_where=sa.text("state = 'waiting'"),
            postgresql_where=sa.text("state = 'waiting'"),
        )

    op.create_table(
        "ticket_alerts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("ticket_open", sa.Boolean(), nullable=False),
        sa.Column("resolution_noted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_ticket_alerts_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_alerts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "alert_id", name=op.f("pk_ticket_alerts")),
    )
    with op.batch_alter_table("ticket_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_ticket_alerts_open_alert",
            ["alert_id"],
            unique=True,
            sqlite_where=sa.text("ticket_open"),
            postgresql_where=sa.text("ticket_open"),
        )

    op.create_table(
        "ticket_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_entries_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_entries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_ticket_entries_event_id")),
    )
    with op.batch_alter_table("ticket_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_entries_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_entries_ticket_id"))

    op.drop_table("ticket_entries")
    with op.batch_alter_table("ticket_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ticket_alerts_open_alert",
            sqlite_where=sa.text("ticket_open"),
            postgresql_where=sa.text("ticket_open"),
        )

    op.drop_table("ticket_alerts")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_tickets_waiting_follow_up",
            sqlite_where=sa.text("state = 'waiting'"),
            postgresql_where=sa.text("state = 'waiting'"),
        )
        batch_op.drop_index(batch_op.f("ix_tickets_state"))
        batch_op.drop_index(batch_op.f("ix_tickets_facility_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("platform_contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_platform_contacts_platform",
            sqlite_where=sa.text("facility_id IS NULL"),
            postgresql_where=sa.text("facility_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_platform_contacts_facility",
            sqlite_where=sa.text("facility_id IS NOT NULL"),
            postgresql_where=sa.text("facility_id IS NOT NULL"),
        )

    op.drop_table("platform_contacts")
    op.drop_table("ticket_counter")
