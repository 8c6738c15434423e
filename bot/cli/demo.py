"""`loanwatch demo`: a portfolio with planted faults, checked at a few moments, as finance sees it.

The story runs on a fixed timeline (Shanghai time), so every run prints the same thing (but
the API token, random as every token is, and the folder's name):

- 2026-11-28 09:00  three facilities with months of history; the first check finds a frozen
  bank line, a Weilidai bill for the wrong amount and Weilidai data gone stale.
- 2026-12-01 09:00  the next Jiebei bill should be visible and is not, the Jiebei limit has
  dropped, and yesterday's draw has no payout confirming it: new alerts.
- 2026-12-01 09:10  the treasurer acknowledges the missing bill.
- 2026-12-01 09:20  she opens ticket T-1 with Jiebei, which has only in-app customer service:
  loanwatch prints the Chinese text and the usage records to paste; she marks it sent.
- 2026-12-01 09:30  she opens T-2 with ICBC about the frozen line, by email: the demo's own SMTP
  server on 127.0.0.1 shows what the bank's mailbox received (bot/cli/demo_tickets.py).
- 2026-12-01 11:00  the bill appears; Weilidai corrects its wrong bill; the treasurer says the
  customs-duty money arrived: the next check resolves those alerts by itself, the ticket says
  so, and she closes it.
- 2026-12-01 11:15  what it would take to pay Jiebei off today.
- 2026-12-01 11:20  the daily digest, and its cash-flow chart written beside the database.
- 2026-12-01 11:30  an RPA robot posts the apps' limits to the ingest API; 11:40 two facilities
  get an owner and reading requests (bot/cli/demo_intake.py).
- 2026-12-02 10:00  the owners are asked: Same as last; Can't see it.
- 2026-12-03 09:00  ICBC has not answered: the follow-up mail answers the first one.
- 2026-12-03/04     the robot's next run; Can't see it twice more: `platform_unavailable`.
- 2026-12-04 16:00  the ICBC account's export through a saved mapping, imported twice.
- 2026-12-07 09:00  icbc-term's owner is asked if its bill appeared: Yes, as expected; 09:10 two
  draws logged from Slack; 10:00 a reading request unanswered, its one reminder at 12:00.
- 2026-12-08 09:30  no bill_missing for that bill; the drawers are asked if the money arrived:
  Yes, and No, which opens draw_unconfirmed at once (bot/cli/demo_requests.py).
- Then the IT admin's side: a backup of the database while in use, and the lines of /metrics
  read from it (bot/cli/demo_running.py).
"""

import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import acknowledge, list_alerts
from bot.alerts.checks import Check
from bot.alerts.said import check_name, severity_name, state_name, summary_of
from bot.cli.demo_intake import (
    bank_statement,
    first_requests,
    intake_until_owners,
    platform_down,
)
from bot.cli.demo_requests import arrivals, bill_request, reminder, slack_draws
from bot.cli.demo_running import running
from bot.cli.demo_tickets import (
    DEMO,
    EMAIL_TICKET_OPENED,
    FOLLOW_UP,
    TICKET_OPENED,
    DemoMailbox,
    at,
    chapter,
    check,
    close_manual_ticket,
    deliver,
    follow_up,
    heading,
    open_email_ticket,
    open_manual_ticket,
    say,
    shell,
)
from bot.cli.demo_words import ALERT_HEADERS, INSTALLMENT_HEADERS, headers
from bot.cli.helptexts import TranslatedCommand
from bot.cli.render import (
    bill_recorded,
    draw_confirmed,
    payoff_summary,
    positions_table,
    table,
)
from bot.db import make_engine, transaction, upgrade
from bot.digest.chart import cashflow_png
from bot.digest.sending import digest_for
from bot.digest.text import chart_title, digest_text
from bot.i18n import N_, _
from bot.i18n.formats import day, money
from bot.ledger.confirmations import confirm_draw
from bot.ledger.draws import DrawRequest, outstanding_principal, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility, get_facility
from bot.ledger.observations import (
    LimitStatus,
    record_bill,
    record_draw_confirmation,
    record_limit_reading,
)
from bot.ledger.portfolio import positions, upcoming_installments
from bot.ledger.repayments import record_repayment
from bot.ledger.repayments.payoff import payoff_quote
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Draw, Facility, Installment, InstallmentStatus
from bot.sessions import session_factory
from bot.settings import Settings

D = Decimal

