"""`loanwatch facility add|set|list|calibrate|payoff`: credit lines and loans, and their terms.

The options the commands share are declared in `bot/cli/facility_options.py`; what they say,
in `bot/cli/facility_words.py`.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli.context import CliState
from bot.cli.facility_options import (
    limit_option,
    reading_options,
    term_changes,
    term_options,
    threshold_option,
    threshold_pairs,
)
from bot.cli.facility_words import (
    channel_line,
    from_profile,
    language_line,
    readings_line,
    rotation_line,
    thresholds_of,
    updated_line,
)
from bot.cli.helptexts import TranslatedGroup
from bot.cli.params import DateType
from bot.cli.render import (
    payoff_summary,
    positions_table,
    replanned_summary,
    replayed_summary,
)
from bot.cli.words import terms_words, word
from bot.errors import InputError
from bot.i18n import N_, _, parse_language
from bot.i18n.formats import big_money
from bot.languages import set_facility_language
from bot.ledger import facilities as facility_service
from bot.ledger.calibration import calibrate
from bot.ledger.facilities import (
    FacilityTerms,
    check_channel,
    facility_zone,
    get_facility,
    set_alert_channel,
)
from bot.ledger.portfolio import positions
from bot.ledger.reading_requests import set_readings
from bot.ledger.reading_schedule import parse_schedule, weekend_days
from bot.ledger.repayments.payoff import payoff_quote
from bot.ledger.replan import replan_draws
from bot.ledger.term_changes import TermChanges, change_terms
from bot.models import Facility, Repayment
from bot.oncall.rotations import set_facility_rotation


def _set_readings(
    state: CliState, session: Session, facility: Facility, owner: str | None, readings: str | None
) -> str | None:
    """Apply --owner/--readings (audited) and say what the facility's requests are now; the
    note for stderr, if any, comes back for the caller to print once the command succeeded."""
    if owner is None and readings is None:
        return None
    if not set_readings(
        session, state.actor, facility, owner=owner, readings=readings, now=state.now
    ):
        click.echo(
            _("nothing changed: {facility}'s reading requests are already those").format(
                facility=facility.slug
            )
        )
        return None
    click.echo(readings_line(facility))
    weekend = [] if facility.readings is None else weekend_days(parse_schedule(facility.readings))
    if not weekend:
        return None
    at = facility.readings.rpartition(" ")[2]
    return _(
        "note: {days} are asked only when they are working days (make-up days, 调休), so "
        "nothing on an ordinary weekend; for every day, weekends too, give 'daily {at}'"
    ).format(days=_(" and ").join(word(day) for day in weekend), at=at)


@click.group("facility", cls=TranslatedGroup, help=N_("Credit lines and loans."))
def facility_group() -> None:
    pass


@facility_group.command(
    "add",
    help=N_(
        "Add a facility SLUG at a platform; terms left out are the platform's (docs/ledger.md)."
    ),
)
@click.argument("slug")
@click.option("--platform", required=True, help=N_("Lender, e.g. jiebei, weilidai, icbc."))
@limit_option(required=True, says=N_("Credit limit."))
@click.option("--currency", default=FacilityTerms.currency, show_default=True)
@term_options(N_("default: the platform's, see docs/ledger.md"))
@click.option("--channel", help=N_("Slack channel id for this facility's alerts."))
@click.option("--timezone", help=N_("IANA time zone (default: LOANWATCH_TIMEZONE)."))
@click.option("--name", help=N_("A longer name for people (default: the slug)."))
@click.option("--rotation", help=N_("On-call rotation for its alerts (default: the default one)."))
@reading_options
@threshold_option()
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
    overrides = threshold_pairs(thresholds)
    changes = term_changes(terms)
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
            _("added {facility} at {platform}: limit {limit}, {terms}, {zone}").format(
                facility=facility.slug,
                platform=facility.platform.display_name,
                limit=big_money(facility.limit_amount, facility.currency),
                terms=terms_words(facility),
                zone=facility.timezone,
            )
        )
        readings_note = _set_readings(state, session, facility, owner, readings)
        if readings_note:
            click.echo(readings_note, err=True)
        taken = from_profile(facility.platform.name, changes)
        if taken:
            click.echo(
                _(
                    "note: {terms} from the {platform} defaults; once bills arrive, `loanwatch "
                    "facility calibrate {facility}` checks them"
                ).format(
                    terms=taken, platform=facility.platform.display_name, facility=facility.slug
                ),
                err=True,
            )
        if facility.daily_rate == 0:
            click.echo(_("note: no rate given, so draws on it accrue no interest"), err=True)


@facility_group.command(
    "set",
    help=N_(
        "Change SLUG's limit, thresholds, alert channel, rotation, language, readings, or "
        "terms for the draws logged from now on (logged ones keep theirs, unless --replan)."
    ),
)
@click.argument("slug")
@limit_option(
    required=False,
    says=N_("The credit limit the platform gives now, for the checks and draws from now on."),
)
@term_options(N_("unchanged if left out"))
@threshold_option(N_("; NAME=- for the default again"))
@click.option("--channel", help=N_("Slack channel id for its alerts (- for the default channel)."))
@click.option("--rotation", help=N_("On-call rotation for its alerts (- for the default)."))
@click.option(
    "--language",
    help=N_(
        "Language of its channel messages: zh-CN or en (- for the channel's, else "
        "LOANWATCH_LANGUAGE)."
    ),
)
@reading_options
@click.option(
    "--replan",
    is_flag=True,
    help=N_(
        "Also plan the draws already logged again under the terms, and place their "
        "repayments again (audited; the old schedules are kept as versions)."
    ),
)
@click.pass_obj
def facility_set(
    state: CliState,
    slug: str,
    limit_amount: Decimal | None,
    thresholds: tuple[str, ...],
    channel: str | None,
    rotation: str | None,
    language: str | None,
    owner: str | None,
    readings: str | None,
    replan: bool,
    **terms: Any,
) -> None:
    changes = term_changes(terms, limit_amount=limit_amount, thresholds=thresholds)
    if channel is not None and channel.strip() != facility_service.DEFAULT:
        check_channel(channel.strip())
    if language is not None and language.strip() != "-":
        parse_language(language, dash=True)  # a bad one is refused before anything is written
    asked = (channel, rotation, language, owner, readings)
    if changes.empty() and not replan and asked == (None,) * len(asked):
        raise InputError(
            _("nothing to change; give at least one term, e.g. --limit 300k or --rounding down")
        )
    notes: list[str] = []  # for stderr, which is not held: printed once the command committed
    with state.transaction() as session:
        facility = get_facility(session, slug, for_update=True)
        if not changes.empty():
            notes += _change_terms(state, session, facility, changes, replan=replan)
        elif replan:
            _replan(state, session, facility)
        if channel is not None:
            changed = set_alert_channel(session, state.actor, facility, channel, now=state.now)
            click.echo(channel_line(facility, changed=changed))
        if rotation is not None:
            changed = set_facility_rotation(session, state.actor, facility, rotation, now=state.now)
            click.echo(rotation_line(facility, changed=changed))
        if language is not None:
            changed = set_facility_language(
                session, facility, language, actor=state.actor, now=state.now
            )
            click.echo(language_line(facility, changed=changed))
        readings_note = _set_readings(state, session, facility, owner, readings)
        if readings_note:
            notes.append(readings_note)
    for note in notes:
        click.echo(note, err=True)


def _change_terms(
    state: CliState, session: Session, facility: Facility, changes: TermChanges, *, replan: bool
) -> list[str]:
    """Apply the term changes (audited, a version kept) and say what changed and what moved;
    the notes for stderr come back."""
    rule, was_limit, was_thresholds = (
        facility.holiday_rule,
        facility.limit_amount,
        thresholds_of(facility),
    )
    if not change_terms(
        session, state.actor, facility, changes, now=state.now, calendar=state.settings.calendar()
    ):
        click.echo(
            _("nothing changed: {facility}'s terms are already those").format(
                facility=facility.slug
            )
        )
        if replan:
            _replan(state, session, facility)
        return []
    click.echo(
        updated_line(
            facility,
            changes,
            was_limit=was_limit,
            was_thresholds=was_thresholds,
            defaults=state.settings.thresholds(),
        )
    )
    placed = 0
    if facility.holiday_rule != rule:  # change_terms placed the repayments again
        placed = session.scalar(select(func.count()).where(Repayment.facility_id == facility.id))
    notes = []
    if placed:
        click.echo(replayed_summary(placed, facility))
    elif changes.reaches_draws() and not replan:
        notes.append(replayed_summary(0, facility))
    if replan:
        _replan(state, session, facility)
    return notes


def _replan(state: CliState, session: Session, facility: Facility) -> None:
    """Plan the facility's draws already logged again under its terms; say what changed."""
    done = replan_draws(session, state.actor, facility, state.settings.calendar(), now=state.now)
    click.echo(replanned_summary(done, facility))


