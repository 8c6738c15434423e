"""Tickets with a platform: the case, its timeline, its linked alerts, and whom to contact."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime

# The values stored; bot.tickets names each (tests/tickets/test_model.py ties the two).
TICKET_STATES = ("open", "waiting", "answered", "closed")
CONTACT_VIAS = ("email", "webhook", "manual")
LANGUAGES = ("zh", "en")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class PlatformContact(Base):
    """How a platform is reached about tickets: for all its facilities, or one (an override)."""

    __tablename__ = "platform_contacts"
    __table_args__ = (
        CheckConstraint(_one_of("via", CONTACT_VIAS), name="via_known"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language_known"),
        CheckConstraint("follow_up_days BETWEEN 1 AND 60", name="follow_up_days_range"),
        # One contact per platform, and one override per facility.
        Index(
            "uq_platform_contacts_platform",
            "platform_id",
            unique=True,
            sqlite_where=text("facility_id IS NULL"),
            postgresql_where=text("facility_id IS NULL"),
        ),
        Index(
            "uq_platform_contacts_facility",
            "facility_id",
            unique=True,
            sqlite_where=text("facility_id IS NOT NULL"),
            postgresql_where=text("facility_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    via: Mapped[str] = mapped_column(String(16))
    # Email addresses, comma-separated (email only).
    to_addresses: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)  # webhook only
    # The name of the environment variable holding the webhook's signing secret, never the secret.
    secret_env: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(2))
    follow_up_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class TicketCounter(Base):
    """The last number given to a ticket: bumped by one UPDATE, so no number is given twice."""

    __tablename__ = "ticket_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    """A follow-up case with a platform: T-<number>, from open to closed (and reopened)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_one_of("state", TICKET_STATES), name="state_known"),
        CheckConstraint(_one_of("via", CONTACT_VIAS), name="via_known"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language_known"),
        # The follow-up wake-ups read only the tickets waiting on the platform.
        Index(
            "ix_tickets_waiting_follow_up",
            "next_follow_up_at",
            sqlite_where=text("state = 'waiting'"),
            postgresql_where=text("state = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    opener: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The contact as it was when the ticket opened: later edits of the contact do not move it.
    via: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    follow_up_days: Mapped[int] = mapped_column(Integer)
    contact: Mapped[dict[str, Any]] = mapped_column(JSON)
    records_days: Mapped[int] = mapped_column(Integer)
    case_ref: Mapped[str | None] = mapped_column(String(100))  # the platform's 工单号
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Follow-ups sent since the platform last answered; three unanswered make it overdue.
    follow_ups: Mapped[int] = mapped_column(Integer, default=0)
    resolution: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The event id of the first message to the platform: follow-ups thread under it.
    thread_event_id: Mapped[str | None] = mapped_column(String(32))
    # The ticket's own Slack message ("CHANNEL_ID:TS"), once the worker has posted it.
    message_ref: Mapped[str | None] = mapped_column(String(100))


class TicketAlert(Base):
    """An alert linked to a ticket; `ticket_open` mirrors the ticket, so that an alert links to
    at most one open ticket (a partial unique index) while closed tickets keep their links."""

    __tablename__ = "ticket_alerts"
    __table_args__ = (
        Index(
            "uq_ticket_alerts_open_alert",
            "alert_id",
            unique=True,
            sqlite_where=text("ticket_open"),
            postgresql_where=text("ticket_open"),
        ),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    ticket_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the ticket's timeline said the alert resolved (None: not resolved, or not said yet).
    resolution_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketEntry(Base):
    """One line of a ticket's timeline. `event_id` names it to the platform (an email's
    Message-ID, a webhook's Idempotency-Key), so a retry sends the same name again."""

    __tablename__ = "ticket_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
