"""Whether a check run reads the ledger as it is or as it was at `now`, and the installments'
state at `now` (:func:`installment_open`, :func:`installment_current`), decided once a cycle.

Re-exported by `jobs.checks.common`, which the checks import them from.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from bot.ledger.allocations import changed_after as allocations_changed_after
from bot.ledger.allocations import open_at
from bot.ledger.installments_at import changed_after as schedule_changed_after
from bot.ledger.installments_at import in_force_at
from bot.models import FacilitySummary, Installment, InstallmentStatus

T = TypeVar("T")


class CycleScans(Protocol):
    """What these need of `jobs.checks.common.CycleScans` (which imports this module)."""

    session: Session
    now: datetime

    def once(self, name: str, scan: Callable[[], T]) -> T: ...


def installment_open(scans: CycleScans) -> ColumnElement[bool]:
    """An installment (the `Installment` in the query) not paid at `now`, decided once a cycle.

    Its status, unless the ledger changed after `now` (a check run as of an earlier moment):
    then whether the allocations in force at `now` had paid it in full
    (`bot.ledger.allocations`), so one paid only by a repayment recorded later, or by a replay
    since, was still open, and one a replay has since left unpaid was paid.
    """
    return scans.once("installment_open", lambda: _installment_open(scans))


def _installment_open(scans: CycleScans) -> ColumnElement[bool]:
    scheduled = Installment.status == InstallmentStatus.SCHEDULED
    if not ledger_ahead(scans):
        return scheduled
    return and_(installment_current(scans), open_at(scans.now))


def installment_current(scans: CycleScans) -> ColumnElement[bool]:
    """An installment (the `Installment` in the query) in its draw's schedule at `now`: not
    superseded, or for a check run as of an earlier moment, in force then."""
    if not ledger_ahead(scans):
        return Installment.status != InstallmentStatus.SUPERSEDED
    return in_force_at(scans.now)


def ledger_ahead(scans: CycleScans) -> bool:
    """Whether a draw or repayment was logged, or an allocation or installment recorded or
    replaced, after `now` (index probes of the summaries' `ledger_at` and the allocations' and
    installments' times, in one query once a cycle): only a check run as of an earlier moment
    has one."""
    return scans.once(
        "ledger_ahead",
        lambda: bool(
            scans.session.scalar(
                select(
                    or_(
                        exists().where(FacilitySummary.ledger_at > scans.now),
                        allocations_changed_after(scans.now),
                        schedule_changed_after(scans.now),
                    )
                )
            )
        ),
    )


def paid_since(now: datetime) -> ColumnElement[bool]:
    """An installment (the `Installment` in the query) paid now and open at `now`."""
    return and_(Installment.status == InstallmentStatus.PAID, in_force_at(now), open_at(now))
