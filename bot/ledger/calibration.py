"""Which convention does this platform use? `loanwatch facility calibrate FAC` measures it.

The facility's draws are planned again under every method × day count × rounding × first-period
rule (and, when the bills all fall on one day of the month that the ledger did not expect, with
that repayment day too), and each plan is compared with the bills the platform has shown: the
installments due on a bill's date (or whose date moves to it on a holiday) against the bill,
to the fen. A convention *reproduces* the bills when every bill matches. The report names the
ones that do, or the closest (most bills matched, then the smallest total difference), and the
`loanwatch facility set … --replan` command that sets the facility to it and plans the draws
already logged (whose bills proved it) again under it (`bot.ledger.replan`). A change is
proposed only when a convention reproduces strictly more bills than the facility's own terms: a
fen closer on the bills every convention misses is the platform's rounding of a bill, not
evidence.

Bills due once an early repayment has regenerated a schedule are left out: the original plan
no longer applies to them. Each draw keeps its own rate and term; only the convention varies.
The penalty rule is confirmed apart, from the bills seen after late repayments
(`bot.ledger.penalty_calibration`), and reported after the conventions.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.i18n import _, ngettext
from bot.i18n.formats import day, money
from bot.ledger.bills import current_bill_versions
from bot.ledger.penalty_calibration import PenaltyCalibration, calibrate_penalty
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    RepaymentMethod,
    Rounding,
    plan_draw,
)
from bot.ledger.terms import rate_of
from bot.models import Bill, Draw, Facility, Installment
from bot.thresholds import Thresholds

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Convention:
    """One way a platform may bill; ``repayment_day`` None means each draw's day as logged."""

    method: RepaymentMethod
    day_count: DayCount
    rounding: Rounding
    first_period: FirstPeriod
    repayment_day: int | None = None

    def describe(self) -> str:
        """The convention in the words `facility list` uses, in the language in use."""
        said = _(
            "{method}, day count {day_count}, rounding {rounding}, first period {first_period}"
        ).format(
            method=_(str(self.method)),
            day_count=_(str(self.day_count)),
            rounding=_(str(self.rounding)),
            first_period=_(str(self.first_period)),
        )
        if self.repayment_day is None:
            return said
        return _("{terms}, repayment day {day}").format(terms=said, day=self.repayment_day)

    def changes(self, other: Convention) -> int:
        """How many terms differ from ``other``'s."""
        return sum(
            getattr(self, term) != getattr(other, term)
            for term in ("method", "day_count", "rounding", "first_period", "repayment_day")
        )

    def command(self, slug: str) -> str:
        """The command that sets a facility to this convention."""
        day = "" if self.repayment_day is None else f" --repayment-day {self.repayment_day}"
        return (
            f"loanwatch facility set {slug} --method {self.method} --day-count {self.day_count} "
            f"--rounding {self.rounding} --first-period {self.first_period}{day} --replan"
        )


@dataclass(frozen=True)
class Fit:
    """How well one convention reproduces the bills."""

    convention: Convention
    matched: int
    compared: int
    off_by: Decimal  # the differences' absolute sum
    largest: tuple[date, Decimal] | None  # the bill furthest off, and by how much

    @property
    def exact(self) -> bool:
        """True when every bill is reproduced to the fen."""
        return self.matched == self.compared


