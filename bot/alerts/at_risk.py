"""The money an alert puts at risk, read from the ledger (never from the alert's words).

One computation for every reader: the escalation's urgency (`bot.oncall.urgency`), the alert's
own message (`bot.alerts.notifier` puts it in the notice) and the daily digest
(`bot.digest.numbers`). By the alert's subject and check:

- a bill (`2026-12-10#b7`: `bill_due_soon`, `bill_overdue`, `bill_unexpected`, …): that bill's
  current amount (its latest version);
- a draw's installments (`2026-12-10#d3`: `bill_missing`): that draw's installments due that day;
- a bare due date (`2026-12-10`: `bill_amount_mismatch`): the facility's installments due that
  day, or, when the ledger expects nothing then, what the platform bills that day;
- a draw (`d3`: `draw_unconfirmed`): the draw's amount;
- a limit that fell (`limit_dropped`): the credit still undrawn under the cut limit (the
  lower of the configured and the shown limit, less outstanding, floored at zero:
  `bot.ledger.limits`, the rule the checks and the digest use) — what the next cut can take;
- a line that froze (`limit_frozen`): the undrawn credit the freeze withholds, by the same
  rule but without the frozen reading's own limit (a freeze shows 0, which is not a limit);
- anything else: nothing measured (no entry).

A due date brings a late fee a day, by the rule the ledger's penalty uses
(`bot.ledger.repayments.penalty`): the facility's penalty multiple × its rate for a day × the
principal due (and the interest due too when the facility's penalty accrues on interest); an
amount the ledger has no installments for counts whole. The money is overdue from the day after
the collection day (the due date moved by the facility's holiday rule), and is not overdue at
all when the ledger (every installment due that day) or the platform (the bill) shows it paid.
A few queries for any number of alerts, none per alert.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.risk_words import (
    PAID_IN_LEDGER,
    PAID_ON_PLATFORM,
    RiskKind,
    at_risk_fact_text,
    at_risk_text,
)
from bot.calendar import BusinessCalendar
from bot.db import among
from bot.i18n.wording import Money, Text, english
from bot.ledger.limits import expected_available
from bot.ledger.portfolio import PositionLine, position_lines
from bot.ledger.schedule import HolidayRule
from bot.ledger.terms import collection_date, rate_of
from bot.models import Bill, Draw, Facility, Installment, InstallmentStatus
from bot.money import round_fen

ZERO = Decimal("0.00")
UNDRAWN_CHECKS = frozenset({Check.LIMIT_DROPPED, Check.LIMIT_FROZEN})
_DATED = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:#([bd])([0-9]+))?")
_DRAW = re.compile(r"d([0-9]+)")


class AlertLike(Protocol):
    """What this reads of an alert: an `Alert`, or a snapshot of one opened in bulk."""

    @property
    def id(self) -> int: ...

    @property
    def check(self) -> str: ...

    @property
    def facility_id(self) -> int | None: ...

    @property
    def subject(self) -> str: ...


@dataclass(frozen=True)
class AtRisk:
    """What an alert puts at risk. For a due date: the facility's local `today` when it was
    computed, the business days to the collection day (None without a calendar; negative once
    past it), the late fee a day once overdue, the collection day and who shows it paid
    (`paid`: "in the ledger", "on the platform", None while unpaid)."""

    amount: Decimal
    currency: str
    kind: RiskKind
    due: date | None = None
    today: date | None = None
    business_days: int | None = None
    late_fee: Decimal = ZERO
    collected: date | None = None
    paid: str | None = None

    def _money(self) -> tuple[Money, Money | None]:
        fee = Money(self.late_fee, self.currency) if self.late_fee else None
        return Money(self.amount, self.currency), fee

    def words(self) -> str:
        """As of now: `¥4,498.77 due in 1 business day; late fee ≈ ¥2.70/day` (the English of
        :meth:`text`)."""
        return english(self.text())

    def text(self) -> Text:
        """As of now, worded (bot.i18n.wording): said again in any reader's language."""
        amount, fee = self._money()
        return at_risk_text(amount, self.kind, self.business_days, fee, self.paid)

    def fact_text(self) -> Text:
        """As a message that stays up shows it, worded (bot.i18n.wording)."""
        amount, fee = self._money()
        collected = self.collected or self.due
        overdue = collected is not None and self.today is not None and collected < self.today
        return at_risk_fact_text(amount, self.kind, self.due, collected, overdue, fee, self.paid)

    def fact(self) -> str:
        """As a message that stays up shows it: `¥4,498.77 due 2026-12-07; late fee ≈ …`."""
        return english(self.fact_text())

    def urgent(self, within: int) -> bool:
        """Due within `within` business days, or past due (and not shown paid)."""
        return self.paid is None and self.business_days is not None and self.business_days <= within


