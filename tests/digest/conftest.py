"""A small portfolio for the digest: three lines at two platforms, draws, a frozen line, alerts,
a ticket waiting on a platform. Monday 2026-12-07 09:00 in Shanghai is "now"."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.db import transaction
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility, get_facility
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.settings import Settings
from bot.tickets.changes import mark_sent
from bot.tickets.opening import open_ticket
from jobs.cycle import run_check_cycle

DANA = Actor("cli:dana", "cli")
ALICE = Actor("cli:alice", "cli")
ALERTS = "C0ALERTS"
TEAM = "C0FINANCE"
# Monday 7 December 2026, 09:00 in Shanghai: a working day.
MONDAY_NINE = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Portfolio:
    """The lines: two at Jiebei (one named in Chinese), one at a bank, posting to two channels."""

    settings: Settings
    calendar: BusinessCalendar


def _facility(session: Session, slug: str, platform: str, limit: str, **terms: object) -> None:
    add_facility(
        session,
        DANA,
        FacilityTerms(
            slug=slug,
            platform=platform,
            limit_amount=Decimal(limit),
            daily_rate=Decimal("0.0004"),
            repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
            day_count=DayCount.THIRTY,
            **terms,  # type: ignore[arg-type]
        ),
        now=datetime(2026, 10, 1, tzinfo=UTC),
    )


def _draw(session: Session, slug: str, amount: str, drawn_on: date, months: int) -> None:
    facility = get_facility(session, slug)
    record_draw(
        session,
        ALICE,
        facility,
        DrawRequest(amount=Decimal(amount), months=months, drawn_on=drawn_on),
        now=datetime.combine(drawn_on, datetime.min.time(), tzinfo=UTC).replace(hour=4),
    )


@pytest.fixture
def portfolio(sessions: sessionmaker[Session], database_url: str) -> Portfolio:
    """Jiebei 借呗主额度 (200,000; 60,000 drawn in two draws), Jiebei backup (50,000; frozen
    and 10,000 drawn), ICBC 工行经营贷 (100,000; 20,000 drawn); alerts found by the checks;
    ticket T-1 waiting on Jiebei."""
    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        LOANWATCH_DEFAULT_ALERT_CHANNEL=ALERTS,
    )
    calendar = settings.calendar()
    with transaction(sessions) as session:
        _facility(session, "jiebei-main", "jiebei", "200000.00", name="借呗主额度")
        _facility(session, "jiebei-backup", "jiebei", "50000.00")
        _facility(session, "icbc-loan", "icbc", "100000.00", name="工行经营贷", alert_channel=TEAM)
        _draw(session, "jiebei-main", "50000.00", date(2026, 11, 10), 12)
        _draw(session, "jiebei-main", "10000.00", date(2026, 12, 1), 6)
        _draw(session, "jiebei-backup", "10000.00", date(2026, 11, 20), 3)
        _draw(session, "icbc-loan", "20000.00", date(2026, 10, 12), 12)
        record_limit_reading(
            session,
            ALICE,
            get_facility(session, "jiebei-backup"),
            limit_amount=Decimal("0.00"),
            available=Decimal("0.00"),
            status=LimitStatus.FROZEN,
            now=MONDAY_NINE,
        )
    with transaction(sessions) as session:
        run_check_cycle(session, now=MONDAY_NINE, settings=settings, calendar=calendar)
    with transaction(sessions) as session:
        opened = open_ticket(
            session,
            ALICE,
            "jiebei-main",
            "bill for 12-10 not shown",
            now=MONDAY_NINE,
            calendar=calendar,
        )
        mark_sent(session, ALICE, opened.ticket.number, now=MONDAY_NINE, calendar=calendar)
    return Portfolio(settings, calendar)
