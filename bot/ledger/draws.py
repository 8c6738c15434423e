"""Draws: money taken from a facility, and the installments each one implies."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import check_date
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.facilities import facility_zone
from bot.ledger.portfolio import drawn_and_repaid, outstanding_from
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    PlannedInstallment,
    RepaymentMethod,
    Rounding,
    plan_draw,
)
from bot.ledger.terms import checked_rate, daily_rate_of, fix_repayment_day, rate_of
from bot.ledger.terms_history import keep_terms
from bot.models import Draw, Facility, Installment, InstallmentStatus, RepaymentAllocation
from bot.money import format_money
from bot.typed import free_text


@dataclass(frozen=True)
class DrawRequest:
    """A draw as a person asked for it; method and rate default to the facility's.

    A rate of its own is a daily rate, or an annual rate on a `rate_basis` of 360 or 365 days.
    """

    amount: Decimal
    months: int
    drawn_on: date | None = None
    repayment_method: RepaymentMethod | None = None
    daily_rate: Decimal | None = None
    note: str | None = None
    allow_over_limit: bool = False
    annual_rate: Decimal | None = None
    rate_basis: int | None = None


def record_draw(
    session: Session, actor: audit.Actor, facility: Facility, request: DrawRequest, *, now: datetime
) -> Draw:
    """Log a draw and write the installments its schedule implies."""
    today = now.astimezone(facility_zone(facility)).date()
    drawn_on = check_date(request.drawn_on or today, "draw date")
    note = free_text(request.note, "the draw's note")
    if drawn_on > today:
        raise InputError(
            _(
                "draw date {date} is in the future (today is {today} in {zone}); log a draw once "
                "the money is taken"
            ).format(date=drawn_on.isoformat(), today=today.isoformat(), zone=facility.timezone)
        )
    if request.amount <= 0:
        raise InputError(_("a draw must be more than zero"))
    outstanding = outstanding_principal(session, facility.id)
    if not request.allow_over_limit and outstanding + request.amount > facility.limit_amount:
        raise InputError(
            _(
                "this draw would take {facility} to {outstanding} outstanding, above its limit of "
                "{limit}; check the amount, or pass --allow-over-limit if the platform really "
                "lent it"
            ).format(
                facility=facility.slug,
                outstanding=format_money(outstanding + request.amount, facility.currency),
                limit=format_money(facility.limit_amount, facility.currency),
            )
        )

    method = request.repayment_method or RepaymentMethod(facility.repayment_method)
    if request.daily_rate is None and request.annual_rate is None:
        if request.rate_basis is not None:
            raise InputError(_("a 360- or 365-day year goes with an annual rate (--annual-rate)"))
        rate = rate_of(facility)
    else:
        rate = checked_rate(request.daily_rate, request.annual_rate, request.rate_basis)
    planned = plan_draw(
        request.amount,
        rate,
        request.months,
        drawn_on,
        method,
        DayCount(facility.day_count),
        facility.repayment_day,
        rounding=Rounding(facility.rounding),
        first_period=FirstPeriod(facility.first_period),
    )
    # The draw copies the facility's terms: changing them later leaves this schedule alone.
    draw = Draw(
        facility=facility,
        amount=request.amount,
        drawn_on=drawn_on,
        months=request.months,
        repayment_method=str(method),
        day_count=facility.day_count,
        daily_rate=daily_rate_of(rate),
        annual_rate=rate.value if rate.is_annual else None,
        rate_basis=rate.basis if rate.is_annual else None,
        rounding=facility.rounding,
        repayment_day=facility.repayment_day,
        note=note,
        created_at=now,
        created_by=actor.name,
    )
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add(draw)
    session.flush()
    add_installments(session, draw, planned, revision=0)
    audit.record(session, actor, "draw.add", draw, at=now)
    before = audit.snapshot(facility)
    if fix_repayment_day(facility, draw):
        audit.record(session, actor, "facility.update", facility, before=before, at=now)
        keep_terms(session, actor, facility, now=now)
    return draw


def add_installments(
    session: Session,
    draw: Draw,
    planned: list[PlannedInstallment],
    *,
    revision: int,
    recorded_at: datetime | None = None,
) -> list[Installment]:
    """Store a planned schedule as the draw's installments of one revision, in force from
    ``recorded_at`` (None: from when the draw was logged)."""
    rows = [
        Installment(
            draw_id=draw.id,
            facility_id=draw.facility_id,
            seq=item.seq,
            revision=revision,
            due_date=item.due_date,
            principal=item.principal,
            interest=item.interest,
            amount=item.amount,
            status=InstallmentStatus.SCHEDULED,
            recorded_at=recorded_at,
        )
        for item in planned
    ]
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add_all(rows)
    session.flush()
    return rows


# The same person logging the same amount on the same facility this soon is more often a double
# submission than a second draw, so the Slack app asks before logging it again.
DUPLICATE_WINDOW = timedelta(minutes=10)


def recent_duplicate(
    session: Session, actor: audit.Actor, facility: Facility, amount: Decimal, *, now: datetime
) -> Draw | None:
    """The newest draw `actor` logged on `facility` for `amount` within DUPLICATE_WINDOW, if any."""
    return session.scalar(
        select(Draw)
        .where(
            Draw.facility_id == facility.id,
            Draw.amount == amount,
            Draw.created_by == actor.name,
            Draw.created_at > now - DUPLICATE_WINDOW,
            Draw.created_at <= now,
        )
        .order_by(Draw.created_at.desc())
        .limit(1)
    )


def current_installments(session: Session, draw: Draw) -> list[Installment]:
    """The draw's schedule as it stands: paid and scheduled installments, not superseded ones."""
    return list(
        session.scalars(
            select(Installment)
            .where(
                Installment.draw_id == draw.id, Installment.status != InstallmentStatus.SUPERSEDED
            )
            .order_by(Installment.seq)
        )
    )


def principal_repaid(session: Session, draw_id: int) -> Decimal:
    """Principal paid back on one draw so far."""
    repaid = session.scalar(
        select(func.sum(RepaymentAllocation.principal)).where(
            RepaymentAllocation.draw_id == draw_id
        )
    )
    return repaid or Decimal("0.00")


def outstanding_principal(session: Session, facility_id: int) -> Decimal:
    """Principal drawn and not yet repaid on a facility."""
    drawn, repaid = drawn_and_repaid([facility_id])
    outstanding = session.scalar(
        select(outstanding_from(drawn, repaid))
        .select_from(drawn)
        .outerjoin(repaid, repaid.c.facility_id == drawn.c.facility_id)
    )
    return Decimal("0.00") if outstanding is None else outstanding
