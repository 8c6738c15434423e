"""`loanwatch facility add|set|list|calibrate`: credit lines and loans, and their terms."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli.context import CliState
from bot.cli.params import AMOUNT, ANNUAL_RATE, DATE, DAY_OF_MONTH, PENALTY, RATE
from bot.cli.render import (
    payoff_summary,
    positions_table,
    replanned_summary,
    replayed_summary,
)
from bot.ledger import facilities as facility_service
from bot.ledger.calibration import calibrate
from bot.ledger.facilities import FacilityTerms, facility_zone, get_facility
from bot.ledger.platforms import profile_for
from bot.ledger.portfolio import positions
from bot.ledger.reading_requests import set_readings
from bot.ledger.reading_schedule import parse_schedule, weekend_days
from bot.ledger.repayments.payoff import payoff_quote
from bot.ledger.replan import replan_draws
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)
from bot.ledger.term_changes import TermChanges, change_terms
from bot.ledger.terms import describe_terms
from bot.models import Facility, Repayment
from bot.money import format_money
from bot.oncall.rotations import set_facility_rotation

F = TypeVar("F", bound=Callable[..., Any])


def _choice(kind: type) -> click.Choice:
    return click.Choice([member.value for member in kind])


def _enum(kind: type, value: str | None) -> Any:
    return None if value is None else kind(value)


def term_options(default: str) -> Callable[[F], F]:
    """The terms `facility add` and `facility set` take; `default` says what one left out is."""
    options = [
        click.option("--daily-rate", type=RATE, help="Daily rate: 0.04% or 0.0004."),
        click.option("--annual-rate", type=ANNUAL_RATE, help="Annual rate instead: 3.5% or 0.035."),
        click.option(
            "--basis",
            type=click.Choice(["360", "365"]),
            help="Days in the annual rate's year (default 360, the PBoC's rule).",
        ),
        click.option("--method", type=_choice(RepaymentMethod), help=f"Method ({default})."),
        click.option("--day-count", type=_choice(DayCount), help=f"Day count ({default})."),
        click.option(
            "--rounding", type=_choice(Rounding), help=f"To the fen: half-up or down ({default})."
        ),
        click.option(
            "--first-period",
            type=_choice(FirstPeriod),
            help=f"First due date with a fixed repayment day ({default}).",
        ),
        click.option("--repayment-day", type=DAY_OF_MONTH, help="Fixed day of month."),
        click.option(
            "--repayment-day-rule",
            type=_choice(RepaymentDayRule),
            help=f"Without a fixed day: each draw's day, or the first draw's ({default}).",
        ),
        click.option(
            "--holiday-rule",
            type=_choice(HolidayRule),
            help=f"A due date on a holiday: collected then (none) or the next business day "
            f"(following) ({default}).",
        ),
        click.option(
            "--bill-critical-days",
            type=click.IntRange(0, 366),
            help="A missing bill turns critical this many days before its due date "
            "(default: LOANWATCH_BILL_CRITICAL_DAYS).",
        ),
        click.option(
            "--penalty-rate",
            type=PENALTY,
            help=f"Penalty interest (罚息) per overdue day, as a multiple of the rate: 1.5 or "
            f"1.5x; 0 for none ({default}).",
        ),
        click.option(
            "--penalty-on-interest/--penalty-on-principal",
            default=None,
            help=f"Whether penalty also accrues on overdue interest (compounding) ({default}).",
        ),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def reading_options(command: F) -> F:
    """`--owner` and `--readings`: who is asked for the platform's figures in Slack, and when."""
    command = click.option(
        "--readings",
        help="When the owner is asked for a reading, in the facility's zone: 'workdays 10:00', "
        "'daily 09:00' or 'mon,thu 09:30' (- to stop; docs/requests.md).",
    )(command)
    return click.option(
        "--owner", help="Slack user id (U…) asked for the readings (- for nobody)."
    )(command)


def _set_readings(
    state: CliState, session: Any, facility: Any, owner: str | None, readings: str | None
) -> None:
    """Apply --owner/--readings (audited) and say what the facility's requests are now."""
    if owner is None and readings is None:
        return
    if not set_readings(
        session, state.actor, facility, owner=owner, readings=readings, now=state.now
    ):
        click.echo(f"nothing changed: {facility.slug}'s reading requests are already those")
        return
    click.echo(readings_line(facility))
    weekend = [] if facility.readings is None else weekend_days(parse_schedule(facility.readings))
    if weekend:
        at = facility.readings.rpartition(" ")[2]
        click.echo(
            f"note: {' and '.join(weekend)} are asked only when they are working days (make-up "
            f"days, 调休), so nothing on an ordinary weekend; for every day, weekends too, give "
            f"'daily {at}'",
            err=True,
        )