@dataclass(frozen=True)
class Calibration:
    """What `facility calibrate` found for one facility."""

    slug: str
    currency: str
    current: Convention
    bills: int  # compared
    left_out: int  # due after a schedule was regenerated
    due_span: tuple[date, date] | None  # the first and last compared bill's due date
    fits: list[Fit]  # best first
    # The penalty rule, confirmed from the bills seen after late repayments (None: not asked).
    penalty: PenaltyCalibration | None = None

    def report(self) -> str:
        """The answer a treasurer reads: the schedule's conventions, then the penalty rule."""
        penalty = [] if self.penalty is None else self.penalty.lines()
        # Two answers, two paragraphs: the penalty's does not run on from the convention's.
        return "\n\n".join(
            paragraph for paragraph in (self._conventions_report(), "\n".join(penalty)) if paragraph
        )

    def _conventions_report(self) -> str:
        if not self.bills:
            if self.left_out:
                return _(
                    "no bills to compare on {facility} yet ({count} left out: due after an early "
                    "repayment); record the platform's bills with `loanwatch bill add` or "
                    "`loanwatch import`, then calibrate again"
                ).format(facility=self.slug, count=self.left_out)
            return _(
                "no bills to compare on {facility} yet; record the platform's bills with "
                "`loanwatch bill add` or `loanwatch import`, then calibrate again"
            ).format(facility=self.slug)
        first, last = self.due_span or (None, None)
        lines = [
            ngettext(
                "{facility}: compared {count} bill due {first} to {last}.",
                "{facility}: compared {count} bills due {first} to {last}.",
                self.bills,
            ).format(facility=self.slug, count=self.bills, first=_day(first), last=_day(last))
        ]
        if self.left_out:
            lines.append(
                ngettext(
                    "Left out {count} bill due after an early repayment.",
                    "Left out {count} bills due after an early repayment.",
                    self.left_out,
                ).format(count=self.left_out)
            )
        exact = [fit for fit in self.fits if fit.exact]
        if exact:
            best = exact[0]
            lines.append(
                _("Reproduced to the fen by: {convention}.").format(
                    convention=best.convention.describe()
                )
            )
            others = [f.convention.describe() for f in exact if f is not best]
            if others:
                lines.append(
                    _(
                        "Also reproduced by {count} other convention(s), which later bills will "
                        "tell apart: {conventions}."
                    ).format(count=len(others), conventions=_listed(others))
                )
            lines.append(self._advice(best.convention))
            return "\n".join(lines)
        best = self.fits[0]
        own = next(fit for fit in self.fits if fit.convention == self.current)
        if own.matched >= best.matched:
            return "\n".join([*lines, *self._no_better(own)])
        lines.append(
            ngettext(
                "No convention reproduces all {count} bill. Closest: {convention}: {matched} of "
                "{compared} to the fen, off by {amount} in total{largest}.",
                "No convention reproduces all {count} bills. Closest: {convention}: {matched} of "
                "{compared} to the fen, off by {amount} in total{largest}.",
                self.bills,
            ).format(
                count=self.bills,
                convention=best.convention.describe(),
                matched=best.matched,
                compared=best.compared,
                amount=money(best.off_by, self.currency),
                largest=self._largest(best),
            )
        )
        lines.append(
            _(
                "Check the draws' rates, amounts and dates against the platform first (and that no "
                "bill was mistyped); to use the closest anyway: {command}"
            ).format(command=best.convention.command(self.slug))
        )
        return "\n".join(lines)

    def _no_better(self, own: Fit) -> list[str]:
        """No convention reproduces every bill, and none more of them than the facility's own
        terms: a fen closer on the bills they all miss is the platform's rounding of a bill, no
        reason to change."""
        tied = [fit for fit in self.fits if fit.matched == own.matched and fit is not own]
        names = [fit.convention.describe() for fit in tied]
        also = _("; so do: {conventions}").format(conventions=_listed(names)) if names else ""
        closer = min((fit.off_by for fit in tied), default=own.off_by)
        facts = {
            "facility": self.slug,
            "amount": money(own.off_by, self.currency),
            "largest": self._largest(own),
        }
        if closer < own.off_by:
            missed = _(
                "The bills they miss are off by {amount} in total{largest}. Another comes "
                "{closer} closer on them, no reason to change: the platform's own rounding of a "
                "bill can make that difference. {facility} stays on its own terms: check those "
                "bills against the platform (and that none was mistyped)."
            ).format(closer=money(own.off_by - closer, self.currency), **facts)
        else:
            missed = _(
                "The bills they miss are off by {amount} in total{largest}. {facility} stays on "
                "its own terms: check those bills against the platform (and that none was "
                "mistyped)."
            ).format(**facts)
        return [
            ngettext(
                "No convention reproduces all {count} bill. {facility}'s own terms ({terms}) "
                "reproduce {matched} of {compared} to the fen, as many as any other "
                "convention{also}.",
                "No convention reproduces all {count} bills. {facility}'s own terms ({terms}) "
                "reproduce {matched} of {compared} to the fen, as many as any other "
                "convention{also}.",
                self.bills,
            ).format(
                count=self.bills,
                facility=self.slug,
                terms=self.current.describe(),
                matched=own.matched,
                compared=own.compared,
                also=also,
            ),
            missed,
        ]

    def _largest(self, fit: Fit) -> str:
        if fit.largest is None:
            return ""
        due, difference = fit.largest
        return _(", largest {amount} on {day}").format(
            amount=money(difference, self.currency), day=_day(due)
        )

    def _advice(self, convention: Convention) -> str:
        if convention == self.current:
            return _("{facility} is already set to it; nothing to change.").format(
                facility=self.slug
            )
        return _(
            "Set {facility} to it with: {command}\n"
            "(--replan plans the draws already logged again under it and places their repayments "
            "again, audited, the old schedules kept as versions; without it only draws logged "
            "from then on follow it)"
        ).format(facility=self.slug, command=convention.command(self.slug))


def _day(value: date | None) -> str:
    return "" if value is None else day(value)