def business_days_until(calendar: BusinessCalendar, today: date, due: date) -> int:
    """Working days after `today` up to and including `due`; minus the calendar days past it."""
    if due < today:
        return -(today - due).days
    count, day = 0, today
    while day < due:
        day += timedelta(days=1)
        count += calendar.is_business_day(day)
    return count


@dataclass(frozen=True)
class _Subject:
    """An alert's subject, read: a due date and a bill or draw number, or a draw."""

    due: date | None
    kind: str | None  # "b", "d", or None
    number: int | None


def _read(alert: AlertLike) -> _Subject | None:
    subject = alert.subject or ""
    if dated := _DATED.fullmatch(subject):
        number = int(dated.group(3)) if dated.group(3) else None
        return _Subject(date.fromisoformat(dated.group(1)), dated.group(2), number)
    if drawn := _DRAW.fullmatch(subject):
        return _Subject(None, "draw", int(drawn.group(1)))
    return None


def due_date_of(alert: AlertLike) -> date | None:
    """The due date an alert's subject names (`2026-12-10`, `2026-12-10#b7`, `…#d3`), if any:
    alerts naming one due date of one facility are about one repayment."""
    subject = _read(alert)
    return subject.due if subject is not None else None


def money_at_risk(
    session: Session,
    alerts: Sequence[AlertLike],
    *,
    now: datetime,
    calendar: BusinessCalendar | None = None,
    positions: Mapping[int, PositionLine] | None = None,
    collection: BusinessCalendar | None = None,
) -> dict[int, AtRisk]:
    """Alert id → the money it puts at risk (alerts that measure none are left out).

    `calendar` counts the business days to a due date (left None without it, as a message that
    stays up has no count); the collection day of a due date on a holiday is read on
    `collection`, else on `calendar`, else on China's calendar as the library knows it.
    `positions` (facility id → position) saves reading them again when the caller has them.
    """
    on_facility = [a for a in alerts if a.facility_id is not None]
    read = {a.id: _read(a) for a in on_facility}
    facilities = _facilities(session, {a.facility_id for a in on_facility})
    undrawn = [a for a in on_facility if a.check in UNDRAWN_CHECKS]
    if undrawn and positions is None:
        positions = _positions(session, {a.facility_id for a in undrawn})
    amounts = _Amounts(session, [(a, s) for a in on_facility if (s := read[a.id]) is not None])
    found: dict[int, AtRisk] = {}
    for alert in on_facility:
        facility = facilities.get(alert.facility_id)  # type: ignore[arg-type]
        if facility is None:
            continue
        if alert.check in UNDRAWN_CHECKS:
            position = (positions or {}).get(facility.id)
            if position is not None:
                found[alert.id] = AtRisk(
                    _undrawn(alert, position), facility.currency, RiskKind.UNDRAWN
                )
            continue
        subject = read[alert.id]
        due = amounts.of(facility.id, subject) if subject is not None else None
        if due is None or subject is None:
            continue
        found[alert.id] = _risk(facility, subject, due, now, calendar, collection or calendar)
    return found


def _undrawn(alert: AlertLike, position: PositionLine) -> Decimal:
    """The undrawn credit a limit alert puts at risk (see the module's docstring)."""
    if alert.check == Check.LIMIT_FROZEN:
        return expected_available(position.limit_amount, position.outstanding)
    return position.available


