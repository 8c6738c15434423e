"""`loanwatch facility|draw|repay|bill|limit`: the ledger, and what the platforms show."""

from datetime import date, datetime
from decimal import Decimal

import click

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.params import (
    AMOUNT,
    AMOUNT_OR_ZERO,
    ANNUAL_RATE,
    DUE_DATE,
    LIMIT_READING,
    MONTHS,
    RATE,
    REPAYMENT_ID,
    AmountType,
    DateType,
    TimeType,
    in_zone,
)
from bot.cli.render import (
    bill_recorded,
    bill_removed,
    draw_confirmed,
    repayment_summary,
    schedule,
)
from bot.cli.words import stamp, word
from bot.i18n import N_, _
from bot.i18n.formats import day
from bot.ledger.bills import remove_bill
from bot.ledger.confirmations import confirm_draw
from bot.ledger.draws import DrawRequest, current_installments, record_draw
from bot.ledger.facilities import facility_zone, get_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.ledger.repayments import (
    accept_repayment,
    placed_again,
    record_repayment,
    remove_repayment,
)
from bot.ledger.schedule import RepaymentMethod
from bot.ledger.terms import repayment_day_note
from bot.models import Facility, LimitReading
from bot.money import format_money

# "-5" must reach the amount parser, which says why it is refused, not click's option parser.
AMOUNT_ARGUMENTS = {"ignore_unknown_options": True}
METHODS = click.Choice([m.value for m in RepaymentMethod])


@click.group("draw", cls=TranslatedGroup, help=N_("Money taken from a facility."))
def draw_group() -> None:
    pass


@draw_group.command(
    "add",
    context_settings=AMOUNT_ARGUMENTS,
    help=N_("Log a draw of AMOUNT on FACILITY and print its repayment schedule."),
)
@click.argument("facility")
@click.argument("amount", type=AMOUNT)
@click.option("--months", required=True, type=MONTHS, help=N_("Term in months (1 to 360)."))
@click.option(
    "--on",
    "drawn_on",
    type=DateType(N_("drawn on")),
    help=N_("Draw date (default: today in the facility's zone)."),
)
@click.option("--method", type=METHODS, help=N_("Repayment method (default: the facility's)."))
@click.option("--daily-rate", type=RATE, help=N_("Daily rate (default: the facility's)."))
@click.option("--annual-rate", type=ANNUAL_RATE, help=N_("Annual rate instead: 0.035 or 3.5%."))
@click.option(
    "--basis",
    type=click.Choice(["360", "365"]),
    help=N_("Days in the annual rate's year (default 360)."),
)
@click.option("--note", help=N_("What the money is for."))
@click.option("--allow-over-limit", is_flag=True, help=N_("Log it even if it exceeds the limit."))
@click.pass_obj
def draw_add(
    state: CliState,
    facility: str,
    amount: Decimal,
    months: int,
    drawn_on: date | None,
    method: str | None,
    daily_rate: Decimal | None,
    annual_rate: Decimal | None,
    basis: str | None,
    note: str | None,
    allow_over_limit: bool,
) -> None:
    request = DrawRequest(
        amount=amount,
        months=months,
        drawn_on=drawn_on,
        repayment_method=RepaymentMethod(method) if method else None,
        daily_rate=daily_rate,
        note=note,
        allow_over_limit=allow_over_limit,
        annual_rate=annual_rate,
        rate_basis=None if basis is None else int(basis),
    )
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        repayment_day = target.repayment_day
        draw = record_draw(session, state.actor, target, request, now=state.now)
        installments = current_installments(session, draw)
        click.echo(schedule(draw, target, installments, state.settings.calendar()))
        if target.repayment_day != repayment_day:
            click.echo(_("note: {note}").format(note=repayment_day_note(target)), err=True)


