"""The penalty interest a late day's bill may carry, for `bill_amount_mismatch`'s candidates.

A platform's bill for a day whose installment was paid late (or is still overdue) shows the
installment and the penalty it charged (罚息, `bot.ledger.repayments.penalty`). Such a bill is
not a mismatch when it is what the ledger expects plus the penalty the ledger computes for the
day's overdue installments: accrued, under the facility's penalty rule, from the day each was
collected until it was paid in full, or until the day the bill was seen if that came first
(a bill seen while the installment is still overdue shows the penalty so far). The penalty a
repayment itemised (`repay add … --penalty X`) is accepted as well: the ledger recorded it.

Set-based: one query for every candidate group of a cycle (the installments, their draws'
rates, the facilities' penalty rules and the repayments recorded by `now` that paid them),
then Decimal arithmetic in Python, as the ledger's own penalty does.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, select

from bot.db import among
from bot.ledger.repayments.penalty import PenaltyRule, accrued_penalty
from bot.ledger.schedule import HolidayRule
from bot.ledger.terms import collection_date
from bot.models import Draw, Installment, InstallmentStatus, Repayment, RepaymentAllocation
from jobs.checks.common import CHUNK, CycleScans, facilities, fen

ZERO = Decimal("0.00")


class LateDay(NamedTuple):
    """A candidate group: a facility's installments due on one day, and the day its bill was
    last seen (in the facility's zone)."""

    facility_id: int
    due_date: date
    bill_seen: date


class Penalties(NamedTuple):
    """What the ledger says a late day's bill may add to the installments: the penalty it
    computes, and the penalty repayments itemised."""

    computed: Decimal
    recorded: Decimal


def penalties_of(scans: CycleScans, days: Sequence[LateDay]) -> dict[tuple[int, date], Penalties]:
    """The penalties of each of `days`, keyed by (facility, due date); one query in all."""
    wanted = {(day.facility_id, day.due_date): day.bill_seen for day in days}
    if not wanted:
        return {}
    by_installment: dict[int, list[Any]] = defaultdict(list)
    for row in _installments_and_payments(scans, sorted(wanted)):
        by_installment[row.id].append(row)
    penalties: dict[tuple[int, date], Penalties] = {}
    for rows in by_installment.values():
        first = rows[0]
        key = (first.facility_id, first.due_date)
        computed, recorded = _penalty(first, rows, wanted[key], scans)
        was = penalties.get(key, Penalties(ZERO, ZERO))
        penalties[key] = Penalties(was.computed + computed, was.recorded + recorded)
    return penalties


def _installments_and_payments(scans: CycleScans, keys: list[tuple[int, date]]) -> list[Any]:
    """The in-scope installments due on the days of `keys`, each with its draw's rate, its
    facility's penalty rule, and one row per allocation of a repayment recorded by `now`."""
    session, now = scans.session, scans.now
    facility = facilities(scans)
    facility_ids = sorted({facility_id for facility_id, _ in keys})
    due_dates = sorted({due_date for _, due_date in keys})
    recorded = and_(Repayment.id == RepaymentAllocation.repayment_id, Repayment.created_at <= now)
    rows = []
    for start in range(0, len(facility_ids), CHUNK):
        rows.extend(
            session.execute(
                select(
                    Installment.id,
                    Installment.facility_id,
                    Installment.due_date,
                    Installment.principal,
                    Installment.interest,
                    Draw.daily_rate,
                    Draw.annual_rate,
                    Draw.rate_basis,
                    Draw.rounding,
                    facility.penalty_multiplier,
                    facility.penalty_on_interest,
                    facility.holiday_rule,
                    Repayment.paid_on,
                    RepaymentAllocation.principal.label("paid_principal"),
                    RepaymentAllocation.interest.label("paid_interest"),
                    RepaymentAllocation.penalty.label("paid_penalty"),
                )
                .join(Draw, Draw.id == Installment.draw_id)
                .join(facility, facility.id == Installment.facility_id)
                .outerjoin(
                    RepaymentAllocation, RepaymentAllocation.installment_id == Installment.id
                )
                .outerjoin(Repayment, recorded)
                .where(
                    among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                    among(session, Installment.due_date, due_dates),
                    Installment.status != InstallmentStatus.SUPERSEDED,
                    fen(Installment.amount) > 0,
                    Draw.created_at <= now,
                )
                .order_by(Installment.id, Repayment.paid_on, Repayment.id)
            ).all()
        )
    keys_wanted = set(keys)
    return [row for row in rows if (row.facility_id, row.due_date) in keys_wanted]


def _penalty(
    installment: Any, rows: list[Any], bill_seen: date, scans: CycleScans
) -> tuple[Decimal, Decimal]:
    """The penalty the ledger computes for one installment, and what repayments itemised."""
    # An allocation whose repayment was recorded after `now` has no repayment in the row.
    payments = [row for row in rows if row.paid_on is not None]
    recorded = sum((row.paid_penalty for row in payments), ZERO)
    rule = PenaltyRule(installment.penalty_multiplier, installment.penalty_on_interest)
    rule_of_day = HolidayRule(installment.holiday_rule)
    collected = collection_date(installment.due_date, rule_of_day, scans.calendar)
    until = min(bill_seen, _paid_in_full(installment, payments) or bill_seen)
    if rule.multiplier == 0 or until <= collected:
        return ZERO, recorded
    paid = [(p.paid_on, p.paid_principal, p.paid_interest) for p in payments if p.paid_on <= until]
    computed = accrued_penalty(
        rule,
        installment,  # the draw's rate and rounding, as the row carries them
        installment.principal,
        installment.interest,
        collected,
        until,
        paid,
    )
    return computed, recorded


def _paid_in_full(installment: Any, payments: list[Any]) -> date | None:
    """The day the payments (in date order) covered the installment, if they did."""
    owed = installment.principal + installment.interest
    paid = ZERO
    for payment in payments:
        paid += payment.paid_principal + payment.paid_interest
        if paid >= owed:
            return payment.paid_on  # type: ignore[no-any-return]
    return None
