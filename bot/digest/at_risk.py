"""The money an open alert puts at risk, read from the ledger (not from the alert's words).

- A bill's day (a subject starting with the due date: `bill_missing`, `bill_due_soon`,
  `bill_overdue`, `bill_amount_mismatch`, `bill_unexpected`): what the ledger expects that day
  (its installments), or, for a day the ledger expects nothing, what the platform bills.
- A draw (`d<id>`: `draw_unconfirmed`): the draw's amount.
- A limit that fell or froze (`limit_dropped`, `limit_frozen`): the undrawn limit, the credit the
  team can no longer count on.
- Anything else: nothing measured (zero), listed after the rest of its severity.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.ledger.portfolio import PositionLine
from bot.models import Alert, Bill, Draw, Installment, InstallmentStatus

ZERO = Decimal("0.00")
UNDRAWN_CHECKS = frozenset({Check.LIMIT_DROPPED, Check.LIMIT_FROZEN})


def money_at_risk(
    session: Session, alerts: Sequence[Alert], positions: dict[int, PositionLine]
) -> dict[int, Decimal]:
    """Alert id → the money it puts at risk (zero when the check measures none)."""
    return {alert.id: _at_risk(session, alert, positions) for alert in alerts}


def _at_risk(session: Session, alert: Alert, positions: dict[int, PositionLine]) -> Decimal:
    if alert.facility_id is None:
        return ZERO
    if alert.check in UNDRAWN_CHECKS:
        position = positions.get(alert.facility_id)
        return max(position.available, ZERO) if position is not None else ZERO
    if alert.subject.startswith("d") and alert.subject[1:].isdigit():
        amount = session.scalar(select(Draw.amount).where(Draw.id == int(alert.subject[1:])))
        return amount if amount is not None else ZERO
    day = _subject_day(alert.subject)
    if day is None:
        return ZERO
    expected = session.scalar(
        select(func.sum(Installment.amount)).where(
            Installment.facility_id == alert.facility_id,
            Installment.due_date == day,
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
    )
    if expected:
        return Decimal(expected).quantize(ZERO)
    billed = session.scalar(
        select(func.sum(Bill.amount)).where(
            Bill.facility_id == alert.facility_id,
            Bill.due_date == day,
            Bill.superseded_at.is_(None),
        )
    )
    return Decimal(billed).quantize(ZERO) if billed else ZERO


def _subject_day(subject: str) -> date | None:
    """The due date a bill's subject starts with (`2027-01-01`, `2027-01-01#b7`), if any."""
    try:
        return date.fromisoformat(subject[:10])
    except ValueError:
        return None
