"""The company's own ledger: platforms, facilities, draws, installments, repayments."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base
from bot.models.terms import ThresholdColumns
from bot.models.types import Money, Rate, UTCDateTime


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK that `column` holds one of `values`."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


# The values the schedule's terms are stored as (bot.ledger.schedule.conventions names each; the
# models do not import the ledger, so tests/ledger/test_facility_terms.py ties the two).
REPAYMENT_METHODS = (
    "equal-installment",
    "equal-principal",
    "interest-first",
    "bullet",
    "quarterly-interest",
)
ROUNDINGS = ("half-up", "down")
FIRST_PERIODS = ("next-month", "skip-short")
REPAYMENT_DAY_RULES = ("draw-day", "first-draw")
HOLIDAY_RULES = ("none", "following")
# An annual rate comes with the days of its year; a daily rate has neither.
_ANNUAL_RATE_HAS_A_BASIS = (
    "(annual_rate IS NULL AND rate_basis IS NULL) OR "
    "(annual_rate IS NOT NULL AND rate_basis IS NOT NULL "
    "AND annual_rate >= 0 AND rate_basis IN (360, 365))"
)


class InstallmentStatus(StrEnum):
    """Where an installment stands; the checks and the ledger's reads go by it."""

    SCHEDULED = "scheduled"  # not paid yet: expected on its due date
    PAID = "paid"
    # Replaced: an early repayment wrote the rest of the schedule again with the next revision.
    SUPERSEDED = "superseded"


class Platform(Base):
    """A lender (jiebei, weilidai, icbc…), with the contact details tickets will use."""

    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    facilities: Mapped[list["Facility"]] = relationship(back_populates="platform")


class Facility(ThresholdColumns, Base):
    """One credit line or loan at a platform, with the terms its schedules follow."""

    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint("limit_amount >= 0", name="limit_not_negative"),
        CheckConstraint("daily_rate >= 0", name="rate_not_negative"),
        CheckConstraint(
            "repayment_day IS NULL OR (repayment_day BETWEEN 1 AND 31)", name="repayment_day_range"
        ),
        CheckConstraint(
            _one_of("repayment_method", REPAYMENT_METHODS), name="repayment_method_known"
        ),
        CheckConstraint("day_count IN ('30', 'actual')", name="day_count_known"),
        CheckConstraint(_one_of("rounding", ROUNDINGS), name="rounding_known"),
        CheckConstraint(_one_of("first_period", FIRST_PERIODS), name="first_period_known"),
        CheckConstraint(
            _one_of("repayment_day_rule", REPAYMENT_DAY_RULES), name="repayment_day_rule_known"
        ),
        CheckConstraint(_one_of("holiday_rule", HOLIDAY_RULES), name="holiday_rule_known"),
        CheckConstraint(_ANNUAL_RATE_HAS_A_BASIS, name="annual_rate_basis"),
        CheckConstraint("penalty_multiplier >= 0", name="penalty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    limit_amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    # The rate per day. With an annual rate it is annual_rate / rate_basis to 10^-8, for
    # people to read; the schedules use the annual rate itself (bot.ledger.terms.rate_of).
    daily_rate: Mapped[Decimal] = mapped_column(Rate())
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate())
    rate_basis: Mapped[int | None] = mapped_column(Integer)  # 360 or 365 days a year
    repayment_method: Mapped[str] = mapped_column(String(32))
    day_count: Mapped[str] = mapped_column(String(8))
    # A row written without these terms behaves as every row did before migration 0010.
    rounding: Mapped[str] = mapped_column(String(16), default="half-up")
    first_period: Mapped[str] = mapped_column(String(16), default="next-month")
    repayment_day: Mapped[int | None] = mapped_column(Integer)
    # With `first-draw`, the first draw sets repayment_day when the facility has none.
    repayment_day_rule: Mapped[str] = mapped_column(String(16), default="draw-day")
    holiday_rule: Mapped[str] = mapped_column(String(16), default="none")
    # Penalty interest (罚息) per day: this multiple of the rate on the overdue principal, and on
    # the overdue interest too when penalty_on_interest. A row written without them (and every
    # facility from before migration 0011) charges none, as loanwatch did before.
    penalty_multiplier: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(0))
    penalty_on_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_channel: Mapped[str | None] = mapped_column(String(64))
    # The language of this facility's channel messages (en, zh-CN); None: its channel's, else
    # LOANWATCH_LANGUAGE (bot.languages).
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    # The on-call rotation (its name) whose people this facility's alerts escalate to; None:
    # LOANWATCH_DEFAULT_ROTATION.
    oncall_rotation: Mapped[str | None] = mapped_column(String(64))
    # Reading requests (bot.ledger.reading_requests): the person (U…) asked for what the
    # platform shows, and when ("workdays 10:00", bot.ledger.reading_schedule), from
    # `readings_since` on (no slot before the schedule was set is asked). NULL: nobody asked.
    reading_owner: Mapped[str | None] = mapped_column(String(32))
    readings: Mapped[str | None] = mapped_column(String(64))
    readings_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    platform: Mapped[Platform] = relationship(back_populates="facilities")
    draws: Mapped[list["Draw"]] = relationship(back_populates="facility", order_by="Draw.id")