@draw_group.command(
    "confirm",
    help=N_("Say that draw DRAW_ID's money arrived on FACILITY: draw_unconfirmed stops for it."),
)
@click.argument("facility")
@click.argument("draw_id", type=click.IntRange(min=1))
@click.option(
    "--at",
    "arrived_at",
    type=TimeType(N_("arrived at")),
    help=N_("When the money arrived (default: now)."),
)
@click.pass_obj
def draw_confirm(state: CliState, facility: str, draw_id: int, arrived_at: datetime | None) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility)
        zone = facility_zone(target)
        result = confirm_draw(
            session,
            state.actor,
            target,
            draw_id,
            now=state.now,
            arrived_at=in_zone(arrived_at, zone),
        )
        click.echo(draw_confirmed(result, target))


@click.group("repay", cls=TranslatedGroup, help=N_("Money paid back."))
def repay_group() -> None:
    pass


@repay_group.command(
    "add",
    context_settings=AMOUNT_ARGUMENTS,
    help=N_("Record a repayment of AMOUNT on FACILITY, as the platform collected it."),
)
@click.argument("facility")
@click.argument("amount", type=AMOUNT)
@click.option(
    "--on",
    "paid_on",
    type=DateType(N_("paid on")),
    help=N_("Payment date (default: today in the facility's zone)."),
)
@click.option(
    "--penalty",
    type=AmountType(N_("penalty"), allow_zero=True),
    help=N_("Penalty interest (罚息) the platform itemised (default: loanwatch computes it)."),
)
@click.option(
    "--fee", type=AmountType(N_("fee"), allow_zero=True), help=N_("A fee the platform itemised.")
)
@click.option("--note")
@click.pass_obj
def repay_add(
    state: CliState,
    facility: str,
    amount: Decimal,
    paid_on: date | None,
    penalty: Decimal | None,
    fee: Decimal | None,
    note: str | None,
) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        repayment = record_repayment(
            session,
            state.actor,
            target,
            amount,
            now=state.now,
            paid_on=paid_on,
            note=note,
            penalty=penalty,
            fee=fee,
            calendar=state.settings.calendar(),
        )
        click.echo(repayment_summary(repayment, target, placed_again(session, repayment)))


@repay_group.command(
    "remove", help=N_("Remove a repayment recorded by mistake; the ones after it are placed again.")
)
@click.argument("facility")
@click.argument("repayment_id", metavar="REPAYMENT_ID", type=REPAYMENT_ID)
@click.option("--reason", required=True, help=N_("Why it goes (a typo, a double entry)."))
@click.pass_obj
def repay_remove(state: CliState, facility: str, repayment_id: int, reason: str) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        removed = remove_repayment(
            session,
            state.actor,
            target,
            repayment_id,
            reason=reason,
            now=state.now,
            calendar=state.settings.calendar(),
        )
        click.echo(
            _("removed repayment #{id} on {facility} ({amount} on {paid})").format(
                id=repayment_id,
                facility=target.slug,
                amount=format_money(removed.amount, target.currency),
                paid=day(removed.paid_on),
            )
        )


@repay_group.command(
    "accept",
    help=N_("Accept a repayment's unexplained amount: its repayment_mismatch alert clears."),
)
@click.argument("facility")
@click.argument("repayment_id", metavar="REPAYMENT_ID", type=REPAYMENT_ID)
@click.option("--reason", required=True, help=N_("Why the difference is right."))
@click.pass_obj
def repay_accept(state: CliState, facility: str, repayment_id: int, reason: str) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        accepted = accept_repayment(
            session, state.actor, target, repayment_id, reason=reason, now=state.now
        )
        click.echo(
            _("accepted {amount} unexplained on repayment #{id} on {facility}: {reason}").format(
                amount=format_money(accepted.unexplained, target.currency),
                id=accepted.id,
                facility=target.slug,
                reason=reason,
            )
        )


@click.group("bill", cls=TranslatedGroup, help=N_("Bills as the platform shows them."))
def bill_group() -> None:
    pass


