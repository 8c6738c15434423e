"""Read-side views of the ledger: positions per facility, the installments coming up.

Each view comes two ways from one statement: with ORM objects, for the CLI that shows a
facility's every term, and as plain values (`…_lines`), for the screens read on every request
(`/loan status`, App Home: bot.dashboard), where building ORM objects was most of the cost.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    Subquery,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from bot.db import among
from bot.ledger.allocations import allocations_at
from bot.ledger.limits import expected_available, utilization_limit
from bot.models import (
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    LimitReading,
    RepaymentAllocation,
)
from bot.models.types import Money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Position:
    """Where a facility stands by the company's own ledger."""

    facility: Facility
    outstanding: Decimal
    # The limit the platform showed last (None without a reading).
    shown_limit: Decimal | None = None

    @property
    def limit(self) -> Decimal:
        """The limit the line is measured against: the lower of the configured and the shown
        (`bot.ledger.limits.utilization_limit`, the checks' rule)."""
        return utilization_limit(self.facility.limit_amount, self.shown_limit)

    @property
    def cut_to(self) -> Decimal | None:
        """The limit the platform shows, when it is below the configured one (a cut line)."""
        return self.limit if self.limit < self.facility.limit_amount else None

    @property
    def available(self) -> Decimal:
        """Headroom left under :attr:`limit`, never below zero."""
        return expected_available(self.limit, self.outstanding)


def drawn_and_repaid(
    facility_ids: Sequence[int] | None = None,
    *,
    as_of: datetime | None = None,
    bind: Session | Connection | None = None,
) -> tuple[Subquery, Subquery]:
    """Two grouped subqueries per facility: principal drawn, and principal repaid (the ledger).

    Join them outer to the facilities and read what is outstanding with :func:`outstanding_from`
    (a facility with no draw or no repayment has no row in one of them). `facility_ids` keeps
    only those facilities' rows, for a reader of a few among many; `as_of` only the draws logged
    by then and the allocations in force then (a check run as of an earlier moment). With
    `bind`, the ids are bound as `bot.db.among` binds them (one array on PostgreSQL) rather
    than a parameter each, for a list of hundreds.
    """
    drawn = select(
        Draw.facility_id.label("facility_id"), func.sum(Draw.amount).label("amount")
    ).group_by(Draw.facility_id)
    # As of a moment: the allocations in force then (a replay since may have placed the money
    # otherwise, a removed repayment still counted), of draws logged by then.
    held: Any = RepaymentAllocation if as_of is None else allocations_at(as_of).c
    repaid = (
        select(
            Draw.facility_id.label("facility_id"),
            func.sum(held.principal).label("amount"),
        )
        .join(Draw, Draw.id == held.draw_id)
        .group_by(Draw.facility_id)
    )
    if facility_ids is not None:
        drawn = drawn.where(_among(bind, Draw.facility_id, facility_ids))
        repaid = repaid.where(_among(bind, Draw.facility_id, facility_ids))
    if as_of is not None:
        drawn = drawn.where(Draw.created_at <= as_of)
        repaid = repaid.where(Draw.created_at <= as_of)
    return drawn.subquery("drawn"), repaid.subquery("repaid")


def _among(
    bind: Session | Connection | None, column: Any, ids: Sequence[int]
) -> ColumnElement[bool]:
    return column.in_(ids) if bind is None else among(bind, column, ids)


def outstanding_from(drawn: Subquery, repaid: Subquery) -> ColumnElement[Decimal]:
    """Outstanding principal, drawn − repaid, from :func:`drawn_and_repaid` joined outer.

    The one way the ledger's outstanding principal is computed: a missing side is zero, the
    arithmetic is in integer fen (as the amounts are stored), and the result is money.
    """
    in_fen = func.coalesce(type_coerce(drawn.c.amount, BigInteger), 0) - func.coalesce(
        type_coerce(repaid.c.amount, BigInteger), 0
    )
    return type_coerce(in_fen, Money())


def _with_outstanding(*shown: Any) -> Select[Any]:
    """`shown` (the facility, or some of its columns), then its outstanding principal, by slug."""
    drawn, repaid = drawn_and_repaid()
    return (
        select(*shown, outstanding_from(drawn, repaid))
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        .order_by(Facility.slug)
    )


