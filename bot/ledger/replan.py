"""Planning the draws already logged again under their facility's current terms.

A draw copies its facility's convention when it is logged, so `facility set` changes only the
draws logged after it. When `facility calibrate` has shown which convention the platform
really bills by, the draws already logged (the very ones whose bills proved it) must follow it
too, or they mismatch their bills forever. :func:`replan_draws` writes each draw's convention
(method, day count, rounding, and the facility's repayment day when it has one) from the
facility, plans its schedule again (its amount, rate, term and draw date kept) and places the
facility's repayments again in date order (`bot.ledger.repayments.replay`), in the caller's
transaction. Each draw whose schedule changed is audited (`draw.replan`: its convention and
installments before and after), and the installments it replaces are kept as earlier versions
(`bot.ledger.installments_at`), so `check --at` an earlier moment still reads the old schedule.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.errors import NotFoundError
from bot.i18n import _
from bot.ledger.draws import add_installments
from bot.ledger.repayments.replay import replay
from bot.ledger.schedule import DayCount, FirstPeriod, RepaymentMethod, Rounding, plan_draw
from bot.ledger.terms import rate_of
from bot.models import Draw, Facility, Installment, Repayment

_CONVENTION = ("repayment_method", "day_count", "rounding", "repayment_day")


@dataclass(frozen=True)
class Replanned:
    """What :func:`replan_draws` did: the draws whose schedules changed, how many repayments
    it placed again, and the draws whose repayment method changed (id, before, after)."""

    draws: list[int]
    repayments: int
    methods: tuple[tuple[int, str, str], ...] = ()


def replan_draws(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    calendar: BusinessCalendar,
    *,
    now: datetime,
    draw_id: int | None = None,
) -> Replanned:
    """Plan ``facility``'s draws (or the one ``draw_id``) again under its terms; replay its
    repayments when any schedule changed."""
    draws = sorted(facility.draws, key=lambda draw: draw.id)
    if draw_id is not None:
        draws = [draw for draw in draws if draw.id == draw_id]
        if not draws:
            raise NotFoundError(
                _("{facility} has no draw #{draw}; `loanwatch export draws` lists them").format(
                    facility=facility.slug, draw=draw_id
                )
            )
    changed = [draw for draw in draws if _differs(session, facility, draw)]
    if not changed:
        return Replanned([], 0)

    def write_schedules() -> None:
        for draw in changed:
            _write_schedule(session, actor, facility, draw, now=now)

    methods = tuple(
        (draw.id, str(draw.repayment_method), str(facility.repayment_method))
        for draw in changed
        if str(draw.repayment_method) != str(facility.repayment_method)
    )
    since = min(draw.drawn_on for draw in changed)
    replay(session, actor, facility, calendar, since=since, now=now, replan=write_schedules)
    placed = session.scalar(
        select(func.count()).select_from(Repayment).where(Repayment.facility_id == facility.id)
    )
    return Replanned([draw.id for draw in changed], placed or 0, methods)


def _convention_of(facility: Facility, draw: Draw) -> dict[str, Any]:
    """The convention ``draw`` takes from ``facility``'s terms now."""
    day = facility.repayment_day if facility.repayment_day is not None else draw.repayment_day
    return {
        "repayment_method": facility.repayment_method,
        "day_count": facility.day_count,
        "rounding": facility.rounding,
        "repayment_day": day,
    }


def _plan(facility: Facility, draw: Draw) -> list[Any]:
    terms = _convention_of(facility, draw)
    return plan_draw(
        draw.amount,
        rate_of(draw),
        draw.months,
        draw.drawn_on,
        RepaymentMethod(terms["repayment_method"]),
        DayCount(terms["day_count"]),
        terms["repayment_day"],
        rounding=Rounding(terms["rounding"]),
        first_period=FirstPeriod(facility.first_period),
    )


def _first_schedule(session: Session, draw: Draw) -> list[Installment]:
    return list(
        session.scalars(
            select(Installment)
            .where(
                Installment.draw_id == draw.id,
                Installment.revision == 0,
                Installment.version == 0,
            )
            .order_by(Installment.seq)
        )
    )


def _held(rows: list[Any]) -> list[tuple[str, str, str]]:
    return [(row.due_date.isoformat(), str(row.principal), str(row.interest)) for row in rows]


def _differs(session: Session, facility: Facility, draw: Draw) -> bool:
    """Whether planning ``draw`` again changes its convention or its first schedule."""
    convention = _convention_of(facility, draw)
    if any(str(getattr(draw, key)) != str(value) for key, value in convention.items()):
        return True
    return _held(_first_schedule(session, draw)) != _held(_plan(facility, draw))


def _write_schedule(
    session: Session, actor: audit.Actor, facility: Facility, draw: Draw, *, now: datetime
) -> None:
    """Write ``draw``'s convention and first schedule anew (its allocations already undone)."""
    old = _first_schedule(session, draw)
    before = {key: getattr(draw, key) for key in _CONVENTION} | {"installments": _held(old)}
    planned = _plan(facility, draw)
    for key, value in _convention_of(facility, draw).items():
        setattr(draw, key, value)
    for row in old:
        session.delete(row)
    session.flush()
    add_installments(session, draw, planned, revision=0)
    after = {key: getattr(draw, key) for key in _CONVENTION} | {"installments": _held(planned)}
    audit.record(session, actor, "draw.replan", draw, before=before, after=after, at=now)
