"""Which penalty rule does this platform charge? `facility calibrate` measures it from bills.

An installment paid after the day it was collected accrues penalty interest (罚息,
`bot.ledger.repayments.penalty`), and the platform's bill for that day, seen once the late
repayment was made, shows the installment plus the penalty it charged. Each such bill is
evidence: its amount less what the ledger's installments due that day come to is the penalty
the platform charged, which each candidate rule (a multiple of the rate, on overdue principal
or on overdue interest too) either reproduces to the fen or does not. A bill seen before the
late repayment was made shows no penalty yet and says nothing about the rule.

The bill for a day is found as the bill checks find it: the bill due that very day, else the
nearest within the facility's match window of the due date or of the day it is collected (a
holiday moves it), on a day without installments of its own. Platforms often print the
collection day on the bill.

The rule that reproduces the most bills, then the one off by the least, wins; on a tie the
facility's own rule is kept, as the schedule conventions are (`bot.ledger.calibration`), and
the report names every rule that does as well, since the bills cannot tell them apart.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.i18n import _, ngettext
from bot.i18n.formats import money
from bot.ledger.bills import current_bill_versions
from bot.ledger.facilities import facility_zone
from bot.ledger.repayments.penalty import PenaltyRule, accrued_penalty
from bot.ledger.terms import describe_penalty_rule, effective_due_date
from bot.models import (
    Bill,
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal("0.00")
# The multiples of the rate platforms are known to charge (docs/ledger.md, Platform
# conventions): none, Weilidai's 0.5x on top, the rate again, the common 1.5x, and 2x.
MULTIPLIERS = tuple(Decimal(m) for m in ("0", "0.5", "1", "1.5", "2"))


@dataclass(frozen=True)
class _Late:
    """An installment paid after its collection day: what the penalty accrues on."""

    draw: Draw
    principal: Decimal
    interest: Decimal
    collected: date
    paid_in_full: date
    payments: list[tuple[date, Decimal, Decimal]]  # (day, principal, interest), in date order


@dataclass(frozen=True)
class _Evidence:
    """A bill seen after a late repayment: what it shows above the installments, and why."""

    due_date: date
    charged: Decimal  # the bill less the installments due that day
    late: list[_Late]


@dataclass(frozen=True)
class PenaltyFit:
    """How well one penalty rule reproduces the penalty the bills show."""

    rule: PenaltyRule
    matched: int
    compared: int
    off_by: Decimal

    @property
    def exact(self) -> bool:
        """True when every bill's penalty is reproduced to the fen."""
        return self.matched == self.compared