def positions(session: Session) -> list[Position]:
    """Every facility's outstanding principal and the limit its platform showed last, in one
    query whatever the portfolio's size."""
    rows = session.execute(_with_outstanding(Facility).add_columns(_shown_limit()))
    return [Position(facility, outstanding, shown) for facility, outstanding, shown in rows]


@dataclass(frozen=True)
class PositionLine:
    """Where a facility stands, as plain values: its configured limit, the limit its platform
    showed last (None without a reading) and its outstanding principal."""

    id: int
    slug: str
    name: str
    currency: str
    limit_amount: Decimal
    outstanding: Decimal
    shown_limit: Decimal | None = None

    @property
    def limit(self) -> Decimal:
        """The limit the line is measured against: the lower of the configured and the shown
        (`bot.ledger.limits.utilization_limit`, the checks' rule)."""
        return utilization_limit(self.limit_amount, self.shown_limit)

    @property
    def available(self) -> Decimal:
        """Headroom left under :attr:`limit`, never below zero."""
        return expected_available(self.limit, self.outstanding)


def _shown_limit() -> Any:
    """The limit of the facility's latest reading (correlated to `Facility`; NULL without one)."""
    return (
        select(LimitReading.limit_amount)
        .where(LimitReading.facility_id == Facility.id)
        .order_by(LimitReading.observed_at.desc(), LimitReading.id.desc())
        .limit(1)
        .correlate(Facility)
        .scalar_subquery()
    )


def position_lines(session: Session, *, facility_id: int | None = None) -> list[PositionLine]:
    """:func:`positions` as plain values, for every facility or one, with the latest shown limit."""
    query = _with_outstanding(
        Facility.id, Facility.slug, Facility.name, Facility.currency, Facility.limit_amount
    ).add_columns(_shown_limit())
    if facility_id is not None:
        query = query.where(Facility.id == facility_id)
    return [
        PositionLine(id_, slug, name, currency, limit, outstanding, shown)
        for id_, slug, name, currency, limit, outstanding, shown in session.execute(query)
    ]


@dataclass(frozen=True)
class UpcomingInstallment:
    """An unpaid installment, with the facility it belongs to."""

    facility: Facility
    installment: Installment


def _upcoming(*shown: Any, on_or_after: date) -> Select[Any]:
    """`shown` (installment and facility, or columns of them) for unpaid installments due on or
    after a day, soonest first."""
    return (
        select(*shown)
        .join(Facility, Facility.id == Installment.facility_id)
        .where(
            Installment.status == InstallmentStatus.SCHEDULED, Installment.due_date >= on_or_after
        )
        .order_by(Installment.due_date, Facility.slug, Installment.draw_id)
    )


def upcoming_installments(
    session: Session, *, on_or_after: date, limit: int = 10
) -> list[UpcomingInstallment]:
    """The next unpaid installments across the portfolio, soonest first."""
    rows = session.execute(
        _upcoming(Installment, Facility, on_or_after=on_or_after).limit(limit)
    ).all()
    return [UpcomingInstallment(facility, installment) for installment, facility in rows]


@dataclass(frozen=True)
class UpcomingLine:
    """An unpaid installment coming up, as plain values."""

    due_date: date
    slug: str
    currency: str
    amount: Decimal


def upcoming_lines(
    session: Session,
    *,
    on_or_after: date,
    before: date,
    facility_id: int | None = None,
    limit: int | None = 10,
) -> list[UpcomingLine]:
    """:func:`upcoming_installments` due before `before`, as plain values (of one facility, or
    across the portfolio); `limit` None for every one (the daily digest counts them all)."""
    query = _upcoming(
        Installment.due_date,
        Facility.slug,
        Facility.currency,
        Installment.amount,
        on_or_after=on_or_after,
    ).where(Installment.due_date < before)
    if facility_id is not None:
        query = query.where(Installment.facility_id == facility_id)
    return [UpcomingLine(*row) for row in session.execute(query.limit(limit))]