def readings_line(facility: Facility) -> str:
    """Who is asked for the facility's readings and when (the demo says it too)."""
    if facility.readings is None:
        still = f" ({facility.reading_owner} is still asked about its bills)"
        return f"{facility.slug}: no reading requests{still if facility.reading_owner else ''}"
    return (
        f"{facility.slug}: {facility.reading_owner} is asked for a reading "
        f"{facility.readings} ({facility.timezone})"
    )


@click.group("facility")
def facility_group() -> None:
    """Credit lines and loans."""


@facility_group.command("add")
@click.argument("slug")
@click.option("--platform", required=True, help="Lender, e.g. jiebei, weilidai, icbc.")
@click.option("--limit", "limit_amount", required=True, type=AMOUNT, help="Credit limit.")
@click.option("--currency", default=FacilityTerms.currency, show_default=True)
@term_options("default: the platform's, see docs/ledger.md")
@click.option("--channel", help="Slack channel id for this facility's alerts.")
@click.option("--timezone", help="IANA time zone (default: LOANWATCH_TIMEZONE).")
@click.option("--name", help="A longer name for people (default: the slug).")
@click.option("--rotation", help="On-call rotation for its alerts (default: the default one).")
@reading_options
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a check threshold, e.g. bill_lead_days=5 (repeatable; see docs/checks.md).",
)
@click.pass_obj
def facility_add(
    state: CliState,
    slug: str,
    platform: str,
    limit_amount: Decimal,
    currency: str,
    channel: str | None,
    timezone: str | None,
    name: str | None,
    rotation: str | None,
    thresholds: tuple[str, ...],
    owner: str | None,
    readings: str | None,
    **terms: Any,
) -> None:
    """Add a facility SLUG at a platform; terms left out are the platform's (docs/ledger.md)."""
    overrides = {}
    for pair in thresholds:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--threshold")
        overrides[key.strip()] = value.strip()
    changes = _term_changes(terms)
    if changes.bill_critical_days is not None:
        overrides["bill_critical_days"] = str(changes.bill_critical_days)
    given = FacilityTerms.as_given(
        slug,
        platform.lower(),
        limit_amount,
        timezone=timezone or state.settings.timezone,
        currency=currency.upper(),
        daily_rate=changes.daily_rate,
        annual_rate=changes.annual_rate,
        rate_basis=changes.rate_basis,
        repayment_method=changes.repayment_method,
        day_count=changes.day_count,
        rounding=changes.rounding,
        first_period=changes.first_period,
        repayment_day=changes.repayment_day,
        repayment_day_rule=changes.repayment_day_rule,
        holiday_rule=changes.holiday_rule,
        penalty_multiplier=changes.penalty_multiplier,
        penalty_on_interest=changes.penalty_on_interest,
        alert_channel=channel,
        name=name,
        thresholds=overrides,
    )
    with state.transaction() as session:
        facility = facility_service.add_facility(session, state.actor, given, now=state.now)
        if rotation is not None:
            set_facility_rotation(session, state.actor, facility, rotation, now=state.now)
        click.echo(
            f"added {facility.slug} at {facility.platform.display_name}: limit "
            f"{format_money(facility.limit_amount, facility.currency)}, "
            f"{describe_terms(facility)}, {facility.timezone}"
        )
        _set_readings(state, session, facility, owner, readings)
        from_profile = _from_profile(facility.platform.name, changes)
        if from_profile:
            click.echo(
                f"note: {from_profile} from the {facility.platform.display_name} defaults; "
                f"once bills arrive, `loanwatch facility calibrate {facility.slug}` checks them",
                err=True,
            )
        if facility.daily_rate == 0:
            click.echo("note: no rate given, so draws on it accrue no interest", err=True)


@facility_group.command("set")
@click.argument("slug")
@term_options("unchanged if left out")
@click.option("--rotation", help="On-call rotation for its alerts (- for the default).")
@reading_options
@click.option(
    "--replan",
    is_flag=True,
    help="Also plan the draws already logged again under the terms, and place their "
    "repayments again (audited; the old schedules are kept as versions).",
)
@click.pass_obj
def facility_set(
    state: CliState,
    slug: str,
    rotation: str | None,
    owner: str | None,
    readings: str | None,
    replan: bool,
    **terms: Any,
) -> None:
    """Change SLUG's terms for the draws logged from now on (logged ones keep theirs, unless
    --replan)."""
    changes = _term_changes(terms)
    with state.transaction() as session:
        facility = get_facility(session, slug, for_update=True)
        _set_readings(state, session, facility, owner, readings)
        if rotation is not None:
            set_facility_rotation(session, state.actor, facility, rotation, now=state.now)
            shown = facility.oncall_rotation or "the default rotation"
            click.echo(f"{facility.slug}'s alerts escalate to {shown}")
        if changes.empty() and replan:
            _replan(state, session, facility)
            return
        if changes.empty() and (rotation, owner, readings) != (None, None, None):
            return
        rule = facility.holiday_rule
        if not change_terms(
            session,
            state.actor,
            facility,
            changes,
            now=state.now,
            calendar=state.settings.calendar(),
        ):
            click.echo(f"nothing changed: {facility.slug}'s terms are already those")
            return
        critical = facility.bill_critical_days
        more = (
            ""
            if critical is None
            else (
                f"; a missing bill is critical {critical} day{'' if critical == 1 else 's'} ahead"
            )
        )
        click.echo(f"updated {facility.slug}: {describe_terms(facility)}{more}")
        placed = 0
        if facility.holiday_rule != rule:  # change_terms placed the repayments again
            placed = session.scalar(
                select(func.count()).where(Repayment.facility_id == facility.id)
            )
        if placed or not replan:
            click.echo(replayed_summary(placed or 0, facility), err=not placed)
        if replan:
            _replan(state, session, facility)


