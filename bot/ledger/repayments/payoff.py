"""What it takes to settle a facility on a day, and the interest accrued at a month's end (计提).

A quote is what placing the money would do (`allocation.py`), tried in a SAVEPOINT and rolled
back: the ledger as it stood on the day (repayments dated after it left out), then a repayment
large enough to settle everything on that day. So a quote and a recorded payoff of the quoted
total agree to the fen, for every method: principal outstanding, interest to the day (unpaid
installment interest, and interest accrued since the last due date), penalty on what is overdue.
"""

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.dates import check_date
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.repayments.allocation import place_repayment
from bot.ledger.repayments.replay import replay
from bot.models import Facility, Repayment

ZERO = Decimal("0.00")
# More than any facility owes: the probe repayment that settles everything.
_EVERYTHING = Decimal("99999999999.99")


@dataclass(frozen=True)
class Payoff:
    """What settles a facility on a day."""

    facility: Facility
    on: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal

    @property
    def total(self) -> Decimal:
        """Principal, interest and penalty together."""
        return self.principal + self.interest + self.penalty


def payoff_quote(
    session: Session, facility: Facility, on: date, calendar: BusinessCalendar, *, now: datetime
) -> Payoff:
    """What settles ``facility`` on ``on``; writes nothing (a savepoint rolled back)."""
    savepoint = session.begin_nested()
    try:
        later = list(
            session.scalars(
                select(Repayment).where(
                    Repayment.facility_id == facility.id, Repayment.paid_on > on
                )
            )
        )
        if later:
            for repayment in later:
                for allocation in list(repayment.allocations):
                    session.delete(allocation)
                session.delete(repayment)
            session.flush()
            replay(session, None, facility, calendar, since=on, now=now)
        probe = Repayment(
            facility_id=facility.id,
            amount=_EVERYTHING,
            paid_on=on,
            unexplained=ZERO,
            created_at=now,
            created_by="payoff quote",
        )
        session.add(probe)
        session.flush()
        place_repayment(session, facility, probe, calendar, lead_days=0)
        session.refresh(probe, ["allocations"])
        quote = Payoff(
            facility=facility,
            on=on,
            principal=sum((a.principal for a in probe.allocations), ZERO),
            interest=sum((a.interest for a in probe.allocations), ZERO),
            penalty=sum((a.penalty for a in probe.allocations), ZERO),
        )
    finally:
        savepoint.rollback()
    return quote


@dataclass(frozen=True)
class Accrual:
    """A facility's interest accrued and not yet paid at a month's end (计提)."""

    facility: Facility
    month_end: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal


def month_end(month: str) -> date:
    """The last day of ``YYYY-MM``; anything else is refused."""
    try:
        year, number = (int(part) for part in month.split("-"))
        last = months.monthrange(year, number)[1]
        return check_date(date(year, number, last), "month")
    except ValueError:
        raise InputError(
            _("{typed} is not a month; write it as YYYY-MM (2026-12)").format(typed=repr(month))
        ) from None


def accruals(
    session: Session,
    facilities: list[Facility],
    month: date,
    calendar: BusinessCalendar,
    *,
    now: datetime,
) -> list[Accrual]:
    """Per facility, what it owed at the end of ``month``'s last day (``month``)."""
    rows = []
    for facility in facilities:
        quote = payoff_quote(session, facility, month, calendar, now=now)
        rows.append(Accrual(facility, month, quote.principal, quote.interest, quote.penalty))
    return rows