HISTORY = at("2026-07-01 09:00")  # the facilities are added
FIRST_CHECK = at("2026-11-28 09:00")
SECOND_CHECK = at("2026-12-01 09:00")
ACKNOWLEDGED = at("2026-12-01 09:10")
BILL_ARRIVES = at("2026-12-01 11:00")
PAYOFF = at("2026-12-01 11:15")
DIGEST = at("2026-12-01 11:20")


def build_portfolio(session: Session) -> None:
    """Three facilities with a few months of history, as of the first check, with faults planted."""
    jiebei, weilidai, bank = _facilities(session)
    _confirmed_draws(session, jiebei, weilidai, bank)
    # Fault: a draw logged yesterday that no payout confirms yet.
    _draw(session, jiebei, "20000.00", 3, "2026-11-27", note="customs duty")
    # Every installment that fell due was billed and paid on its day.
    for line in (jiebei, weilidai, bank):
        _billed_and_paid_before(session, line, FIRST_CHECK.date())
    _weilidai_overbills_then_goes_quiet(session, weilidai)
    _bank_line_frozen(session, bank)
    _jiebei_limit_drops(session, jiebei)


def _facility(
    session: Session, slug: str, platform: str, limit: str, rate: str, **terms: object
) -> Facility:
    """A facility added when the history starts; `terms` as `FacilityTerms` takes them."""
    terms_of = FacilityTerms(slug, platform, D(limit), daily_rate=D(rate), **terms)  # type: ignore[arg-type]
    return add_facility(session, DEMO, terms_of, now=HISTORY)


def _facilities(session: Session) -> tuple[Facility, Facility, Facility]:
    """Jiebei and Weilidai credit lines and a bank loan, added when the history starts."""
    jiebei = _facility(
        session, "jiebei-main", "jiebei", "300000.00", "0.0004", name=_("借呗 working capital")
    )
    weilidai = _facility(
        session,
        "weilidai-ops",
        "weilidai",
        "200000.00",
        "0.00035",
        day_count=DayCount.ACTUAL,
        thresholds={"confirm_window_hours": "48"},  # WeBank can take two days to pay out
    )
    bank = _facility(
        session,
        "icbc-term",
        "icbc",
        "1000000.00",
        "0.00012",
        repayment_method=RepaymentMethod.INTEREST_FIRST,
        repayment_day=21,
        thresholds={"bill_lead_days": "14"},  # the bank's notice comes two weeks ahead
    )
    return jiebei, weilidai, bank


def _draw(
    session: Session, line: Facility, amount: str, months: int, on: str, **options: object
) -> Draw:
    """A draw logged at 10:00 on the day it was made."""
    request = DrawRequest(D(amount), months, date.fromisoformat(on), **options)  # type: ignore[arg-type]
    return record_draw(session, DEMO, line, request, now=at(f"{on} 10:00"))


def _confirmed_draws(
    session: Session, jiebei: Facility, weilidai: Facility, bank: Facility
) -> None:
    """Four draws over the months, each confirmed by its payout five minutes after it was logged."""
    confirmed = [
        _draw(session, jiebei, "50000.00", 12, "2026-08-10", note="supplier deposit"),
        _draw(session, jiebei, "30000.00", 6, "2026-10-25", note="payroll bridge"),
        _draw(
            session,
            weilidai,
            "80000.00",
            12,
            "2026-09-05",
            repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
        ),
        _draw(session, bank, "500000.00", 12, "2026-07-15", note=_("Q3 working capital")),
    ]
    for made in confirmed:
        payout = at(f"{made.drawn_on.isoformat()} 10:05")
        record_draw_confirmation(
            session,
            DEMO,
            made.facility,
            occurred_at=payout,
            amount=made.amount,
            external_ref=f"PAYOUT-{made.id}",
            description="放款",
            now=payout,
        )


def _billed_and_paid_before(session: Session, line: Facility, day: date) -> None:
    """Each installment due before `day` billed at 08:00 on its due date and paid that day."""
    for installment in _scheduled(session, line, due_before=day):
        seen = at(f"{installment.due_date.isoformat()} 08:00")
        record_bill(session, DEMO, line, due_date=installment.due_date,
                    amount=installment.amount, paid=True, now=seen)  # fmt: skip
        record_repayment(session, DEMO, line, installment.amount,
                         paid_on=installment.due_date, now=seen)  # fmt: skip


