"""Someone says a draw's money arrived: :func:`confirm_draw`.

A draw is confirmed by what the platform shows (a payout in a statement, a bill for its first
installment, a limit reading whose available fell by the draw: `jobs.checks.draws`) or by a
person who saw the money land, from `loanwatch draw confirm`, `/loan draw confirm` or the
**Money arrived** button on a `draw_unconfirmed` alert. Either way `draw_unconfirmed` stops
firing for it.
"""

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import check_time
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.facilities import facility_zone
from bot.ledger.observations import CLOCK_SKEW
from bot.models import Draw, Facility


@dataclass(frozen=True)
class Confirmed:
    """A draw someone confirmed, and whether it already was (then nothing changed)."""

    draw: Draw
    already: bool


def confirm_draw(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    draw_id: int,
    *,
    now: datetime,
    arrived_at: datetime | None = None,
) -> Confirmed:
    """Record that draw `draw_id` of `facility` arrived at `arrived_at` (default: now), audited.

    Refused: a draw of another facility or none, a naive time, a time in the future, or one
    before the draw date began. A draw already confirmed stays as it was.
    """
    draw = session.scalar(
        select(Draw).where(Draw.id == draw_id, Draw.facility_id == facility.id).with_for_update()
    )
    if draw is None:
        raise InputError(
            _("{facility} has no draw #{draw}; `loanwatch export draws` lists them").format(
                facility=facility.slug, draw=draw_id
            )
        )
    if draw.confirmed_at is not None:
        return Confirmed(draw, already=True)
    zone = facility_zone(facility)
    arrived_at = now if arrived_at is None else arrived_at
    if arrived_at.tzinfo is None:
        raise InputError(_("time {at} has no time zone").format(at=arrived_at.isoformat()))
    check_time(arrived_at, N_("arrival time"), zone=zone)
    if arrived_at > now + CLOCK_SKEW:
        raise InputError(
            _(
                "arrival time {at} is in the future; confirm a draw once the money has arrived"
            ).format(at=arrived_at.isoformat())
        )
    if arrived_at < datetime.combine(draw.drawn_on, time(0), tzinfo=zone):
        raise InputError(
            _("arrival time {at} is before draw #{draw} was drawn on {drawn_on}").format(
                at=arrived_at.isoformat(), draw=draw.id, drawn_on=draw.drawn_on.isoformat()
            )
        )
    before = audit.snapshot(draw)
    draw.confirmed_at = arrived_at
    draw.confirmed_seen_at = now
    session.flush()
    audit.record(session, actor, "draw.confirm", draw, at=now, before=before)
    return Confirmed(draw, already=False)