@dataclass(frozen=True)
class PenaltyCalibration:
    """What `facility calibrate` found of the penalty rule (`fits` best first; empty: no bill
    seen after a late repayment yet)."""

    slug: str
    currency: str
    current: PenaltyRule
    late_days: int  # due dates with an installment paid late
    fits: list[PenaltyFit]
    # The penalty each bill seen after a late repayment carries, by due date, as the ledger
    # computes it (under the rule that reproduces the bills, else the facility's own): what the
    # schedule's conventions are compared without (`bot.ledger.calibration`).
    penalties: dict[date, Decimal] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report's lines on the penalty rule (none when nothing was ever paid late)."""
        if not self.late_days:
            return []
        if not self.fits:
            return [
                _(
                    "Penalty rule ({rule}) not confirmed yet: no bill seen after a late "
                    "repayment; record the platform's bill for that day, then calibrate again."
                ).format(rule=describe(self.current))
            ]
        best = self.fits[0]
        bills = ngettext(
            "{count} bill after a late repayment",
            "{count} bills after a late repayment",
            best.compared,
        ).format(count=best.compared)
        tied = self._tied()
        if not best.exact:
            closest = describe(best.rule)
            if len(tied) > 1:
                closest = _("{rule} (as close: {rules})").format(
                    rule=closest, rules=_("; ").join(describe(fit.rule) for fit in tied[1:])
                )
            return [
                _(
                    "Penalty: no rule reproduces the {bills}. Closest: {rule}: {matched} of "
                    "{compared} to the fen, off by {amount} in total."
                ).format(
                    bills=bills,
                    rule=closest,
                    matched=best.matched,
                    compared=best.compared,
                    amount=money(best.off_by, self.currency),
                ),
                _(
                    "Check those bills and repayments against the platform (an itemised "
                    "`repay add … --penalty X` is kept as given); to use the closest anyway: "
                    "{command}"
                ).format(command=command(self.slug, best.rule)),
            ]
        if len(tied) > 1:
            return self._tie_lines(bills, tied)
        first = _("Penalty in the {bills} reproduced to the fen by: {rule}.").format(
            bills=bills, rule=describe(best.rule)
        )
        if best.rule == self.current:
            return [
                first,
                _("{facility} is already set to it; nothing to change.").format(facility=self.slug),
            ]
        return [
            first,
            _(
                "Set {facility} to it with: {command}\n"
                "(repayments recorded from then on follow it; recorded ones keep theirs)"
            ).format(facility=self.slug, command=command(self.slug, best.rule)),
        ]

    def _tied(self) -> list[PenaltyFit]:
        """The fits as good as the best, one per rule as people read it (0x is 0x on any base)."""
        best = self.fits[0]
        tied: dict[str, PenaltyFit] = {}
        for fit in self.fits:
            if (fit.matched, fit.off_by) == (best.matched, best.off_by):
                tied.setdefault(describe(fit.rule), fit)
        return list(tied.values())

    def _tie_lines(self, bills: str, tied: list[PenaltyFit]) -> list[str]:
        """Several rules reproduce every bill: name them all, and keep the facility's own."""
        own = describe(self.current)
        names = _("; ").join(
            _("{rule} ({facility}'s own)").format(rule=describe(fit.rule), facility=self.slug)
            if describe(fit.rule) == own
            else describe(fit.rule)
            for fit in tied
        )
        first = _(
            "Penalty in the {bills} reproduced to the fen equally by {count} rules: {rules}."
        ).format(bills=bills, count=len(tied), rules=names)
        if any(describe(fit.rule) == own for fit in tied):
            return [
                first,
                _(
                    "{facility} stays on its own rule; a bill after a later late repayment will "
                    "tell them apart."
                ).format(facility=self.slug),
            ]
        return [
            first,
            _(
                "Set {facility} to the first with: {command}\n"
                "(or to another of them: a bill after a later late repayment will tell them "
                "apart; repayments recorded from then on follow it, recorded ones keep theirs)"
            ).format(facility=self.slug, command=command(self.slug, tied[0].rule)),
        ]


def describe(rule: PenaltyRule) -> str:
    """A penalty rule as people read it: "penalty 1.5x the rate on overdue principal"."""
    return describe_penalty_rule(rule.multiplier, rule.on_interest)


def command(slug: str, rule: PenaltyRule) -> str:
    """The command that sets a facility's penalty rule to ``rule``."""
    base = "--penalty-on-interest" if rule.on_interest else "--penalty-on-principal"
    return f"loanwatch facility set {slug} --penalty-rate {rule.multiplier.normalize():f} {base}"


def calibrate_penalty(
    session: Session, facility: Facility, calendar: BusinessCalendar, match_window_days: int
) -> PenaltyCalibration:
    """Compare the penalty each candidate rule charges with what the bills show; a bill may be
    ``match_window_days`` off the due date (the facility's own window, where it sets one)."""
    current = PenaltyRule.of(facility)
    late = _late_installments(session, facility, calendar)
    if facility.bill_match_window_days is not None:
        match_window_days = facility.bill_match_window_days
    evidence = _evidence(session, facility, late, match_window_days)
    calibration = PenaltyCalibration(facility.slug, facility.currency, current, len(late), [])
    if not evidence:
        return calibration
    rules = [PenaltyRule(m, on) for m, on in itertools.product(MULTIPLIERS, (False, True))]
    if current not in rules:
        rules.append(current)
    fits = [_fit(rule, evidence) for rule in rules]
    # Best first: most bills matched, then the smallest difference; the current rule on a tie.
    fits.sort(key=lambda fit: (fit.compared - fit.matched, fit.off_by, fit.rule != current))
    charging = fits[0].rule if fits[0].exact else current
    penalties = {bill.due_date: _charged(charging, bill) for bill in evidence}
    return PenaltyCalibration(facility.slug, facility.currency, current, len(late), fits, penalties)


