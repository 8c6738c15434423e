"""A clean quarter, replayed: `check --at` each business day at 10:00 finds only reminders.

The cast: a finance team with three lines, each on its platform's profile (docs/ledger.md):
Jiebei (actual days, truncated, the first draw's day), Weilidai (equal principal) and a bank
loan at ICBC (30-day months, the next business day for a due date on a holiday). Every draw is
logged the day it is drawn and its payout seen that day; every bill appears ten days before
its due date for exactly what the ledger expects; every installment is paid on the day the
platform collects it, and the bill is then seen paid; the limit is read every morning at 09:00.
The whole quarter is recorded first, each row at the moment it happened; then the checks run as
of each business day, 10:00. Nothing is wrong, so nothing but `bill_due_soon` may be found.

The limits are read on business-day mornings only, as a finance team does: weekends and the
Spring Festival must not make them stale (the freshness window counts business hours).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import record_bill, record_draw_confirmation, record_limit_reading
from bot.ledger.portfolio import positions
from bot.ledger.repayments import record_repayment
from bot.ledger.terms import effective_due_date
from bot.models import Facility, Installment, InstallmentStatus
from bot.thresholds import Thresholds
from jobs.checks import run_checks

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal
QUARTER = (date(2026, 1, 1), date(2026, 3, 31))
ONE_DAY = timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


@dataclass
class Quarter:
    """What happened, moment by moment: each event runs with `now` at its moment."""

    session: Session
    actor: Actor
    calendar: BusinessCalendar
    events: list[tuple[datetime, int, Callable[[datetime], None]]] = field(default_factory=list)

    def at(self, moment: datetime, event: Callable[[datetime], None]) -> None:
        self.events.append((moment, len(self.events), event))

    def run_until(self, last: datetime) -> None:
        """Play the events in time order; an event may schedule later ones."""
        while self.events:
            self.events.sort(key=lambda event: event[:2])
            moment, _, event = self.events.pop(0)
            if moment > last:
                break
            event(moment)
            self.session.flush()


def line(session: Session, actor: Actor, slug: str, platform: str, limit: str) -> Facility:
    """A facility on its platform's profile, set up well before the quarter."""
    terms = FacilityTerms.as_given(
        slug, platform, D(limit), timezone="Asia/Shanghai", daily_rate=D("0.0004")
    )
    return add_facility(session, actor, terms, now=at(date(2025, 12, 1), 9))


def draw_on(quarter: Quarter, facility: Facility, amount: str, months: int, day: date) -> None:
    """Drawn and logged at 11:00, the payout seen at 11:30; its bills and payments follow."""
    session, actor = quarter.session, quarter.actor

    def log(now: datetime) -> None:
        draw = record_draw(session, actor, facility, DrawRequest(D(amount), months, day), now=now)
        for installment in draw.installments:
            bill_and_pay(quarter, facility, installment)
        quarter.at(now + timedelta(minutes=30), lambda later: confirm(later, draw.amount))

    def confirm(now: datetime, paid_out: Decimal) -> None:
        record_draw_confirmation(
            session,
            actor,
            facility,
            occurred_at=at(day, 11),
            amount=paid_out,
            external_ref=f"P-{facility.slug}-{day.isoformat()}",
            description=None,
            now=now,
        )

    quarter.at(at(day, 11), log)


def bill_and_pay(quarter: Quarter, facility: Facility, installment: Installment) -> None:
    """The bill appears ten days before its due date; paid on the day it is collected.

    One bill per due date, as the platforms show it: with two draws due that day, their
    installments summed.
    """
    session, actor, calendar = quarter.session, quarter.actor, quarter.calendar
    due = installment.due_date
    collected = effective_due_date(facility, due, calendar)

    def owed(*statuses: InstallmentStatus) -> Decimal:
        amounts = select(Installment.amount).where(
            Installment.facility_id == facility.id,
            Installment.due_date == due,
            Installment.status.in_(statuses),
        )
        return sum(session.scalars(amounts), D("0.00"))

    def bill(now: datetime, paid: bool = False) -> None:
        billed = owed(InstallmentStatus.SCHEDULED, InstallmentStatus.PAID)
        record_bill(session, actor, facility, due_date=collected, amount=billed, paid=paid, now=now)

    def pay(now: datetime) -> None:
        # The day's installments in one payment (the first of them to come up pays for all).
        if unpaid := owed(InstallmentStatus.SCHEDULED):
            record_repayment(session, actor, facility, unpaid, paid_on=collected, now=now)
        bill(now + timedelta(minutes=5), paid=True)

    quarter.at(at(due - timedelta(days=10), 9, 15), bill)
    quarter.at(at(collected, 9, 30), pay)


def read_limits_on_business_mornings(quarter: Quarter, facilities: list[Facility]) -> None:
    """09:00 each business day: the limit, and available = limit − what the ledger owes."""

    def read(now: datetime) -> None:
        owed = {p.facility.id: p.outstanding for p in positions(quarter.session)}
        for facility in facilities:
            record_limit_reading(
                quarter.session,
                quarter.actor,
                facility,
                limit_amount=facility.limit_amount,
                available=facility.limit_amount - owed[facility.id],
                now=now,
            )

    day = date(2025, 12, 1) + ONE_DAY
    while day <= QUARTER[1]:
        if quarter.calendar.is_business_day(day):
            quarter.at(at(day, 9), read)
        day += ONE_DAY


def test_a_clean_quarter_replayed_day_by_day_finds_only_due_soon_reminders(
    session: Session, alice: Actor
) -> None:
    """Every business day of 2026-Q1 at 10:00, as of then: no finding but `bill_due_soon`."""
    calendar = BusinessCalendar()
    quarter = Quarter(session, alice, calendar)
    jiebei = line(session, alice, "jiebei-ops", "jiebei", "100000.00")
    weilidai = line(session, alice, "weilidai-ops", "weilidai", "200000.00")
    bank = line(session, alice, "icbc-loan", "icbc", "500000.00")
    draw_on(quarter, jiebei, "30000.00", 12, date(2025, 12, 22))
    draw_on(quarter, jiebei, "20000.00", 6, date(2026, 2, 3))
    draw_on(quarter, weilidai, "50000.00", 10, date(2026, 1, 6))
    draw_on(quarter, bank, "300000.00", 12, date(2025, 12, 15))
    read_limits_on_business_mornings(quarter, [jiebei, weilidai, bank])
    quarter.run_until(at(QUARTER[1], 23, 59))

    found: dict[str, list[str]] = defaultdict(list)
    reminders = 0
    day = QUARTER[0]
    while day <= QUARTER[1]:
        if calendar.is_business_day(day):
            for finding in run_checks(session, at(day, 10), Thresholds(), calendar):
                if finding.check == "bill_due_soon":
                    reminders += 1
                else:
                    found[day.isoformat()].append(f"{finding.check}: {finding.summary}")
        day += ONE_DAY

    assert dict(found) == {}
    assert reminders > 0
    # The quarter really was lived: every installment due in it was paid when collected.
    due_in_quarter = session.scalars(
        select(Installment.status).where(Installment.due_date.between(*QUARTER))
    ).all()
    assert len(due_in_quarter) >= 9
    assert set(due_in_quarter) == {InstallmentStatus.PAID}
