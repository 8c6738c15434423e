"""`loanwatch demo`: a demo portfolio in a throwaway SQLite file, shown as finance reads it."""

import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.cli.render import positions_table, table
from bot.clock import utcnow
from bot.db import make_engine, session_factory, transaction, upgrade
from bot.ledger.draws import DrawRequest, outstanding_principal, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.ledger.portfolio import positions, upcoming_installments
from bot.ledger.repayments import record_repayment
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Facility, Installment
from bot.money import format_money

DEMO = Actor("demo:treasurer", "cli")


def build_portfolio(session: Session, now: datetime) -> None:
    """Three facilities the way a mid-sized company holds them, with a few months of history."""
    today = now.date()

    def months_ago(n: int, day: int) -> date:
        month = today.month - n
        year = today.year + (month - 1) // 12
        return date(year, (month - 1) % 12 + 1, day)

    jiebei = add_facility(
        session,
        DEMO,
        FacilityTerms(
            slug="jiebei-main",
            platform="jiebei",
            limit_amount=Decimal("300000.00"),
            daily_rate=Decimal("0.0004"),
            name="借呗 working capital line",
        ),
        now=now,
    )
    weilidai = add_facility(
        session,
        DEMO,
        FacilityTerms(
            slug="weilidai-ops",
            platform="weilidai",
            limit_amount=Decimal("200000.00"),
            daily_rate=Decimal("0.00035"),
            day_count=DayCount.ACTUAL,
            name="微粒贷 operations line",
        ),
        now=now,
    )
    bank = add_facility(
        session,
        DEMO,
        FacilityTerms(
            slug="icbc-term",
            platform="icbc",
            limit_amount=Decimal("1000000.00"),
            daily_rate=Decimal("0.00012"),
            repayment_method=RepaymentMethod.INTEREST_FIRST,
            repayment_day=21,
            name="ICBC one-year working capital loan",
        ),
        now=now,
    )
    record_draw(
        session,
        DEMO,
        jiebei,
        DrawRequest(Decimal("50000.00"), 12, months_ago(3, 10), note="supplier deposit"),
        now=now,
    )
    record_draw(
        session,
        DEMO,
        jiebei,
        DrawRequest(Decimal("30000.00"), 6, months_ago(1, 25), note="payroll bridge"),
        now=now,
    )
    record_draw(
        session,
        DEMO,
        weilidai,
        DrawRequest(
            Decimal("80000.00"),
            12,
            months_ago(2, 5),
            RepaymentMethod.EQUAL_PRINCIPAL,
            note="inventory",
        ),
        now=now,
    )
    record_draw(
        session,
        DEMO,
        bank,
        DrawRequest(Decimal("500000.00"), 12, months_ago(4, 15), note="Q3 working capital"),
        now=now,
    )
    # Every installment that fell due was paid on its day, as billed; the next bills and a limit
    # reading came in.
    for facility in (jiebei, weilidai, bank):
        for installment in _installments_due(session, facility, before=today):
            record_repayment(
                session, DEMO, facility, installment.amount, paid_on=installment.due_date, now=now
            )
    for upcoming in upcoming_installments(session, on_or_after=today, limit=3):
        record_bill(
            session,
            DEMO,
            upcoming.facility,
            due_date=upcoming.installment.due_date,
            amount=upcoming.installment.amount,
            paid=False,
            now=now,
        )
    record_limit_reading(
        session,
        DEMO,
        jiebei,
        limit_amount=Decimal("300000.00"),
        available=jiebei.limit_amount - outstanding_principal(session, jiebei.id),
        status=LimitStatus.ACTIVE,
        observed_at=now - timedelta(hours=3),
        now=now,
    )


def _installments_due(session: Session, facility: Facility, *, before: date) -> list[Installment]:
    return list(
        session.scalars(
            select(Installment)
            .where(
                Installment.facility_id == facility.id,
                Installment.status == "scheduled",
                Installment.due_date < before,
            )
            .order_by(Installment.due_date, Installment.draw_id)
        )
    )


def show_portfolio(session: Session, today: date) -> str:
    """Facilities with limit / outstanding / available, then the next installments."""
    facilities = positions_table(positions(session))
    upcoming = [
        [
            u.installment.due_date.isoformat(),
            u.facility.slug,
            f"#{u.installment.draw_id}/{u.installment.seq}",
            format_money(u.installment.principal, u.facility.currency),
            format_money(u.installment.interest, u.facility.currency),
            format_money(u.installment.amount, u.facility.currency),
        ]
        for u in upcoming_installments(session, on_or_after=today, limit=8)
    ]
    installments = table(
        ["due", "facility", "draw/#", "principal", "interest", "amount"], upcoming, right={3, 4, 5}
    )
    return f"Facilities (by our ledger)\n\n{facilities}\n\nNext installments\n\n{installments}"


@click.command("demo")
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo database in this folder.",
)
def demo_command(keep: Path | None) -> None:
    """Build a demo portfolio in a fresh SQLite file and show it; no Slack account needed."""
    folder = keep or Path(tempfile.mkdtemp(prefix="loanwatch-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        build_portfolio(session, now)
    with transaction(sessions) as session:
        click.echo(show_portfolio(session, now.date()))
    engine.dispose()
    click.echo(f"\nThe demo database is {folder / 'demo.db'}; look around with")
    click.echo(f"  DATABASE_URL={url} .venv/bin/loanwatch facility list")


def register(cli: click.Group) -> None:
    """Add the demo command."""
    cli.add_command(demo_command)