@facility_group.command(
    "list",
    help=N_("Facilities with limit, outstanding and available, by the ledger, and their terms."),
)
@click.pass_obj
def facility_list(state: CliState) -> None:
    with state.transaction() as session:
        current = positions(session)
        if not current:
            click.echo(_("no facilities yet; add one with `loanwatch facility add`"))
            return
        click.echo(positions_table(current))


@facility_group.command(
    "calibrate",
    help=N_(
        "Which method, day count, rounding, first-period and penalty rule reproduce SLUG's bills."
    ),
)
@click.argument("slug")
@click.pass_obj
def facility_calibrate(state: CliState, slug: str) -> None:
    with state.transaction() as session:
        facility = get_facility(session, slug)
        settings = state.settings
        click.echo(
            calibrate(session, facility, settings.calendar(), settings.thresholds()).report()
        )


@facility_group.command(
    "payoff", help=N_("What settles SLUG on a day: principal, interest to the day, penalty, total.")
)
@click.argument("slug")
@click.option(
    "--on",
    "on",
    type=DateType(N_("payoff date")),
    help=N_("The day to settle (default: today in its zone)."),
)
@click.pass_obj
def facility_payoff(state: CliState, slug: str, on: date | None) -> None:
    with state.transaction() as session:
        facility = get_facility(session, slug)
        day = on or state.now.astimezone(facility_zone(facility)).date()
        quote = payoff_quote(session, facility, day, state.settings.calendar(), now=state.now)
        click.echo(payoff_summary(quote))


def register(cli: click.Group) -> None:
    """Add the facility commands."""
    cli.add_command(facility_group)
