"""What the platforms show: bills, limit readings, and money they paid out (draw confirmations)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import Money, UTCDateTime


class Bill(Base):
    """A bill as the platform shows it: due date, amount, paid or not."""

    __tablename__ = "bills"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # The same bill seen again updates this row instead of adding a second one.
        UniqueConstraint("facility_id", "due_date", "amount"),
        # bill_due_soon and bill_overdue read only unpaid bills near today.
        Index(
            "ix_bills_unpaid_due_date",
            "due_date",
            sqlite_where=text("paid = 0"),
            postgresql_where=text("NOT paid"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))


class LimitReading(Base):
    """The limit, available amount and status a platform showed at a moment."""

    __tablename__ = "limit_readings"
    __table_args__ = (
        UniqueConstraint("facility_id", "observed_at"),
        CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Not constrained to be >= 0: a platform showing a negative figure is a finding, not bad input.
    limit_amount: Mapped[Decimal] = mapped_column(Money())
    available: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))


class DrawConfirmation(Base):
    """Money a platform paid out (seen in a statement); it confirms the draw it matches."""

    __tablename__ = "draw_confirmations"
    __table_args__ = (UniqueConstraint("facility_id", "external_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    amount: Mapped[Decimal] = mapped_column(Money())
    external_ref: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(500))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"), index=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
