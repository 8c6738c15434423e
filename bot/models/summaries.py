"""Summaries the checks read instead of the whole history: kept in step with every write.

A check cycle must not re-read years of limit readings, bills and installments to find the few
facilities with something wrong. Two small tables hold what it needs, and the ORM keeps them up
to date: whenever a flush writes a facility, a draw, an installment, a repayment allocation, a
bill or a limit reading, the summaries those rows feed are recomputed from the base tables in
the same transaction (see :mod:`bot.ledger.summaries`, which registers the hook).

- :class:`FacilitySummary`: per facility, the latest two limit readings, the outstanding
  principal (drawn − principal repaid) and when its latest draw or repayment was logged, and
  the facility's limit and whether it sets its own limit-check thresholds.
- :class:`BillDay`: per facility and date, what the ledger expects that day (installments that
  are not superseded and not 0.00) against what the platform billed for that day.

They are derived data: `rebuild_summaries` recomputes them from scratch, and nothing reads
them for anything a person sees.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import Money, UTCDateTime


class FacilitySummary(Base):
    """A facility's latest limit readings and outstanding principal, as of the last write."""

    __tablename__ = "facility_summaries"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    # The newest reading (all NULL when there is none) and the one before it.
    reading_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reading_limit: Mapped[Decimal | None] = mapped_column(Money())
    reading_available: Mapped[Decimal | None] = mapped_column(Money())
    reading_status: Mapped[str | None] = mapped_column(String(16))
    previous_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    previous_limit: Mapped[Decimal | None] = mapped_column(Money())
    outstanding: Mapped[Decimal] = mapped_column(Money())
    # The facility's own limit, and whether it sets any threshold the limit checks read (drop
    # percent, tolerance, utilization, freshness, restore lag): copied so that the checks can
    # narrow the summaries before joining any facility.
    facility_limit: Mapped[Decimal] = mapped_column(Money())
    own_thresholds: Mapped[bool] = mapped_column(Boolean)
    # When the latest draw or repayment behind `outstanding` was logged: a check run as of an
    # earlier moment reads the ledger itself instead.
    ledger_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class BillDay(Base):
    """One facility's day: installments due that day against the bills due that day.

    A row exists while the day has an installment that expects a bill or a bill. `open` counts
    the day's installments still scheduled; `bills` counts every version of the day's bills
    (history included), `billed` sums the current ones; `billed_seen_at` is the day's latest
    change to its bills (a version seen, corrected or removed), so a check run "as of" an
    earlier moment knows this row is ahead of it.
    """

    __tablename__ = "bill_days"
    __table_args__ = (
        # Days whose bills do not add up to the ledger to the fen: bill_amount_mismatch's and
        # bill_missing's candidates with a bill on the day itself.
        Index(
            "ix_bill_days_unbalanced",
            "facility_id",
            "day",
            sqlite_where=text("installments > 0 AND bills > 0 AND billed != expected"),
            postgresql_where=text("installments > 0 AND bills > 0 AND billed != expected"),
        ),
        # Days with installments and no bill, by date: bill_missing's candidates. Unpaid ones
        # however old, and (second index) paid ones of the last few days.
        Index(
            "ix_bill_days_unbilled_open",
            "day",
            sqlite_where=text("installments > 0 AND bills = 0 AND open > 0"),
            postgresql_where=text("installments > 0 AND bills = 0 AND open > 0"),
        ),
        Index(
            "ix_bill_days_unbilled",
            "day",
            sqlite_where=text("installments > 0 AND bills = 0"),
            postgresql_where=text("installments > 0 AND bills = 0"),
        ),
        # Days with a bill and no installment: bill_unexpected's candidates, and the bills that
        # may match a neighbouring day's installments.
        Index(
            "ix_bill_days_orphaned",
            "facility_id",
            "day",
            sqlite_where=text("installments = 0 AND bills > 0"),
            postgresql_where=text("installments = 0 AND bills > 0"),
        ),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    installments: Mapped[int] = mapped_column(Integer)
    open: Mapped[int] = mapped_column(Integer)
    expected: Mapped[Decimal] = mapped_column(Money())
    bills: Mapped[int] = mapped_column(Integer)
    billed: Mapped[Decimal] = mapped_column(Money())
    billed_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
