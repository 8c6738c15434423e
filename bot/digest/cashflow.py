"""The cash flow ahead: repayments due per week and facility, and the credit left available.

Weeks start on Monday; the first is the week of `today`, and holds every installment still
unpaid whose due date has passed (money owed now, however long ago it fell due; `overdue`
says how much of a line that is). Repayments are the ledger's unpaid installments (`scheduled`), as
their schedule says: principal, interest, amount. The available credit at the end of a week is
each facility's headroom once its installments due by then are repaid (the platforms restore a
line when it is repaid): its limit less what is still outstanding, never below zero, the limit
being the lower of the configured and the platform's latest (`bot.ledger.limits`, as the digest
and the checks read it), so a cut line's headroom is the cut's.
It is drawn for one currency, the one with the largest limits; a team with several currencies
reads the others in `loanwatch export cashflow`.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.i18n import _
from bot.ledger.limits import expected_available
from bot.ledger.portfolio import PositionLine, position_lines
from bot.models import Installment, InstallmentStatus

ZERO = Decimal("0.00")
WEEK = timedelta(days=7)
MAX_WEEKS = 104
DEFAULT_WEEKS = 13


@dataclass(frozen=True)
class CashflowLine:
    """What one facility's installments ask for in one week."""

    week_start: date
    facility: str  # the slug
    name: str  # as the team named it (often Chinese)
    currency: str
    principal: Decimal
    interest: Decimal
    overdue: Decimal = ZERO  # of the amount, what fell due before `today` and is unpaid

    @property
    def amount(self) -> Decimal:
        """Principal plus interest."""
        return self.principal + self.interest


@dataclass(frozen=True)
class Cashflow:
    """Repayments due per week by facility, and the available credit at the end of each week."""

    weeks: list[date]  # each week's Monday
    lines: list[CashflowLine]  # by week, then facility
    currency: str  # of `available`
    available: list[Decimal]  # one per week


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def check_weeks(weeks: int) -> int:
    """A number of weeks the cash flow can cover, or an InputError saying which are."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise InputError(
            _("--weeks must be between 1 and {most}, not {weeks}").format(
                most=MAX_WEEKS, weeks=weeks
            )
        )
    return weeks


def cashflow(
    session: Session, today: date, *, weeks: int = 13, positions: Sequence[PositionLine]
) -> Cashflow:
    """The cash flow of `positions`' facilities for `weeks` weeks from the week of `today`."""
    check_weeks(weeks)
    first = week_of(today)
    starts = [first + WEEK * n for n in range(weeks)]
    by_id = {p.id: p for p in positions}
    due = (
        select(
            Installment.facility_id,
            Installment.due_date,
            func.sum(Installment.principal),
            func.sum(Installment.interest),
        )
        .where(
            Installment.status == InstallmentStatus.SCHEDULED,
            Installment.due_date < first + WEEK * weeks,
        )
        .group_by(Installment.facility_id, Installment.due_date)
    )
    totals: dict[tuple[date, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for facility_id, due_date, principal, interest in session.execute(due):
        if facility_id in by_id:
            # Past due and unpaid: owed now, in the first week.
            total = totals[(max(week_of(due_date), first), facility_id)]
            total[0] += principal
            total[1] += interest
            if due_date < today:
                total[2] += principal + interest
    lines = sorted(
        (
            CashflowLine(week, by_id[fid].slug, by_id[fid].name, by_id[fid].currency, p, i, o)
            for (week, fid), (p, i, o) in totals.items()
        ),
        key=lambda line: (line.week_start, line.facility),
    )
    currency = _main_currency(positions)
    return Cashflow(starts, lines, currency, _available(positions, lines, starts, currency))


def _main_currency(positions: Sequence[PositionLine]) -> str:
    """The currency with the largest limits (CNY for an empty portfolio)."""
    limits: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in positions:
        limits[p.currency] += p.limit
    return max(sorted(limits), key=lambda c: limits[c]) if limits else "CNY"


def _available(
    positions: Sequence[PositionLine], lines: list[CashflowLine], starts: list[date], currency: str
) -> list[Decimal]:
    """The credit available at the end of each week, in `currency`: per facility, its limit
    less the principal still outstanding once that week's installments are repaid."""
    repaid: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.currency == currency:
            repaid[line.facility, line.week_start] += line.principal
    owed = {p.slug: p.outstanding for p in positions if p.currency == currency}
    available = []
    for start in starts:
        for slug in owed:
            owed[slug] -= repaid[slug, start]
        available.append(
            sum(
                (expected_available(p.limit, owed[p.slug]) for p in positions if p.slug in owed),
                ZERO,
            )
        )
    return available


def cashflow_rows(
    session: Session,
    *,
    weeks: int | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    **_options: Any,
) -> Iterator[dict[str, Any]]:
    """`loanwatch export cashflow`: one row per week and facility with something due."""
    if weeks is None or now is None or zone is None:
        raise InputError(_("the cash flow is for a number of weeks: give --weeks N (13)"))
    today = now.astimezone(zone).date()
    flow = cashflow(session, today, weeks=weeks, positions=position_lines(session))
    for line in flow.lines:
        yield {
            "week_start": line.week_start,
            "facility": line.facility,
            "principal": line.principal,
            "interest": line.interest,
            "amount": line.amount,
            "overdue": line.overdue,
        }
