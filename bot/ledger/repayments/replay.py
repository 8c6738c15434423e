"""Replaying a facility's repayments in date order, so the order of entry does not matter.

A repayment dated before others (or one removed) changes what every later one paid: later
installments were settled, schedules regenerated and penalty computed from a state that no
longer holds. :func:`replay` undoes the facility's allocations (paid installments open again,
regenerated schedules go, revision 0 is the schedule again) and places every repayment again
in (date, id) order, in the caller's transaction. Placing is a function of the ledger before
each repayment, so the repayments before the replayed date come out as they were; replaying
from the start keeps that true without keeping a history of each schedule. What the replay
places otherwise than before is kept in the allocations' history until the replay's time
(`bot.ledger.allocations`), and the schedules it writes again keep their times
(`bot.ledger.installments_at`), so `check --at` an earlier moment reads the ledger then.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.ledger.allocations import held_allocations, keep_replaced
from bot.ledger.installments_at import keep_times, times_of
from bot.ledger.repayments.allocation import apply_repayment
from bot.models import (
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal("0.00")


def replay(
    session: Session,
    actor: audit.Actor | None,
    facility: Facility,
    calendar: BusinessCalendar,
    *,
    since: date,
    now: datetime,
    replan: Callable[[], None] | None = None,
) -> None:
    """Place the facility's repayments again in date order; audited when ``actor`` is given.

    The audit record (`repayment.replay`, on the facility) holds where each repayment's money
    went before and after, for the repayments dated ``since`` or later. ``replan``, when given,
    runs once the allocations are undone and before the repayments are placed again: it may
    write the draws' first schedules (revision 0) anew (`bot.ledger.replan`); the rows it
    replaces are kept as versions like the rest.
    """
    repayments = list(
        session.scalars(
            select(Repayment)
            .where(Repayment.facility_id == facility.id)
            .order_by(Repayment.paid_on, Repayment.id)
        )
    )
    before = _placed(repayments, since)
    unexplained = {repayment.id: repayment.unexplained for repayment in repayments}
    held = held_allocations(session, facility)
    times = times_of(session, facility)
    undo_allocations(session, facility)
    if replan is not None:
        replan()
    for repayment in repayments:
        apply_repayment(session, facility, repayment, calendar)
        accepted = repayment.accepted_at is not None and repayment.acceptance_ended_at is None
        if accepted and repayment.unexplained != unexplained[repayment.id]:
            # What someone accepted is not what is unexplained now: they must look again. The
            # acceptance stays, ended now, so `check --at` before now still reads it.
            repayment.acceptance_ended_at = now
    session.flush()
    keep_replaced(session, facility, held, now=now)
    keep_times(session, facility, times, now=now)
    if actor is not None:
        after = _placed(repayments, since)
        audit.record(
            session,
            actor,
            "repayment.replay",
            facility,
            before={"since": since.isoformat(), "repayments": before},
            after={"since": since.isoformat(), "repayments": after},
            at=now,
        )


def undo_allocations(session: Session, facility: Facility) -> None:
    """Put the facility's draws back as they were logged: nothing paid, revision 0 (the
    earlier versions a replay kept stay, for `check --at`)."""
    draw_ids = select(Draw.id).where(Draw.facility_id == facility.id)
    for allocation in session.scalars(
        select(RepaymentAllocation).where(RepaymentAllocation.draw_id.in_(draw_ids))
    ):
        session.delete(allocation)
    session.flush()
    for installment in session.scalars(
        select(Installment).where(
            Installment.draw_id.in_(draw_ids), Installment.revision > 0, Installment.version == 0
        )
    ):
        session.delete(installment)
    session.flush()
    for installment in session.scalars(
        select(Installment).where(
            Installment.draw_id.in_(draw_ids), Installment.revision == 0, Installment.version == 0
        )
    ):
        installment.status = InstallmentStatus.SCHEDULED
        installment.paid_on = installment.superseded_at = None
    for repayment in session.scalars(select(Repayment).where(Repayment.facility_id == facility.id)):
        repayment.unexplained = ZERO
        session.expire(repayment, ["allocations"])
    session.flush()


def _placed(repayments: list[Repayment], since: date) -> dict[str, dict[str, str]]:
    """Where each repayment dated ``since`` or later put its money, for the audit record."""
    placed = {}
    for repayment in repayments:
        if repayment.paid_on < since:
            continue
        allocations = repayment.allocations
        placed[str(repayment.id)] = {
            "principal": str(sum((a.principal for a in allocations), ZERO)),
            "interest": str(sum((a.interest for a in allocations), ZERO)),
            "penalty": str(sum((a.penalty for a in allocations), ZERO)),
            "unexplained": str(repayment.unexplained),
        }
    return placed
