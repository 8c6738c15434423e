"""Paid on one side only: `repayment_unseen` and `repayment_unlogged`.

- `repayment_unseen`: a bill past its collection day that the platform still shows unpaid,
  for a day the ledger recorded a repayment of: the money left, the platform does not show it
  (a finding to raise with the platform, not an overdue bill). `bill_overdue` leaves these out.
- `repayment_unlogged`: the platform shows a bill paid (autopay, say), and the ledger has no
  repayment for the installments due that day: someone should log it.

Both read, in one query each, only the bills the cycle singled out (past-due unpaid bills from
`scans.unpaid_bills`, paid bills due within the last few months).
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, exists, func, not_, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Listed, Money, Text
from bot.ledger.allocations import allocations_at, placed_on
from bot.ledger.bills import bill_known_at, bill_unpaid_at
from bot.ledger.schedule import HolidayRule
from bot.ledger.terms import collection_date
from bot.models import (
    Bill,
    Installment,
    Repayment,
    RepaymentAllocation,
)
from bot.thresholds import Thresholds
from jobs.checks.bills.scans import UnpaidBill, bill_subject, unpaid_bills
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    earliest_today,
    facilities,
    fen,
    installment_current,
    latest_today,
    ledger_ahead,
    local_today,
    scans_for,
    yuan,
)

# How far back `repayment_unlogged` looks at paid bills: a quarter, and a few days more.
UNLOGGED_LOOKBACK = timedelta(days=100)


class PastDue(NamedTuple):
    """An unpaid bill past the day it is collected on, under its facility's holiday rule."""

    bill: UnpaidBill
    collected: date  # the due date, or the next business day under the rule `following`
    days: int  # whole days since the collection day, in the facility's zone


class LedgerPayment(NamedTuple):
    """What the ledger recorded paid towards a facility's installments due on one day, and the
    repayments it came from: (the repayment's whole amount, None once removed; its day)."""

    amount: Decimal
    paid_on: date
    repayments: tuple[tuple[Decimal | None, date], ...] = ()


def past_due(scans: CycleScans) -> list[PastDue]:
    """The unpaid bills whose collection day has ended in their facility's zone, once a cycle."""
    return scans.once("past_due", lambda: _past_due(scans))


def _past_due(scans: CycleScans) -> list[PastDue]:
    found = []
    for bill in unpaid_bills(scans):
        collected = collection_date(bill.due_date, HolidayRule(bill.holiday_rule), scans.calendar)
        days = (local_today(scans.now, bill.timezone) - collected).days
        if days > 0:
            found.append(PastDue(bill, collected, days))
    return found


def ledger_payments(scans: CycleScans) -> dict[tuple[int, date], LedgerPayment]:
    """For the past-due bills' days: what the ledger recorded paid by `now`, once a cycle."""
    return scans.once("ledger_payments", lambda: _ledger_payments(scans))


def _ledger_payments(scans: CycleScans) -> dict[tuple[int, date], LedgerPayment]:
    days = sorted({(due.bill.facility_id, due.bill.due_date) for due in past_due(scans)})
    wanted = set(days)
    payments = {}
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        held = _held(scans)
        rows = scans.session.execute(
            select(
                Installment.facility_id,
                Installment.due_date,
                held.repayment_id,
                func.sum(fen(held.principal) + fen(held.interest)),
                func.max(held.paid_on),
            )
            .join(held.table, _placed_on(scans, held))
            .where(
                installment_current(scans),  # one version of each installment: the one then
                among(scans.session, Installment.facility_id, sorted({f for f, _ in chunk})),
                among(scans.session, Installment.due_date, sorted({d for _, d in chunk})),
            )
            .group_by(Installment.facility_id, Installment.due_date, held.repayment_id)
        )
        by_day: dict[tuple[int, date], list[tuple[int, int, date]]] = {}
        for facility_id, due_date, repayment_id, amount, paid_on in rows:
            if (facility_id, due_date) in wanted and amount:
                by_day.setdefault((facility_id, due_date), []).append(
                    (repayment_id, amount, paid_on)
                )
        whole = _repayment_amounts(scans.session, {r for day in by_day.values() for r, _, _ in day})
        for day, placed in by_day.items():
            placed.sort(key=lambda row: (row[2], row[0]))
            payments[day] = LedgerPayment(
                yuan(sum(amount for _, amount, _ in placed)),
                max(paid_on for _, _, paid_on in placed),
                tuple((whole.get(r), paid_on) for r, _, paid_on in placed),
            )
    return payments


def _repayment_amounts(session: Session, ids: set[int]) -> dict[int, Decimal]:
    """Repayment id → its whole amount (a repayment removed since is left out)."""
    found: dict[int, Decimal] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(
            session.execute(
                select(Repayment.id, Repayment.amount).where(among(session, Repayment.id, chunk))
            ).all()
        )
    return found