def _replan(state: CliState, session: Session, facility: Facility) -> None:
    """Plan the facility's draws already logged again under its terms; say what changed."""
    done = replan_draws(session, state.actor, facility, state.settings.calendar(), now=state.now)
    click.echo(replanned_summary(done, facility))


@facility_group.command("list")
@click.pass_obj
def facility_list(state: CliState) -> None:
    """Facilities with limit, outstanding and available, by the ledger, and their terms."""
    with state.transaction() as session:
        current = positions(session)
        if not current:
            click.echo("no facilities yet; add one with `loanwatch facility add`")
            return
        click.echo(positions_table(current))


@facility_group.command("calibrate")
@click.argument("slug")
@click.pass_obj
def facility_calibrate(state: CliState, slug: str) -> None:
    """Which method, day count, rounding, first-period and penalty rule reproduce SLUG's bills."""
    with state.transaction() as session:
        facility = get_facility(session, slug)
        settings = state.settings
        click.echo(
            calibrate(session, facility, settings.calendar(), settings.thresholds()).report()
        )


@facility_group.command("payoff")
@click.argument("slug")
@click.option("--on", "on", type=DATE, help="The day to settle (default: today in its zone).")
@click.pass_obj
def facility_payoff(state: CliState, slug: str, on: date | None) -> None:
    """What settles SLUG on a day: principal, interest to the day, penalty, total."""
    with state.transaction() as session:
        facility = get_facility(session, slug)
        day = on or state.now.astimezone(facility_zone(facility)).date()
        quote = payoff_quote(session, facility, day, state.settings.calendar(), now=state.now)
        click.echo(payoff_summary(quote))


def _term_changes(options: dict[str, Any]) -> TermChanges:
    """The term options as typed, None where left out."""
    return TermChanges(
        daily_rate=options["daily_rate"],
        annual_rate=options["annual_rate"],
        rate_basis=None if options["basis"] is None else int(options["basis"]),
        repayment_method=_enum(RepaymentMethod, options["method"]),
        day_count=_enum(DayCount, options["day_count"]),
        rounding=_enum(Rounding, options["rounding"]),
        first_period=_enum(FirstPeriod, options["first_period"]),
        repayment_day=options["repayment_day"],
        repayment_day_rule=_enum(RepaymentDayRule, options["repayment_day_rule"]),
        holiday_rule=_enum(HolidayRule, options["holiday_rule"]),
        bill_critical_days=options["bill_critical_days"],
        penalty_multiplier=options["penalty_rate"],
        penalty_on_interest=options["penalty_on_interest"],
    )


_PROFILE_TERMS = {
    "repayment_method": ("method", "method"),
    "day_count": ("day_count", "day count"),
    "rounding": ("rounding", "rounding"),
    "first_period": ("first_period", "first period"),
    "repayment_day_rule": ("repayment_day_rule", "repayment day"),
    "holiday_rule": ("holiday_rule", "holidays"),
    "penalty_multiplier": ("penalty_multiplier", "penalty rate"),
    "penalty_on_interest": ("penalty_on_interest", "penalty on interest"),
}


def _from_profile(platform: str, changes: TermChanges) -> str:
    """The terms a new facility took from its platform's profile, with their confidence."""
    profile = profile_for(platform)
    taken = []
    for term, (key, words) in _PROFILE_TERMS.items():
        if term == "repayment_day_rule" and changes.repayment_day is not None:
            continue  # a fixed repayment day makes the rule moot
        if getattr(changes, term) is None:
            value = getattr(profile, key)
            value = ("yes" if value else "no") if isinstance(value, bool) else value
            sureness = profile.confidence[key if key in profile.confidence else "penalty"]
            taken.append(f"{words} {value} ({sureness})")
    return ", ".join(taken)


def register(cli: click.Group) -> None:
    """Add the facility commands."""
    cli.add_command(facility_group)