def _weilidai_overbills_then_goes_quiet(session: Session, weilidai: Facility) -> None:
    """Fault: Weilidai bills its next installment 50.00 too high, and then goes quiet."""
    [next_weilidai] = _scheduled(session, weilidai, count=1)
    quiet_since = at("2026-11-25 08:00")
    record_bill(session, DEMO, weilidai, due_date=next_weilidai.due_date,
                amount=next_weilidai.amount + D("50.00"), paid=False, now=quiet_since)  # fmt: skip
    _healthy_reading(session, weilidai, quiet_since)


def _bank_line_frozen(session: Session, bank: Facility) -> None:
    """Fault: the bank line shows frozen at 0 on the 28th and again on the 30th."""
    for seen in (at("2026-11-28 08:00"), at("2026-11-30 08:00")):
        record_limit_reading(session, DEMO, bank, limit_amount=D("0.00"), available=D("0.00"),
                             status=LimitStatus.FROZEN, observed_at=seen, now=seen)  # fmt: skip


def _jiebei_limit_drops(session: Session, jiebei: Facility) -> None:
    """Fault: Jiebei is healthy on the 28th; its limit drops to 200,000 on the 30th.

    Its next bill (due 2026-12-10) never shows up until the end of the story.
    """
    _healthy_reading(session, jiebei, at("2026-11-28 08:00"))
    dropped = at("2026-11-30 08:00")
    record_limit_reading(
        session,
        DEMO,
        jiebei,
        limit_amount=D("200000.00"),
        available=D("200000.00") - outstanding_principal(session, jiebei.id),
        observed_at=dropped,
        now=dropped,
    )


def _healthy_reading(session: Session, line: Facility, seen: datetime) -> None:
    record_limit_reading(
        session,
        DEMO,
        line,
        limit_amount=line.limit_amount,
        available=line.limit_amount - outstanding_principal(session, line.id),
        observed_at=seen,
        now=seen,
    )


def _scheduled(
    session: Session, line: Facility, *, due_before: date | None = None, count: int | None = None
) -> list[Installment]:
    """The facility's unpaid installments, soonest first: those due before `due_before`, or
    the first `count`."""
    query = select(Installment).where(
        Installment.facility_id == line.id, Installment.status == InstallmentStatus.SCHEDULED
    )
    if due_before is not None:
        query = query.where(Installment.due_date < due_before)
    return list(
        session.scalars(query.order_by(Installment.due_date, Installment.draw_id).limit(count))
    )


def the_platforms_catch_up(session: Session) -> str:
    """11:00: Jiebei's missing bill appears, Weilidai shows its bill corrected to what the ledger
    expects, and the treasurer says the customs-duty draw arrived the day it was made."""
    jiebei, weilidai = get_facility(session, "jiebei-main"), get_facility(session, "weilidai-ops")
    answers = []
    for line in (jiebei, weilidai):
        [due] = _scheduled(session, line, count=1)
        shown = record_bill(session, DEMO, line, due_date=due.due_date, amount=due.amount,
                            paid=False, now=BILL_ARRIVES)  # fmt: skip
        answers.append(bill_recorded(shown, line))
    customs = session.scalars(select(Draw).where(Draw.note == "customs duty")).one()
    arrived = confirm_draw(
        session, DEMO, jiebei, customs.id, now=BILL_ARRIVES, arrived_at=at("2026-11-27 10:30")
    )
    answers.append(draw_confirmed(arrived, jiebei))
    return "\n".join(answers)


def show_portfolio(session: Session, today: date) -> str:
    """Facilities with limit / outstanding / available, then the next installments."""
    facilities = positions_table(positions(session))
    upcoming = [
        [
            day(u.installment.due_date, near=today),
            u.facility.slug,
            f"#{u.installment.draw_id}/{u.installment.seq}",
            money(u.installment.principal, u.facility.currency),
            money(u.installment.interest, u.facility.currency),
            money(u.installment.amount, u.facility.currency),
        ]
        for u in upcoming_installments(session, on_or_after=today, limit=8)
    ]
    installments = table(headers(INSTALLMENT_HEADERS), upcoming, right={3, 4, 5})
    return "\n\n".join(
        [_("Facilities (by our ledger)"), facilities, _("Next installments"), installments]
    )


