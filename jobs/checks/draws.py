"""Draw checks: has anything the platform shows confirmed a draw the company logged?"""

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.alerts.findings import Finding
from bot.alerts.unconfirmed import UnconfirmedDraw, unconfirmed_finding
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.ledger.bills import bill_known_at
from bot.models import (
    Bill,
    Draw,
    DrawConfirmation,
    Installment,
    LimitReading,
    ReadingRequest,
)
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CycleScans,
    DueDay,
    billed_for_own_installments,
    days_after,
    facilities,
    fen,
    fen_of,
    installment_open,
    overridden_or,
    scans_for,
    setting,
    unbilled_after_shift,
)
from jobs.checks.readings import known

# The answer "No" to "Did the money arrive?" (bot.ledger.reading_requests.Answer.NOT_ARRIVED).
NOT_ARRIVED = "not_arrived"


def draw_unconfirmed(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A draw logged `confirm_window_hours` ago or more that nothing observed confirms.

    The window runs from when the draw was logged (`created_at`), not from its draw date: a draw
    typed in days late still gets the full window for a statement import to confirm it.
    Confirmations: `draws.confirmed_at` set (a payout, or someone saying the money arrived:
    `bot.ledger.confirmations.confirm_draw`), a payout (DrawConfirmation) linked to it, a bill
    matching its first installment's due date, or a limit reading taken after it was logged
    whose available fell by the draw, within the amount tolerance. Fully repaid draws are out
    of scope.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    overdue = [
        _Unconfirmed(draw, calendar.next_business_day(draw.first_due))
        for draw in _unconfirmed_draws(scans)
        if now >= draw.created_at + timedelta(hours=draw.window_hours)
        or draw.said_no_at is not None
    ]
    unconfirmed = unbilled_after_shift(session, now, overdue, _Unconfirmed.due_day)
    return [_unconfirmed_finding(draw) for draw, _ in unconfirmed]


def unconfirmed_logged_by(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    since: datetime,
    until: datetime,
) -> list[Any]:
    """The draws logged after `since` and by `until` that nothing seen by `now` confirms, by
    `draw_unconfirmed`'s rules whatever their confirm window (the arrival requests' draws)."""
    scans = CycleScans(session, now, thresholds, calendar)
    logged = and_(Draw.created_at > since, Draw.created_at <= until)
    candidates = [
        _Unconfirmed(draw, calendar.next_business_day(draw.first_due))
        for draw in _unconfirmed_draws(scans, logged)
    ]
    return [
        draw for draw, _ in unbilled_after_shift(session, now, candidates, _Unconfirmed.due_day)
    ]


class _Unconfirmed(NamedTuple):
    """A draw past its confirm window that nothing confirms, unless a bill matches its first
    installment's due date moved off a holiday (`shifted`)."""

    draw: Any
    shifted: date

    def due_day(self) -> DueDay:
        """The first installment's due date, which a bill confirms."""
        draw = self.draw
        return DueDay(draw.facility_id, draw.first_due, self.shifted, draw.match_window)


def _unconfirmed_draws(scans: CycleScans, logged: ColumnElement[bool] | None = None) -> list[Any]:
    """Draws of active facilities that nothing seen by `now` confirms, with their terms.

    `logged` (default: past the default confirm window, or answered No by the drawer) says
    which draws are candidates by when they were logged; a facility with its own window is
    finished by the caller. "Nothing" here is: no `confirmed_at`, no payout, and no bill
    within the match window of the first installment's own due date (a shifted one is the
    caller's). Each row says when the drawer answered No to its arrival request, if they did.
    """
    session, now, thresholds = scans.session, scans.now, scans.thresholds
    facility = facilities(scans)
    window_hours = setting(facility.confirm_window_hours, thresholds.confirm_window_hours)
    match_window = setting(facility.bill_match_window_days, thresholds.bill_match_window_days)
    first = aliased(Installment, name="first")
    first_due = (
        select(func.min(first.due_date))
        .where(first.draw_id == Draw.id)
        .correlate(Draw)
        .scalar_subquery()
    )
    payout = exists().where(
        DrawConfirmation.draw_id == Draw.id, DrawConfirmation.observed_at <= now
    )
    still_owed = exists().where(Installment.draw_id == Draw.id, installment_open(scans))
    first_bill = exists().where(
        Bill.facility_id == Draw.facility_id,
        bill_known_at(now),
        Bill.due_date.between(
            days_after(first_due, -match_window), days_after(first_due, match_window)
        ),
        or_(Bill.due_date == first_due, ~billed_for_own_installments()),
    )
    default_cutoff = now - timedelta(hours=thresholds.confirm_window_hours)
    said_no = _said_no(now)
    if logged is None:
        logged = or_(
            overridden_or(facility.confirm_window_hours, Draw.created_at <= default_cutoff),
            said_no.at.is_not(None),
        )
    scope = and_(
        facility.active,
        # Unconfirmed, or confirmed only after `now` (a `check --at` an earlier moment).
        or_(Draw.confirmed_at.is_(None), Draw.confirmed_seen_at > now),
        Draw.created_at <= now,
        logged,
        ~payout,
        still_owed,
        ~first_bill,
        ~_reading_confirms(now, thresholds, facility),
    )
    return list(
        session.execute(
            select(
                Draw.id,
                Draw.facility_id,
                Draw.amount,
                Draw.drawn_on,
                Draw.created_at,
                Draw.created_by,
                first_due.label("first_due"),
                facility.slug,
                facility.timezone,
                facility.currency,
                window_hours.label("window_hours"),
                match_window.label("match_window"),
                said_no.at.label("said_no_at"),
                said_no.by.label("said_no_by"),
            )
            .join(facility, facility.id == Draw.facility_id)
            .where(scope)
            .order_by(Draw.facility_id, Draw.id)
        ).all()
    )


class _SaidNo(NamedTuple):
    """When and by whom a draw's arrival request was answered No by `now` (correlated)."""

    at: Any
    by: Any


def _said_no(now: datetime) -> _SaidNo:
    def answered(column: Any) -> Any:
        return (
            select(column)
            .where(
                ReadingRequest.draw_id == Draw.id,
                ReadingRequest.answer == NOT_ARRIVED,
                ReadingRequest.answered_at <= now,
            )
            .correlate(Draw)
            .scalar_subquery()
        )

    return _SaidNo(answered(ReadingRequest.answered_at), answered(ReadingRequest.answered_by))


def _reading_confirms(now: datetime, thresholds: Thresholds, facility: Any) -> ColumnElement[bool]:
    """A limit reading seen and recorded by `now`, taken once the draw was logged, shows
    available lower by the draw's amount (within the tolerance of `facility`, as the checks
    read it at `now`) than just before it (correlated to Draw).

    "Just before" is the latest reading taken before the draw was logged, or, without one (or
    one that shows no available amount), the limit the reading itself shows: a line with
    nothing else drawn has all of it available.
    """
    after, before = aliased(LimitReading, name="after"), aliased(LimitReading, name="before")
    available_before = (
        select(fen(before.available))
        .where(
            before.facility_id == Draw.facility_id,
            before.observed_at < Draw.created_at,
            before.observed_at <= now,
            known(now, before),
        )
        .order_by(before.observed_at.desc())
        .limit(1)
        .correlate(Draw)
        .scalar_subquery()
    )
    tolerance = func.coalesce(fen(facility.amount_tolerance), fen_of(thresholds.amount_tolerance))
    fell_by = func.coalesce(available_before, fen(after.limit_amount)) - fen(after.available)
    return exists().where(
        after.facility_id == Draw.facility_id,
        after.observed_at >= Draw.created_at,
        after.observed_at <= now,
        known(now, after),
        after.available.is_not(None),
        func.abs(fell_by - fen(Draw.amount)) <= tolerance,
    )


def _unconfirmed_finding(draw: Any) -> Finding:
    """The finding for a draw that nothing confirms (its words: `bot.alerts.unconfirmed`)."""
    return unconfirmed_finding(
        UnconfirmedDraw(
            draw_id=draw.id,
            facility_id=draw.facility_id,
            slug=draw.slug,
            timezone=draw.timezone,
            currency=draw.currency,
            amount=draw.amount,
            drawn_on=draw.drawn_on,
            created_at=draw.created_at,
            first_due=draw.first_due,
            window_hours=draw.window_hours,
            said_no_by=draw.said_no_by,
            said_no_at=draw.said_no_at,
        )
    )