class _Due(NamedTuple):
    """An amount a subject names; for a due date, the ledger's principal and interest due then
    (None when the ledger has no installments then) and who shows it paid."""

    amount: Decimal
    principal: Decimal | None = None
    interest: Decimal | None = None
    paid: str | None = None


def _risk(
    facility: Any,
    subject: _Subject,
    due: _Due,
    now: datetime,
    calendar: BusinessCalendar | None,
    collection: BusinessCalendar | None,
) -> AtRisk:
    amount = Decimal(due.amount).quantize(ZERO)
    if subject.due is None:
        return AtRisk(amount, facility.currency, RiskKind.DRAW)
    today = now.astimezone(ZoneInfo(facility.timezone)).date()
    # One rule for when it is collected (and overdue from the day after), with or without a
    # count of business days: the alert's own message asks for no count.
    rule = HolidayRule(facility.holiday_rule)
    collected = collection_date(subject.due, rule, collection or BusinessCalendar())
    days = business_days_until(calendar, today, collected) if calendar else None
    fee = ZERO if due.paid else late_fee_a_day(facility, amount, due.principal, due.interest)
    return AtRisk(
        amount,
        facility.currency,
        RiskKind.DUE,
        subject.due,
        today,
        days,
        fee,
        collected=collected,
        paid=due.paid,
    )


def late_fee_a_day(
    facility: Any, amount: Decimal, principal: Decimal | None, interest: Decimal | None
) -> Decimal:
    """A day's penalty on what is due, by the ledger's rule (`bot.ledger.repayments.penalty`):
    multiple × the rate for a day × the principal (plus the interest when the facility's
    penalty accrues on interest); `amount` whole when the ledger has no principal for it."""
    base = amount
    if principal is not None:
        base = principal + ((interest or ZERO) if facility.penalty_on_interest else ZERO)
    return round_fen(facility.penalty_multiplier * rate_of(facility).on(base, 1))


def _facilities(session: Session, ids: set[int | None]) -> dict[int, Any]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(
        select(
            Facility.id,
            Facility.currency,
            Facility.timezone,
            Facility.daily_rate,
            Facility.annual_rate,
            Facility.rate_basis,
            Facility.holiday_rule,
            Facility.penalty_multiplier,
            Facility.penalty_on_interest,
        ).where(among(session, Facility.id, wanted))
    )
    return {row.id: row for row in rows}


def _positions(session: Session, ids: set[int | None]) -> dict[int, PositionLine]:
    if len(ids) == 1:
        (only,) = ids
        return {p.id: p for p in position_lines(session, facility_id=only)}
    return {p.id: p for p in position_lines(session) if p.id in ids}


class _Amounts:
    """The ledger's amounts the alerts' subjects name, read in a few queries for all of them."""

    def __init__(self, session: Session, subjects: Iterable[tuple[AlertLike, _Subject]]) -> None:
        bills, draws, installments_of_draws, days = set(), set(), set(), set()
        facilities: set[int] = set()
        for alert, subject in subjects:
            if subject.kind == "b" and subject.number is not None:
                bills.add(subject.number)
            elif subject.kind == "draw" and subject.number is not None:
                draws.add(subject.number)
            elif subject.kind == "d" and subject.number is not None:
                installments_of_draws.add(subject.number)
            if subject.due is not None:
                days.add(subject.due)
                facilities.add(alert.facility_id)  # type: ignore[arg-type]
        self.bills = _bills(session, bills)
        self.draws = _by_id(session, Draw.id, Draw.amount, draws)
        self.draw_days = _draw_days(session, installments_of_draws)
        self.expected, self.billed = _facility_days(session, facilities, days)

    def of(self, facility_id: int, subject: _Subject) -> _Due | None:
        if subject.kind == "draw":
            drawn = self.draws.get(subject.number)
            return None if drawn is None else _Due(drawn)
        expected = self.expected.get((facility_id, subject.due))  # type: ignore[arg-type]
        if subject.kind == "b" and subject.number in self.bills:
            amount, paid_on_platform = self.bills[subject.number]
            paid = expected.paid if expected else None
            paid = paid or (PAID_ON_PLATFORM if paid_on_platform else None)
            if expected is None:
                return _Due(amount, paid=paid)
            return _Due(amount, expected.principal, expected.interest, paid)
        if subject.kind == "d" and (subject.number, subject.due) in self.draw_days:
            return self.draw_days[subject.number, subject.due]
        if expected:
            return expected
        billed = self.billed.get((facility_id, subject.due))  # type: ignore[arg-type]
        return None if billed is None else _Due(billed)