@click.command(
    "demo",
    cls=TranslatedCommand,
    help=N_(
        "A demo portfolio with planted faults, checked over four days; no Slack account needed."
    ),
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("Keep the demo database in this folder."),
)
def demo_command(keep: Path | None) -> None:
    folder = keep or Path(tempfile.mkdtemp(prefix="loanwatch-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with DemoMailbox() as mailbox:  # the bank's mailbox, on 127.0.0.1
        _story(sessions, mailbox.settings(url), mailbox, folder)
    running(sessions, engine, folder)  # a backup, and the metrics (bot/cli/demo_running.py)
    engine.dispose()
    say("\n" + _("The demo database is {path}; look around with").format(path=folder / "demo.db"))
    shell(f"DATABASE_URL={url} .venv/bin/loanwatch alert list --state all", before=" ")


def _story(
    sessions: sessionmaker[Session], settings: Settings, mailbox: DemoMailbox, folder: Path
) -> None:
    """The portfolio, then each moment of the story as the module's docstring tells it."""
    with transaction(sessions) as session:
        build_portfolio(session)
    with transaction(sessions) as session:
        click.echo(show_portfolio(session, FIRST_CHECK.date()))

    chapter(FIRST_CHECK, _("the first check"))
    check(sessions, settings, FIRST_CHECK)
    chapter(SECOND_CHECK, _("three days later"))
    check(sessions, settings, SECOND_CHECK)

    chapter(ACKNOWLEDGED, _("the treasurer acknowledges the missing bill"))
    with transaction(sessions) as session:
        [missing] = [a for a in list_alerts(session, "open") if a.check == Check.BILL_MISSING]
        acknowledge(session, DEMO, missing.id, now=ACKNOWLEDGED, policy=settings.alert_policy())
    deliver(sessions, settings, ACKNOWLEDGED)
    chapter(TICKET_OPENED, _("a ticket with Jiebei, sent by hand through its in-app service"))
    open_manual_ticket(sessions, settings, missing.id)
    chapter(EMAIL_TICKET_OPENED, _("a ticket with ICBC about the frozen line, sent by email"))
    open_email_ticket(sessions, settings, mailbox)

    chapter(
        BILL_ARRIVES,
        _(
            "Jiebei shows the bill, Weilidai corrects its own, the customs-duty money arrived; "
            "the next check resolves those alerts"
        ),
    )
    with transaction(sessions) as session:
        click.echo(the_platforms_catch_up(session))
    check(sessions, settings, BILL_ARRIVES + timedelta(minutes=5))
    close_manual_ticket(sessions, settings, BILL_ARRIVES + timedelta(minutes=10))

    chapter(PAYOFF, _("what paying Jiebei off today would take"))
    with transaction(sessions) as session:
        jiebei = get_facility(session, "jiebei-main")
        quote = payoff_quote(session, jiebei, PAYOFF.date(), settings.calendar(), now=PAYOFF)
        click.echo(payoff_summary(quote))

    chapter(DIGEST, _("the daily digest, with its {weeks}-week cash-flow chart").format(weeks=13))
    with transaction(sessions) as session:
        digest = digest_for(session, DIGEST, settings.digest_options(), None)
    click.echo(digest_text(digest))
    (folder / "cashflow.png").write_bytes(cashflow_png(digest.cashflow, title=chart_title(digest)))
    say("\n" + _("The chart is {path}.").format(path=folder / "cashflow.png"))

    robot = intake_until_owners(
        sessions, settings
    )  # the API, reading schedules (bot/cli/demo_intake.py)
    first_requests(sessions, settings)
    chapter(FOLLOW_UP, _("two business days without an answer from ICBC: a follow-up"))
    follow_up(sessions, settings, mailbox)
    platform_down(sessions, settings, robot)
    bank_statement(sessions)
    bill_request(sessions, settings)  # bills, draws, a reminder (bot/cli/demo_requests.py)
    slack_draws(sessions)
    reminder(sessions, settings)
    arrivals(sessions, settings)

    with transaction(sessions) as session:
        rows = [
            [
                str(a.id),
                severity_name(a.severity),
                state_name(a.state),
                check_name(a.check),
                _shortened(summary_of(a.summary, a.wording)),
            ]
            for a in list_alerts(session, "all")
        ]
    heading(_("Alerts at the end"))
    click.echo(table(headers(ALERT_HEADERS), rows))


def _shortened(summary: str, width: int = 110) -> str:
    """A summary cut to fit the end's table (`alert list` shows it whole)."""
    return summary if len(summary) <= width else summary[: width - 1] + "…"


def register(cli: click.Group) -> None:
    """Add the demo command."""
    cli.add_command(demo_command)
