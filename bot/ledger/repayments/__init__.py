"""Repayments: what the platform collected, placed on the facility's draws.

The ledger records what the platform collected. :func:`record_repayment` places the money
(`allocation.py`): penalty interest on overdue installments (`penalty.py`), their interest, their
principal, then the installments billed now, then an early repayment that reshapes a schedule.
Money it cannot place (a fee, an itemised penalty above the one loanwatch computes, more than
the payoff) is kept as `unexplained` and raises a `repayment_mismatch` alert until someone
accepts it (:func:`accept_repayment`); only input that cannot be true is refused (a zero or
negative amount, a date in the future or before the facility's first draw).

A repayment dated before others replays the facility's repayments in date order
(`replay.py`), so the ledger does not depend on the order they were typed in;
:func:`remove_repayment` replays likewise. `payoff.py` quotes a payoff and month-end accruals.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.dates import check_date
from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.ledger.allocations import held_allocations, retire
from bot.ledger.facilities import facility_zone
from bot.ledger.repayments.allocation import apply_repayment, draws_by
from bot.ledger.repayments.replay import replay
from bot.models import Facility, Repayment
from bot.money import format_money
from bot.typed import free_text

__all__ = [
    "REF_CHARS",
    "Breakdown",
    "PlacedAgain",
    "accept_repayment",
    "breakdown",
    "placed_again",
    "principal_and_interest",
    "record_repayment",
    "remove_repayment",
]

ZERO = Decimal("0.00")
REF_CHARS = 128  # the platform's own id for the movement, e.g. Alipay's 交易订单号


def record_repayment(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    amount: Decimal,
    *,
    now: datetime,
    paid_on: date | None = None,
    external_ref: str | None = None,
    note: str | None = None,
    penalty: Decimal | None = None,
    fee: Decimal | None = None,
    calendar: BusinessCalendar | None = None,
) -> Repayment:
    """Record a repayment and place it on the facility's draws (see the package docstring).

    ``penalty`` and ``fee`` are what the platform itemised, if it did; without a penalty,
    loanwatch computes it. ``calendar`` decides when a due date on a holiday is collected
    (default: China's business days). Writes as it goes; an InputError means the caller's
    transaction must roll back (it does, in :func:`bot.db.transaction`).
    """
    today = now.astimezone(facility_zone(facility)).date()
    paid_on = check_date(paid_on or today, "repayment date")
    note = free_text(note, "the repayment's note")
    external_ref = free_text(external_ref, "the repayment's reference", limit=REF_CHARS)
    if paid_on > today:
        raise InputError(
            _(
                "repayment date {date} is in the future (today is {today} in {zone}); record a "
                "repayment once it is made"
            ).format(date=paid_on.isoformat(), today=today.isoformat(), zone=facility.timezone)
        )
    _check_amounts(facility, amount, penalty, fee)
    if not draws_by(session, facility, paid_on):
        raise InputError(
            _(
                "{date} is before {facility}'s first draw, so nothing was owed then; log the "
                "draw first, or check the date"
            ).format(date=paid_on.isoformat(), facility=facility.slug)
        )
    repayment = Repayment(
        facility_id=facility.id,
        amount=amount,
        paid_on=paid_on,
        external_ref=external_ref,
        note=note,
        penalty_given=penalty,
        fee=fee,
        # The penalty rule in force now: a later change of terms does not rewrite this one.
        penalty_multiplier=facility.penalty_multiplier,
        penalty_on_interest=facility.penalty_on_interest,
        unexplained=ZERO,
        created_at=now,
        created_by=actor.name,
    )
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add(repayment)
    session.flush()
    calendar = calendar or BusinessCalendar()
    later = exists().where(
        Repayment.facility_id == facility.id,
        Repayment.paid_on > paid_on,
        Repayment.id != repayment.id,
    )
    if session.scalar(select(later)):
        replay(session, actor, facility, calendar, since=paid_on, now=now)
    else:
        apply_repayment(session, facility, repayment, calendar)
    audit.record(session, actor, "repayment.add", repayment, at=now)
    return repayment


def remove_repayment(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    repayment_id: int,
    *,
    reason: str,
    now: datetime,
    calendar: BusinessCalendar | None = None,
) -> Repayment:
    """Remove a repayment recorded by mistake, and replay the ones after it (audited)."""
    reason = _reason(reason, N_("removing a repayment"))
    repayment = _repayment_of(session, facility, repayment_id)
    before = audit.snapshot(repayment)
    audit.record(
        session,
        actor,
        "repayment.remove",
        repayment,
        before=before,
        after={"reason": reason},
        at=now,
    )
    # At a moment before now the ledger still had it: `check --at` then reads it in force.
    retire(session, facility, held_allocations(session, facility, repayment.id), now=now)
    for allocation in list(repayment.allocations):
        session.delete(allocation)
    session.delete(repayment)
    session.flush()
    replay(
        session, actor, facility, calendar or BusinessCalendar(), since=repayment.paid_on, now=now
    )
    return repayment


def accept_repayment(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    repayment_id: int,
    *,
    reason: str,
    now: datetime,
) -> Repayment:
    """Accept a repayment's unexplained amount, saying why: its mismatch alert clears (audited)."""
    reason = _reason(reason, N_("accepting an unexplained amount"))
    repayment = _repayment_of(session, facility, repayment_id)
    if repayment.unexplained == 0:
        raise InputError(
            _("repayment #{id} on {facility} has nothing unexplained to accept").format(
                id=repayment.id, facility=facility.slug
            )
        )
    before = audit.snapshot(repayment)
    repayment.accepted_at = now
    repayment.accepted_by = actor.name
    repayment.accept_reason = reason
    repayment.acceptance_ended_at = None
    session.flush()
    audit.record(session, actor, "repayment.accept", repayment, before=before, at=now)
    return repayment


@dataclass(frozen=True)
class Breakdown:
    """Where a repayment's money went."""

    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    unexplained: Decimal
    penalty_computed: bool  # True when loanwatch computed the penalty (none was itemised)


@dataclass(frozen=True)
class PlacedAgain:
    """A repayment dated after another, placed again because that one was backdated before it."""

    id: int
    paid_on: date
    penalty: Decimal  # the penalty it carries now


def placed_again(session: Session, repayment: Repayment) -> list[PlacedAgain]:
    """The facility's repayments dated after ``repayment`` (which a backdated repayment places
    again, in date order), with the penalty each carries now."""
    later = session.scalars(
        select(Repayment)
        .where(
            Repayment.facility_id == repayment.facility_id, Repayment.paid_on > repayment.paid_on
        )
        .order_by(Repayment.paid_on, Repayment.id)
    )
    return [PlacedAgain(row.id, row.paid_on, breakdown(row).penalty) for row in later]


def breakdown(repayment: Repayment) -> Breakdown:
    """A repayment's principal, interest, penalty, fee and unexplained amount."""
    principal, interest = principal_and_interest(repayment)
    return Breakdown(
        principal=principal,
        interest=interest,
        penalty=sum((a.penalty for a in repayment.allocations), ZERO),
        fee=repayment.fee or ZERO,
        unexplained=repayment.unexplained,
        penalty_computed=repayment.penalty_given is None,
    )


def principal_and_interest(repayment: Repayment) -> tuple[Decimal, Decimal]:
    """How much of a repayment went to principal and how much to interest (its allocations)."""
    return (
        sum((a.principal for a in repayment.allocations), ZERO),
        sum((a.interest for a in repayment.allocations), ZERO),
    )


def _check_amounts(
    facility: Facility, amount: Decimal, penalty: Decimal | None, fee: Decimal | None
) -> None:
    if amount <= 0:
        raise InputError(_("a repayment must be more than zero"))
    if penalty is not None and penalty < 0:
        raise InputError(_("a repayment's penalty cannot be negative"))
    if fee is not None and fee < 0:
        raise InputError(_("a repayment's fee cannot be negative"))
    itemised = (penalty or ZERO) + (fee or ZERO)
    if itemised > amount:
        raise InputError(
            _(
                "the penalty and fee itemised ({itemised}) are more than the repayment "
                "({amount}); check them"
            ).format(
                itemised=format_money(itemised, facility.currency),
                amount=format_money(amount, facility.currency),
            )
        )


def _repayment_of(session: Session, facility: Facility, repayment_id: int) -> Repayment:
    repayment = session.get(Repayment, repayment_id)
    if repayment is None or repayment.facility_id != facility.id:
        raise NotFoundError(
            _("no repayment #{id} on {facility}; `loanwatch export repayments` lists them").format(
                id=repayment_id, facility=facility.slug
            )
        )
    return repayment


def _reason(reason: str, what: str) -> str:
    """The reason given, or an InputError; ``what`` is what needs it (an N_() text)."""
    text = free_text(reason, N_("the reason"))
    if not text:
        raise InputError(_("{what} needs a reason (--reason)").format(what=_(what)))
    return text