class Draw(Base):
    """Money taken from a facility on a day; its terms are frozen at the time of the draw."""

    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("months BETWEEN 1 AND 360", name="months_range"),
        CheckConstraint(_one_of("rounding", ROUNDINGS), name="rounding_known"),
        CheckConstraint(_ANNUAL_RATE_HAS_A_BASIS, name="annual_rate_basis"),
        # draw_unconfirmed reads only the draws nothing has confirmed yet.
        Index(
            "ix_draws_unconfirmed",
            "created_at",
            sqlite_where=text("confirmed_at IS NULL"),
            postgresql_where=text("confirmed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    drawn_on: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(32))
    day_count: Mapped[str] = mapped_column(String(8))
    daily_rate: Mapped[Decimal] = mapped_column(Rate())
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate())
    rate_basis: Mapped[int | None] = mapped_column(Integer)
    rounding: Mapped[str] = mapped_column(String(16), default="half-up")
    repayment_day: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When loanwatch learned of the confirmation (NULL: before revision 0013, known all along),
    # so that `check --at T` does not see a confirmation recorded after T.
    confirmed_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))

    facility: Mapped[Facility] = relationship(back_populates="draws")
    installments: Mapped[list["Installment"]] = relationship(
        back_populates="draw", order_by="(Installment.revision, Installment.seq)"
    )


class Installment(Base):
    """One expected repayment of a draw.

    An early repayment does not edit installments: it marks the unpaid ones `superseded` and
    writes the regenerated rest of the schedule with the next `revision`. Each row is in force
    from `recorded_at` (NULL: from when its draw was logged) until `superseded_at` (NULL: still
    in force), so `check --at T` reads the schedule of T (`bot.ledger.installments_at`). A
    replay that writes a place (draw, revision, seq) otherwise, or no longer writes it, keeps
    the row it replaces as an earlier `version` (1, 2, … in the order kept; the ledger's own
    row is version 0), superseded at the replay's time.
    """

    __tablename__ = "installments"
    __table_args__ = (
        UniqueConstraint("draw_id", "revision", "seq", "version"),
        # Matching installments to bills by facility and due date (jobs/checks/bills/) merges
        # this with the bills' (facility_id, due_date) index instead of sorting.
        Index("ix_installments_facility_id_due_date", "facility_id", "due_date"),
        CheckConstraint("principal >= 0 AND interest >= 0", name="amounts_not_negative"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in InstallmentStatus) + ")",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    # Indexed by ix_installments_facility_id_due_date, which it leads.
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    seq: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16), default=InstallmentStatus.SCHEDULED.value)
    paid_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # 0: the ledger's row at its place; 1, 2…: earlier versions a replay replaced (always
    # superseded), which only `check --at` an earlier moment reads.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    draw: Mapped[Draw] = relationship(back_populates="installments")


