"""A facility's terms over time: each change keeps the terms it made, valid from its moment.

`facilities` holds the terms in force now, which everything but a check run "as of" an earlier
moment reads. Every write of a facility's terms (`facility add`, `facility set`, a first draw
fixing the repayment day) also keeps a :class:`FacilityTermsVersion` with the terms, the
thresholds and the active flag as they are from then on, so that `check --at T` judges T by
the version in force at T (`bot.ledger.terms_history`).
"""

from dataclasses import fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import Money, Rate, UTCDateTime
from bot.thresholds import PORTFOLIO_THRESHOLDS, Thresholds

# The checks' thresholds a facility may override: one column of `facilities` (and of a version)
# per default in bot.thresholds.Thresholds, NULL meaning that default. Whole numbers of days,
# hours or per cent, except the amount tolerance (yuan to the fen).
FACILITY_THRESHOLDS = tuple(
    threshold.name for threshold in fields(Thresholds) if threshold.name not in PORTFOLIO_THRESHOLDS
)

# The columns of `facilities` a version keeps: all that can change after `facility add` and
# that a check reads. The rest (slug, name, platform, currency, zone, alert channel, when it
# was set up) never change or are not read as of a moment. tests/ledger/test_terms_history.py
# holds this list to the facility's columns.
VERSIONED_COLUMNS = (
    "limit_amount",
    "daily_rate",
    "annual_rate",
    "rate_basis",
    "repayment_method",
    "day_count",
    "rounding",
    "first_period",
    "repayment_day",
    "repayment_day_rule",
    "holiday_rule",
    "penalty_multiplier",
    "penalty_on_interest",
    "active",
    *FACILITY_THRESHOLDS,
)


class ThresholdColumns:
    """The columns of FACILITY_THRESHOLDS, declared once for `facilities` and its versions: a
    facility's own thresholds for the checks, NULL meaning the default from settings."""

    bill_lead_days: Mapped[int | None] = mapped_column(Integer)
    bill_grace_hours: Mapped[int | None] = mapped_column(Integer)
    bill_match_window_days: Mapped[int | None] = mapped_column(Integer)
    bill_critical_days: Mapped[int | None] = mapped_column(Integer)
    amount_tolerance: Mapped[Decimal | None] = mapped_column(Money())
    due_soon_days: Mapped[int | None] = mapped_column(Integer)
    limit_drop_percent: Mapped[int | None] = mapped_column(Integer)
    restore_lag_hours: Mapped[int | None] = mapped_column(Integer)
    stale_after_hours: Mapped[int | None] = mapped_column(Integer)
    confirm_window_hours: Mapped[int | None] = mapped_column(Integer)
    utilization_percent: Mapped[int | None] = mapped_column(Integer)


class FacilityTermsVersion(ThresholdColumns, Base):
    """A facility's terms, thresholds and active flag from `valid_from` until the next version."""

    __tablename__ = "facility_terms"
    __table_args__ = (
        # The version in force at T: one backward probe per facility.
        Index("ix_facility_terms_facility_id_valid_from", "facility_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    # When the change was recorded; a check as of an earlier moment reads the version before.
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    limit_amount: Mapped[Decimal] = mapped_column(Money())
    daily_rate: Mapped[Decimal] = mapped_column(Rate())
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate())
    rate_basis: Mapped[int | None] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(32))
    day_count: Mapped[str] = mapped_column(String(8))
    rounding: Mapped[str] = mapped_column(String(16))
    first_period: Mapped[str] = mapped_column(String(16))
    repayment_day: Mapped[int | None] = mapped_column(Integer)
    repayment_day_rule: Mapped[str] = mapped_column(String(16))
    holiday_rule: Mapped[str] = mapped_column(String(16))
    penalty_multiplier: Mapped[Decimal] = mapped_column(Rate())
    penalty_on_interest: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
