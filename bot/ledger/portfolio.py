"""Read-side views of the ledger: positions per facility, the installments coming up."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Draw, Facility, Installment, RepaymentAllocation

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Position:
    """Where a facility stands by the company's own ledger."""

    facility: Facility
    outstanding: Decimal

    @property
    def available(self) -> Decimal:
        """Headroom left under the facility's limit (negative when over it)."""
        return self.facility.limit_amount - self.outstanding


def positions(session: Session) -> list[Position]:
    """Every facility's outstanding principal, in three queries whatever the portfolio's size."""
    drawn: dict[int, Decimal] = {
        facility_id: total
        for facility_id, total in session.execute(
            select(Draw.facility_id, func.sum(Draw.amount)).group_by(Draw.facility_id)
        )
    }
    repaid: dict[int, Decimal] = {
        facility_id: total
        for facility_id, total in session.execute(
            select(Draw.facility_id, func.sum(RepaymentAllocation.principal))
            .join(Draw, Draw.id == RepaymentAllocation.draw_id)
            .group_by(Draw.facility_id)
        )
    }
    return [
        Position(facility, drawn.get(facility.id, ZERO) - repaid.get(facility.id, ZERO))
        for facility in session.scalars(select(Facility).order_by(Facility.slug))
    ]


@dataclass(frozen=True)
class UpcomingInstallment:
    """An unpaid installment, with the facility it belongs to."""

    facility: Facility
    installment: Installment


def upcoming_installments(
    session: Session, *, on_or_after: date, limit: int = 10
) -> list[UpcomingInstallment]:
    """The next unpaid installments across the portfolio, soonest first."""
    rows = session.execute(
        select(Installment, Facility)
        .join(Facility, Facility.id == Installment.facility_id)
        .where(Installment.status == "scheduled", Installment.due_date >= on_or_after)
        .order_by(Installment.due_date, Facility.slug, Installment.draw_id)
        .limit(limit)
    ).all()
    return [UpcomingInstallment(facility, installment) for installment, facility in rows]