def _by_id(session: Session, key: Any, value: Any, ids: set[int]) -> dict[Any, Decimal]:
    if not ids:
        return {}
    rows = session.execute(select(key, value).where(among(session, key, sorted(ids))))
    return {k: v for k, v in rows}


def _bills(session: Session, numbers: set[int]) -> dict[int, tuple[Decimal, bool]]:
    """Bill number (its first version's id) → its current version's amount, and whether the
    platform shows it paid."""
    if not numbers:
        return {}
    wanted = sorted(numbers)
    rows = session.execute(
        select(Bill.id, Bill.origin_id, Bill.amount, Bill.paid)
        .where(
            among(session, Bill.id, wanted) | among(session, Bill.origin_id, wanted),
            Bill.superseded_at.is_(None),
        )
        .order_by(Bill.id)
    )
    found: dict[int, tuple[Decimal, bool]] = {}
    for bill_id, origin_id, amount, paid in rows:
        for number in (bill_id, origin_id):
            if number in numbers:
                found[number] = (amount, bool(paid))  # the latest version (highest id) wins
    return found


# What a day's installments sum to: amount, principal, interest, and how many are unpaid.
_DUE_SUMS = (
    func.sum(Installment.amount),
    func.sum(Installment.principal),
    func.sum(Installment.interest),
    func.sum(case((Installment.status == InstallmentStatus.PAID, 0), else_=1)),
)


def _due(amount: Any, principal: Any, interest: Any, unpaid: Any) -> _Due:
    return _Due(
        Decimal(amount),
        Decimal(principal),
        Decimal(interest),
        PAID_IN_LEDGER if not unpaid else None,
    )


def _draw_days(session: Session, draws: set[int]) -> dict[tuple[int, date], _Due]:
    if not draws:
        return {}
    rows = session.execute(
        select(Installment.draw_id, Installment.due_date, *_DUE_SUMS)
        .where(
            among(session, Installment.draw_id, sorted(draws)),
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
        .group_by(Installment.draw_id, Installment.due_date)
    )
    return {(d, day): _due(*sums) for d, day, *sums in rows}


def _facility_days(
    session: Session, facilities: set[int], days: set[date]
) -> tuple[dict[tuple[int, date], _Due], dict[tuple[int, date], Decimal]]:
    """(facility, day) → the installments due then, and → what the platform bills then."""
    if not facilities:
        return {}, {}
    expected: dict[tuple[int, date], _Due] = {}
    for facility_id, day, *sums in session.execute(
        select(Installment.facility_id, Installment.due_date, *_DUE_SUMS)
        .where(
            among(session, Installment.facility_id, sorted(facilities)),
            among(session, Installment.due_date, sorted(days)),
            Installment.status != InstallmentStatus.SUPERSEDED,
        )
        .group_by(Installment.facility_id, Installment.due_date)
    ):
        expected[facility_id, day] = _due(*sums)
    billed: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for facility_id, day, total in session.execute(
        select(Bill.facility_id, Bill.due_date, func.sum(Bill.amount))
        .where(
            among(session, Bill.facility_id, sorted(facilities)),
            among(session, Bill.due_date, sorted(days)),
            Bill.superseded_at.is_(None),
        )
        .group_by(Bill.facility_id, Bill.due_date)
    ):
        billed[facility_id, day] = Decimal(total)
    return dict(expected), dict(billed)