@bill_group.command(
    "add",
    context_settings=AMOUNT_ARGUMENTS,
    help=N_("Record a bill FACILITY shows: due DUE_DATE for AMOUNT."),
)
@click.argument("facility")
@click.argument("due_date", type=DUE_DATE)
@click.argument("amount", type=AMOUNT_OR_ZERO)
@click.option("--paid", is_flag=True, help=N_("The platform shows it as paid."))
@click.option("--reference", help=N_("The platform's bill number, if it shows one."))
@click.pass_obj
def bill_add(
    state: CliState,
    facility: str,
    due_date: date,
    amount: Decimal,
    paid: bool,
    reference: str | None,
) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        result = record_bill(
            session,
            state.actor,
            target,
            due_date=due_date,
            amount=amount,
            paid=paid,
            now=state.now,
            reference=reference,
        )
        click.echo(bill_recorded(result, target))


@bill_group.command(
    "remove",
    help=N_("Remove the bill FACILITY has due DUE_DATE, entered by mistake; kept as history."),
)
@click.argument("facility")
@click.argument("due_date", type=DUE_DATE)
@click.option("--reason", required=True, help=N_("Why it goes (a typo…), for the audit trail."))
@click.option("--reference", help=N_("Which bill, when several are due that day."))
@click.pass_obj
def bill_remove(
    state: CliState, facility: str, due_date: date, reason: str, reference: str | None
) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility, for_update=True)
        bill = remove_bill(
            session,
            state.actor,
            target,
            due_date=due_date,
            reason=reason,
            reference=reference,
            now=state.now,
        )
        click.echo(bill_removed(bill, target))


@click.group("limit", cls=TranslatedGroup, help=N_("Limit readings as the platform shows them."))
def limit_group() -> None:
    pass


@limit_group.command(
    "add",
    context_settings=AMOUNT_ARGUMENTS,
    help=N_("Record the LIMIT FACILITY shows (0 is a real reading: a frozen line shows it)."),
)
@click.argument("facility")
@click.argument("limit_amount", metavar="LIMIT", type=LIMIT_READING)
@click.option(
    "--available",
    type=AmountType(N_("available"), allow_zero=True),
    help=N_("Available amount the platform shows."),
)
@click.option(
    "--status",
    type=click.Choice([s.value for s in LimitStatus]),
    default="active",
    show_default=True,
)
@click.option(
    "--at",
    "observed_at",
    type=TimeType(N_("observed at")),
    help=N_("When it was seen (default: now)."),
)
@click.pass_obj
def limit_add(
    state: CliState,
    facility: str,
    limit_amount: Decimal,
    available: Decimal | None,
    status: str,
    observed_at: datetime | None,
) -> None:
    with state.transaction() as session:
        target = get_facility(session, facility)
        result = record_limit_reading(
            session,
            state.actor,
            target,
            limit_amount=limit_amount,
            available=available,
            status=LimitStatus(status),
            observed_at=in_zone(observed_at, facility_zone(target)),
            now=state.now,
        )
        click.echo(reading_recorded(result.row, target, new=result.new))


def reading_recorded(reading: LimitReading, target: Facility, *, new: bool) -> str:
    """What `limit add` answers: the reading recorded (or already had), limit and available."""
    facts = {
        "facility": target.slug,
        "at": stamp(reading.observed_at, facility_zone(target)),
        "limit": format_money(reading.limit_amount, target.currency),
        "status": word(reading.status),
    }
    if reading.available is not None:
        facts["available"] = format_money(reading.available, target.currency)
        said = (
            _(
                "recorded reading on {facility} at {at}: limit {limit}, available {available}, "
                "{status}"
            )
            if new
            else _(
                "already had reading on {facility} at {at}: limit {limit}, available {available}, "
                "{status}"
            )
        )
    else:
        said = (
            _("recorded reading on {facility} at {at}: limit {limit}, {status}")
            if new
            else _("already had reading on {facility} at {at}: limit {limit}, {status}")
        )
    return said.format(**facts)


def register(cli: click.Group) -> None:
    """Add the ledger commands."""
    for group in (draw_group, repay_group, bill_group, limit_group):
        cli.add_command(group)