def _listed(names: list[str]) -> str:
    """The first three names, `; `-separated, and ` …` when there are more."""
    return _("; ").join(names[:3]) + (" …" if len(names) > 3 else "")


def calibrate(
    session: Session,
    facility: Facility,
    calendar: BusinessCalendar,
    thresholds: Thresholds | None = None,
) -> Calibration:
    """Compare every convention's plan of the facility's draws with its bills (``thresholds``:
    the settings' defaults, for the bill match window the penalty's bills are found in)."""
    window = (thresholds or Thresholds()).bill_match_window_days
    current = Convention(
        RepaymentMethod(facility.repayment_method),
        DayCount(facility.day_count),
        Rounding(facility.rounding),
        FirstPeriod(facility.first_period),
    )
    draws = list(facility.draws)
    penalty = calibrate_penalty(session, facility, calendar, window)
    # A bill seen after a late repayment carries its penalty, which no schedule plans.
    billed = {
        due: amount - penalty.penalties.get(due, ZERO)
        for due, amount in _bills_by_due_date(session, facility.id).items()
    }
    cutoff = session.scalar(
        select(func.min(Installment.due_date)).where(
            Installment.facility_id == facility.id,
            Installment.revision > 0,
            Installment.version == 0,
        )
    )
    compared = {due: amount for due, amount in billed.items() if cutoff is None or due < cutoff}
    calibration = Calibration(
        penalty=penalty,
        slug=facility.slug,
        currency=facility.currency,
        current=current,
        bills=len(compared),
        left_out=len(billed) - len(compared),
        due_span=(min(compared), max(compared)) if compared else None,
        fits=[],
    )
    if not compared or not draws:
        return calibration
    conventions = _conventions(draws, compared)
    # The facility's own terms are always tried: when they reproduce the bills, nothing changes
    # (a first-period rule is not tried otherwise where no day is fixed, yet may be the terms').
    if current not in conventions:
        conventions.append(current)
    fits = [_fit(convention, draws, compared, calendar) for convention in conventions]
    # Best first: most bills matched, then the smallest difference, then the fewest changes.
    fits.sort(
        key=lambda fit: (fit.compared - fit.matched, fit.off_by, fit.convention.changes(current))
    )
    return replace(calibration, fits=fits)


def _bills_by_due_date(session: Session, facility_id: int) -> dict[date, Decimal]:
    """The facility's bills, summed per due date as the bill checks compare them."""
    totals: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for due_date, amount in session.execute(
        select(Bill.due_date, Bill.amount).where(
            Bill.facility_id == facility_id, current_bill_versions()
        )
    ):
        totals[due_date] += amount
    return dict(totals)


def _conventions(draws: list[Draw], bills: dict[date, Decimal]) -> list[Convention]:
    """Every convention worth trying: the first-period rule only where a day is fixed."""
    days: list[int | None] = [None]
    bill_days = {due.day for due in bills}
    if len(bill_days) == 1 and len(bills) > 1:
        (day,) = bill_days
        if any(draw.repayment_day != day for draw in draws):
            days.append(day)
    conventions = []
    for method, day_count, rounding, day in itertools.product(
        RepaymentMethod, DayCount, Rounding, days
    ):
        fixed = day is not None or any(draw.repayment_day is not None for draw in draws)
        periods = FirstPeriod if fixed and method.monthly else [FirstPeriod.NEXT_MONTH]
        for first_period in periods:
            conventions.append(Convention(method, day_count, rounding, first_period, day))
    return conventions


def _fit(
    convention: Convention,
    draws: list[Draw],
    bills: dict[date, Decimal],
    calendar: BusinessCalendar,
) -> Fit:
    """How the bills compare with the draws planned under ``convention``."""
    expected: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for draw in draws:
        repayment_day = (
            draw.repayment_day if convention.repayment_day is None else convention.repayment_day
        )
        for installment in plan_draw(
            draw.amount,
            rate_of(draw),
            draw.months,
            draw.drawn_on,
            convention.method,
            convention.day_count,
            repayment_day,
            rounding=convention.rounding,
            first_period=convention.first_period,
        ):
            if installment.amount > 0:
                due = installment.due_date
                # A bill on the due date, or on the business day a holiday moves it to.
                target = due if due in bills else calendar.next_business_day(due)
                expected[target] += installment.amount
    matched, off_by, largest = 0, ZERO, None
    for due, amount in sorted(bills.items()):
        difference = amount - expected.get(due, ZERO)
        if difference == 0:
            matched += 1
            continue
        off_by += abs(difference)
        if largest is None or abs(difference) > abs(largest[1]):
            largest = (due, difference)
    return Fit(convention, matched, len(bills), off_by, largest)
