"""Read-side views of the ledger: positions per facility, the installments coming up."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from bot.models import Draw, Facility, Installment, InstallmentStatus, RepaymentAllocation

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


def drawn_and_repaid() -> tuple[Subquery, Subquery]:
    """Two grouped subqueries per facility: principal drawn, and principal repaid (the ledger).

    Outstanding principal is drawn − repaid; facilities with no draw or no repayment have no
    row in one of them, so join them outer and read a missing amount as zero.
    """
    drawn = (
        select(Draw.facility_id.label("facility_id"), func.sum(Draw.amount).label("amount"))
        .group_by(Draw.facility_id)
        .subquery("drawn")
    )
    repaid = (
        select(
            Draw.facility_id.label("facility_id"),
            func.sum(RepaymentAllocation.principal).label("amount"),
        )
        .join(Draw, Draw.id == RepaymentAllocation.draw_id)
        .group_by(Draw.facility_id)
        .subquery("repaid")
    )
    return drawn, repaid


def positions(session: Session) -> list[Position]:
    """Every facility's outstanding principal, in one query whatever the portfolio's size."""
    drawn, repaid = drawn_and_repaid()
    rows = session.execute(
        select(Facility, drawn.c.amount, repaid.c.amount)
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        .order_by(Facility.slug)
    )
    return [
        Position(facility, (drawn_amount or ZERO) - (repaid_amount or ZERO))
        for facility, drawn_amount, repaid_amount in rows
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
        .where(
            Installment.status == InstallmentStatus.SCHEDULED, Installment.due_date >= on_or_after
        )
        .order_by(Installment.due_date, Facility.slug, Installment.draw_id)
        .limit(limit)
    ).all()
    return [UpcomingInstallment(facility, installment) for installment, facility in rows]
