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
    """One version of a bill as the platform shows it: due date, amount, paid or not.

    A bill is the platform's statement for one facility and due date (and reference, where the
    platform gives one). Seen again for the same amount, its row only moves `last_seen_at`; for
    another amount (a correction) a new row is the current version and this one is kept as
    history, `superseded_at` the moment it stopped being current (a removal sets it too).
    NULL in `last_seen_at`, `paid_at` or `origin_id` (rows from before revision 0012) means
    `observed_at`, "paid since first seen" and "this is the first version".
    """

    __tablename__ = "bills"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # bill_due_soon and bill_overdue read only the current unpaid versions near today.
        Index(
            "ix_bills_unpaid_due_date",
            "due_date",
            sqlite_where=text("paid = 0 AND superseded_at IS NULL"),
            postgresql_where=text("NOT paid AND superseded_at IS NULL"),
        ),
        # The checks look for a facility's bills due on a day or within a window of days
        # (jobs/checks/bills/, draw_unconfirmed): one probe of this index each (revision 0038).
        Index("ix_bills_facility_id_due_date", "facility_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by ix_bills_facility_id_due_date, which it leads.
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    due_date: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the platform was first seen showing it paid; a check run as of an earlier moment
    # sees it unpaid.
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When loanwatch recorded the paid mark (an import recorded late carries one observed
    # before): `check --at T` sees the bill paid only from then. NULL: known from `paid_at`.
    paid_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The bill's first version: what an alert about the bill is keyed on, whatever its version.
    origin_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    removal_reason: Mapped[str | None] = mapped_column(String(2000))
    # When loanwatch recorded this version (a statement imported late carries bills observed
    # days before), so that `check --at T` does not see a version recorded after T; NULL
    # (written past the ORM) is known from `observed_at`, as every row was before revision 0020.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class LimitReading(Base):
    """The limit, available amount and status a platform showed at a moment."""

    __tablename__ = "limit_readings"
    __table_args__ = (
        UniqueConstraint("facility_id", "observed_at"),
        CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (facility_id, observed_at) index serves every lookup by
    # facility, in time order (migration 0035 dropped the one on facility_id alone).
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Not constrained to be >= 0: a platform showing a negative figure is a finding, not bad input.
    limit_amount: Mapped[Decimal] = mapped_column(Money())
    available: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    # When loanwatch recorded it (a reading typed late is observed in the past), so that `check
    # --at T` does not see a reading recorded after T; NULL (written past the ORM) is known from
    # `observed_at`, as every row was before revision 0016.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


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