class Repayment(Base):
    """Money paid back to a facility on a day, as the company recorded or imported it.

    The ledger records what the platform collected: an amount it cannot place on the loans
    (a fee, a penalty above the one it computes, more than the payoff) is kept in `unexplained`
    and raises a `repayment_mismatch` alert until someone accepts it with a reason.
    """

    __tablename__ = "repayments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(penalty_given IS NULL OR penalty_given >= 0) AND (fee IS NULL OR fee >= 0)",
            name="itemised_not_negative",
        ),
        UniqueConstraint("facility_id", "external_ref"),
        # repayment_mismatch reads only the repayments with money the ledger could not place.
        Index(
            "ix_repayments_unexplained",
            "facility_id",
            sqlite_where=text("unexplained <> 0"),
            postgresql_where=text("unexplained <> 0"),
        ),
        # A removed repayment's id is never given to another (SQLite reuses the highest rowid
        # without it): audit records and alert subjects name repayments by id (revision 0018).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date)
    # An import's idempotency key (the Alipay order number); NULL for typed-in repayments.
    external_ref: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    # What the platform itemised (`repay add --penalty X --fee Y`); NULL when it did not say.
    penalty_given: Mapped[Decimal | None] = mapped_column(Money())
    fee: Mapped[Decimal | None] = mapped_column(Money())
    # The facility's penalty rule when the repayment was recorded, which a replay keeps; NULL
    # (repayments from before migration 0015, the payoff quote's probe) = the current rule.
    penalty_multiplier: Mapped[Decimal | None] = mapped_column(Rate())
    penalty_on_interest: Mapped[bool | None] = mapped_column(Boolean)
    # Money the ledger could not place on the loans; kept whenever the allocation is replayed.
    unexplained: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # `repay accept`: someone looked at the unexplained amount and accepted it, saying why.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    accept_reason: Mapped[str | None] = mapped_column(Text)
    # When a replay left another amount unexplained than the one accepted: the acceptance
    # (kept above, for `check --at` an earlier moment) no longer holds. NULL while it does.
    acceptance_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))

    allocations: Mapped[list["RepaymentAllocation"]] = relationship(back_populates="repayment")


class RepaymentAllocation(Base):
    """How much of one repayment went to one draw's principal, interest and penalty."""

    __tablename__ = "repayment_allocations"
    __table_args__ = (
        CheckConstraint("principal >= 0 AND interest >= 0", name="amounts_not_negative"),
        CheckConstraint("penalty >= 0", name="penalty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    repayment_id: Mapped[int] = mapped_column(ForeignKey("repayments.id"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    # The installment it settled; NULL for a prepayment that regenerated the schedule. Indexed:
    # the bill checks read the payments of a few installments (revision 0038).
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installments.id"), index=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    # Penalty interest (罚息) on the installment, paid by this repayment; it never changes
    # the schedule.
    penalty: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # Since when the ledger has placed the money this way: when the repayment was recorded, or
    # when a replay placed it otherwise (one that places it the same way keeps the time). NULL
    # (a row written past the ORM): since the repayment was recorded.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    repayment: Mapped[Repayment] = relationship(back_populates="allocations")


class AllocationHistory(Base):
    """An allocation the ledger held from `recorded_at` until `superseded_at`.

    A replay (a backdated or removed repayment, a new holiday rule) that places a repayment's
    money otherwise, and removing a repayment, keep the allocations they replace here, so that
    `check --at T` reads the allocations in force at T (`bot.ledger.allocations`). The rows
    name what they named then: the repayment may since have been removed and a regenerated
    installment written again, so the installment is also named by its draw, revision and seq.
    """

    __tablename__ = "allocation_history"
    __table_args__ = (
        # An as-of read: "did anything change after T?" (one probe) and the rows in force at T.
        Index("ix_allocation_history_superseded_at", "superseded_at"),
        Index(
            "ix_allocation_history_installment",
            "draw_id",
            "installment_revision",
            "installment_seq",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    repayment_id: Mapped[int] = mapped_column(Integer)  # no foreign key: it may be removed
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    installment_id: Mapped[int | None] = mapped_column(Integer)
    installment_revision: Mapped[int | None] = mapped_column(Integer)
    installment_seq: Mapped[int | None] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    penalty: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime())
