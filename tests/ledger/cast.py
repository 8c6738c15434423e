"""The test cast's facilities: set up the way the finance team would, through the domain."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Draw, Facility


def jiebei_line(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    slug: str = "jiebei-main",
    limit: str = "200000.00",
    daily_rate: str = "0.0004",
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    day_count: DayCount = DayCount.THIRTY,
    repayment_day: int | None = None,
) -> Facility:
    """A Jiebei line at 0.04 %/day, equal installment, day count 30, unless told otherwise."""
    return add_facility(
        session,
        actor,
        FacilityTerms(
            slug=slug,
            platform="jiebei",
            limit_amount=Decimal(limit),
            daily_rate=Decimal(daily_rate),
            repayment_method=method,
            day_count=day_count,
            repayment_day=repayment_day,
        ),
        now=now,
    )


def log_draw(
    session: Session,
    actor: Actor,
    facility: Facility,
    amount: str,
    months: int,
    drawn_on: date,
    *,
    now: datetime,
    **options: object,
) -> Draw:
    """Alice logs a draw the way `loanwatch draw add` would."""
    request = DrawRequest(Decimal(amount), months, drawn_on, **options)  # type: ignore[arg-type]
    return record_draw(session, actor, facility, request, now=now)