def _late_installments(
    session: Session, facility: Facility, calendar: BusinessCalendar
) -> dict[date, list[_Late]]:
    """The facility's installments paid in full after their collection day, by due date."""
    payments: dict[int, list[tuple[date, Decimal, Decimal]]] = defaultdict(list)
    for installment_id, paid_on, principal, interest in session.execute(
        select(
            RepaymentAllocation.installment_id,
            Repayment.paid_on,
            RepaymentAllocation.principal,
            RepaymentAllocation.interest,
        )
        .join(Repayment, Repayment.id == RepaymentAllocation.repayment_id)
        .where(
            Repayment.facility_id == facility.id, RepaymentAllocation.installment_id.is_not(None)
        )
        .order_by(Repayment.paid_on, Repayment.id)
    ):
        payments[installment_id].append((paid_on, principal, interest))
    late: dict[date, list[_Late]] = defaultdict(list)
    for installment, draw in session.execute(
        select(Installment, Draw)
        .join(Draw, Draw.id == Installment.draw_id)
        .where(
            Installment.facility_id == facility.id,
            Installment.status == InstallmentStatus.PAID,
            Installment.paid_on.is_not(None),
        )
    ).all():
        collected = effective_due_date(facility, installment.due_date, calendar)
        assert installment.paid_on is not None
        if installment.paid_on > collected:
            late[installment.due_date].append(
                _Late(
                    draw,
                    installment.principal,
                    installment.interest,
                    collected,
                    installment.paid_on,
                    payments[installment.id],
                )
            )
    return dict(late)


def _evidence(
    session: Session, facility: Facility, late: dict[date, list[_Late]], window: int
) -> list[_Evidence]:
    """The bills for days with a late installment, each seen once the last was paid in full."""
    if not late:
        return []
    expected: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for due_date, amount in session.execute(
        select(Installment.due_date, Installment.amount).where(
            Installment.facility_id == facility.id,
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
    ):
        expected[due_date] += amount
    billed: dict[date, Decimal] = defaultdict(lambda: ZERO)
    seen: dict[date, date] = {}
    zone = facility_zone(facility)
    for due_date, amount, observed_at in session.execute(
        select(Bill.due_date, Bill.amount, Bill.observed_at).where(
            Bill.facility_id == facility.id, current_bill_versions()
        )
    ):
        billed[due_date] += amount
        day = observed_at.astimezone(zone).date()
        seen[due_date] = min(seen.get(due_date, day), day)
    evidence, taken = [], set(expected)
    for due, installments in sorted(late.items()):
        collected = max(i.collected for i in installments)
        bill_day = _bill_day(due, collected, billed, taken, window)
        if bill_day is None:
            continue
        taken.add(bill_day)
        if seen[bill_day] >= max(i.paid_in_full for i in installments):
            evidence.append(_Evidence(due, billed[bill_day] - expected[due], installments))
    return evidence


def _bill_day(
    due: date, collected: date, billed: dict[date, Decimal], taken: set[date], window: int
) -> date | None:
    """The day of the bill for installments due ``due`` and collected ``collected``: that very
    day, else the nearest bill within ``window`` days of either on a day not taken by
    installments of its own (or by another late day's bill), the earlier on a tie."""
    if due in billed:
        return due
    near = [
        day
        for day in billed
        if day not in taken
        and (abs((day - due).days) <= window or abs((day - collected).days) <= window)
    ]
    if not near:
        return None
    return min(near, key=lambda day: (min(abs((day - due).days), abs((day - collected).days)), day))


def _fit(rule: PenaltyRule, evidence: list[_Evidence]) -> PenaltyFit:
    """How the penalty ``rule`` charges compares with what each bill shows."""
    matched, off_by = 0, ZERO
    for bill in evidence:
        charged = _charged(rule, bill)
        if charged == bill.charged:
            matched += 1
        else:
            off_by += abs(charged - bill.charged)
    return PenaltyFit(rule, matched, len(evidence), off_by)


def _charged(rule: PenaltyRule, bill: _Evidence) -> Decimal:
    """The penalty ``rule`` charges on the late installments of ``bill``'s day."""
    return sum(
        (
            accrued_penalty(
                rule,
                late.draw,
                late.principal,
                late.interest,
                late.collected,
                late.paid_in_full,
                late.payments,
            )
            for late in bill.late
        ),
        ZERO,
    )
