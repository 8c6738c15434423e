"""Repayment checks: money the platform collected that the ledger cannot explain."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import literal_column, or_, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Moment, Money, Text
from bot.ledger.allocations import placed_at
from bot.models import Repayment
from bot.thresholds import Thresholds
from jobs.checks.common import (
    FEN_PER_YUAN,
    CycleScans,
    facilities,
    fen,
    ledger_ahead,
    scans_for,
)


def repayment_mismatch(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A repayment recorded by `now` with an amount the ledger could not place on the loans
    (a fee, an itemised penalty above loanwatch's, more than the payoff), not accepted by `now`.

    One query over the portfolio, on the partial index of repayments with such an amount; for
    a check run as of an earlier moment, before a replay since then placed the money otherwise,
    the amount is what the allocations in force at `now` left unplaced.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    facility = facilities(scans)
    unexplained: Any = fen(Repayment.unexplained)
    if ledger_ahead(scans):
        # A replay or removal since `now` may have placed the money otherwise: what was
        # unexplained then is what the allocations in force then left over.
        unexplained = fen(Repayment.amount) - placed_at(now)
    rows = session.execute(
        select(
            Repayment.id,
            Repayment.facility_id,
            Repayment.amount,
            Repayment.paid_on,
            unexplained.label("unexplained_fen"),
            Repayment.fee,
            Repayment.penalty_given,
            Repayment.created_at,
            facility.slug,
            facility.currency,
            facility.timezone,
        )
        .join(facility, facility.id == Repayment.facility_id)
        .where(
            facility.active,
            unexplained != literal_column("0"),
            Repayment.created_at <= now,
            or_(
                Repayment.accepted_at.is_(None),
                Repayment.accepted_at > now,
                Repayment.acceptance_ended_at <= now,
            ),
        )
        .order_by(Repayment.facility_id, Repayment.id)
    ).all()
    return [_mismatch_finding(row) for row in rows]


def _unexplained(row: Any) -> Decimal:
    return Decimal(row.unexplained_fen) / FEN_PER_YUAN


def _mismatch_finding(row: Any) -> Finding:
    """The finding for one repayment with an unexplained amount."""
    money = row.currency
    args: dict[str, Arg] = {
        "id": row.id,
        "amount": Money(row.amount, money),
        "paid_on": Day(row.paid_on),
        "difference": Money(_unexplained(row), money),
    }
    facts: list[tuple[str, Arg]] = [
        (N_("Facility"), row.slug),
        (N_("Repayment"), f"#{row.id}"),
        (N_("Amount"), args["amount"]),
        (N_("Paid on"), args["paid_on"]),
        (N_("Unexplained"), args["difference"]),
        (N_("Recorded"), Moment(row.created_at, row.timezone)),
    ]
    if row.fee:
        facts.append((N_("Fee itemised"), Money(row.fee, money)))
    if row.penalty_given is not None:
        facts.append((N_("Penalty itemised"), Money(row.penalty_given, money)))
    return worded(
        Check.REPAYMENT_MISMATCH,
        row.facility_id,
        f"r{row.id}",
        Severity.WARNING,
        Text(
            N_(
                "repayment #{id} of {amount} on {paid_on}: {difference} more than the ledger can "
                "explain; check the platform's statement, then accept it with a reason or remove "
                "the repayment"
            ),
            args,
        ),
        facts,
    )