def _ledger_words(payment: LedgerPayment, currency: str) -> tuple[str, dict[str, Arg], Arg]:
    """How `repayment_unseen` says what the ledger recorded (its summary's message id and
    arguments): the repayments' own amounts, and what this bill got of them when that is less
    (the rest went to penalty or repaid early); and the repayments as a fact."""
    placed = Money(payment.amount, currency)
    amounts = [amount for amount, _ in payment.repayments]
    listed: Arg = Listed(
        tuple(
            Text(N_("removed on {day}"), {"day": Day(day)})
            if amount is None
            else Text(N_("{amount} on {day}"), {"amount": Money(amount, currency), "day": Day(day)})
            for amount, day in payment.repayments
        ),
        "; ",
    )
    args: dict[str, Arg] = {"placed": placed, "paid_on": Day(payment.paid_on)}
    if not amounts or None in amounts or sum(amounts, Decimal(0)) == payment.amount:  # type: ignore[arg-type]
        said = N_(
            "the {due} bill of {billed} shows unpaid: the ledger recorded {placed} paid on "
            "{paid_on}; the platform does not show it"
        )
        return said, args, listed if amounts else placed
    args["whole"] = Money(sum(amounts, Decimal(0)), currency)  # type: ignore[arg-type]
    if len(amounts) == 1:
        said = N_(
            "the {due} bill of {billed} shows unpaid: the ledger recorded a repayment of "
            "{whole} on {paid_on}, {placed} of it toward this bill; the platform does not show it"
        )
    else:
        args["count"] = len(amounts)
        said = N_(
            "the {due} bill of {billed} shows unpaid: the ledger recorded {count} repayments of "
            "{whole} in all, the last on {paid_on}, {placed} of it toward this bill; the platform "
            "does not show it"
        )
    return said, args, listed


def repayment_unseen(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A bill past its collection day shown unpaid that the ledger recorded paid: critical.

    Same timing as `bill_overdue` (which leaves these bills to this check): the platform has
    not registered money the company says it paid, and until it does, penalty may run.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    paid = ledger_payments(scans)
    findings = []
    for due in past_due(scans):
        bill = due.bill
        payment = paid.get((bill.facility_id, bill.due_date))
        if payment is None:
            continue
        said, args, repayments = _ledger_words(payment, bill.currency)
        args |= {"due": Day(bill.due_date), "billed": Money(bill.amount, bill.currency)}
        findings.append(
            worded(
                Check.REPAYMENT_UNSEEN,
                bill.facility_id,
                bill_subject(bill),
                Severity.CRITICAL,
                Text(said, args),
                [
                    (N_("Facility"), bill.slug),
                    (N_("Bill due date"), args["due"]),
                    (N_("Billed"), args["billed"]),
                    (N_("Paid toward this bill (ledger)"), args["placed"]),
                    (N_("Repayments (ledger)"), repayments),
                ],
            )
        )
    return findings


def repayment_unlogged(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The platform shows a bill paid, and the ledger has no repayment for that day's installments.

    Fires from the day after the bill's due date (facility zone), leaving the day itself to
    log an autopay; for bills due within the last hundred days, seen by `now`. A repayment
    logged by `now` that settles any installment due that day clears it.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    findings = []
    for bill in _paid_unlogged(scans):
        if local_today(now, bill.timezone) <= bill.due_date:
            continue
        due = Day(bill.due_date)
        findings.append(
            worded(
                Check.REPAYMENT_UNLOGGED,
                bill.facility_id,
                bill_subject(bill),
                Severity.WARNING,
                Text(
                    N_(
                        "the platform shows the {due} bill paid; no repayment in the ledger: log it"
                    ),
                    {"due": due},
                ),
                [
                    (N_("Facility"), bill.slug),
                    (N_("Bill due date"), due),
                    (N_("Billed"), Money(bill.amount, bill.currency)),
                    (N_("Expected (ledger)"), Money(bill.expected, bill.currency)),
                ],
            )
        )
    return findings


class _Held(NamedTuple):
    """The allocations as of `now` the checks join to installments: the table itself, or for a
    check run as of an earlier moment, those in force then (`bot.ledger.allocations`)."""

    table: Any
    principal: Any
    interest: Any
    paid_on: Any
    repayment_id: Any


def _held(scans: CycleScans) -> _Held:
    if ledger_ahead(scans):
        then = allocations_at(scans.now)
        return _Held(then, then.c.principal, then.c.interest, then.c.paid_on, then.c.repayment_id)
    live = (
        select(
            RepaymentAllocation.installment_id,
            RepaymentAllocation.principal,
            RepaymentAllocation.interest,
            Repayment.paid_on,
            RepaymentAllocation.repayment_id,
        )
        .join(Repayment, Repayment.id == RepaymentAllocation.repayment_id)
        .subquery("allocations_now")
    )
    return _Held(live, live.c.principal, live.c.interest, live.c.paid_on, live.c.repayment_id)


def _placed_on(scans: CycleScans, held: _Held) -> Any:
    if ledger_ahead(scans):
        return placed_on(held.table)
    return held.table.c.installment_id == Installment.id


def _paid_unlogged(scans: CycleScans) -> Sequence[Any]:
    """Paid bills of active facilities, due lately, on a day with installments the ledger has
    not seen a repayment for (none of that day's installments has an allocation by `now`)."""
    now = scans.now
    facility = facilities(scans)
    on_the_day = and_(
        Installment.facility_id == Bill.facility_id,
        Installment.due_date == Bill.due_date,
        installment_current(scans),
    )
    held = _held(scans)
    repaid = (
        select(held.table).join(Installment, _placed_on(scans, held)).where(on_the_day).exists()
    )
    expected = (
        select(func.sum(Installment.amount)).where(on_the_day).correlate(Bill).scalar_subquery()
    )
    return scans.session.execute(
        select(
            Bill.id,
            Bill.origin_id,
            Bill.facility_id,
            Bill.due_date,
            Bill.amount,
            expected.label("expected"),
            facility.slug,
            facility.timezone,
            facility.currency,
        )
        .join(facility, facility.id == Bill.facility_id)
        .where(
            facility.active,
            bill_known_at(now),
            not_(bill_unpaid_at(now)),
            Bill.due_date.between(earliest_today(now) - UNLOGGED_LOOKBACK, latest_today(now)),
            exists().where(on_the_day),
            not_(repaid),
        )
        .order_by(Bill.facility_id, Bill.due_date, Bill.id)
    ).all()
