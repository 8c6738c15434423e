"""Platforms and facilities: the credit lines and loans the company holds."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.ledger.platforms import BANK, display_name, profile_for
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)
from bot.ledger.terms import check_penalty, checked_rate, daily_rate_of
from bot.ledger.terms_history import keep_terms
from bot.models import FACILITY_THRESHOLDS, Facility, Platform
from bot.money import parse_amount
from bot.typed import MAX_ID, free_text, whole_number

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
NAME_CHARS = 200  # what the column holds
# Slack's ids are 9 or 11 characters today; the column holds 64.
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{5,20}$")
# What `facility set` takes for "back to the default": a channel, a threshold (as `--rotation -`).
DEFAULT = "-"


@dataclass(frozen=True)
class FacilityTerms:
    """What a new facility is set up with; amounts and rates already parsed.

    `loanwatch facility add` and `/loan facility add` build their terms with :meth:`as_given`,
    which fills whatever the person left out from the platform's profile
    (`bot/ledger/platforms.py`). Built directly, the terms left out are the bank default's.
    A rate is per day (`daily_rate`), or per year (`annual_rate` on a `rate_basis` of 360 or
    365 days), not both.
    """

    slug: str
    platform: str
    limit_amount: Decimal
    currency: str = "CNY"
    daily_rate: Decimal = Decimal(0)
    annual_rate: Decimal | None = None
    rate_basis: int | None = None
    repayment_method: RepaymentMethod = BANK.method
    day_count: DayCount = BANK.day_count
    rounding: Rounding = BANK.rounding
    first_period: FirstPeriod = BANK.first_period
    repayment_day: int | None = None
    repayment_day_rule: RepaymentDayRule = BANK.repayment_day_rule
    holiday_rule: HolidayRule = BANK.holiday_rule
    penalty_multiplier: Decimal = BANK.penalty_multiplier
    penalty_on_interest: bool = BANK.penalty_on_interest
    alert_channel: str | None = None
    timezone: str = "Asia/Shanghai"
    name: str | None = None
    # Check thresholds this facility overrides (the rest come from settings), by name.
    thresholds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def as_given(
        cls,
        slug: str,
        platform: str,
        limit_amount: Decimal,
        *,
        timezone: str,
        currency: str | None = None,
        daily_rate: Decimal | None = None,
        annual_rate: Decimal | None = None,
        rate_basis: int | None = None,
        repayment_method: RepaymentMethod | None = None,
        day_count: DayCount | None = None,
        rounding: Rounding | None = None,
        first_period: FirstPeriod | None = None,
        repayment_day: int | None = None,
        repayment_day_rule: RepaymentDayRule | None = None,
        holiday_rule: HolidayRule | None = None,
        penalty_multiplier: Decimal | None = None,
        penalty_on_interest: bool | None = None,
        alert_channel: str | None = None,
        name: str | None = None,
        thresholds: dict[str, str] | None = None,
    ) -> "FacilityTerms":
        """Terms as a person gave them: each term left out (None) takes the platform's default."""
        profile = profile_for(platform)
        default = cls(slug, platform, limit_amount, timezone=timezone)
        return replace(
            default,
            currency=default.currency if currency is None else currency,
            daily_rate=default.daily_rate if daily_rate is None else daily_rate,
            annual_rate=annual_rate,
            rate_basis=rate_basis,
            repayment_method=repayment_method or profile.method,
            day_count=day_count or profile.day_count,
            rounding=rounding or profile.rounding,
            first_period=first_period or profile.first_period,
            repayment_day=repayment_day,
            repayment_day_rule=repayment_day_rule or profile.repayment_day_rule,
            holiday_rule=holiday_rule or profile.holiday_rule,
            penalty_multiplier=(
                profile.penalty_multiplier if penalty_multiplier is None else penalty_multiplier
            ),
            penalty_on_interest=(
                profile.penalty_on_interest if penalty_on_interest is None else penalty_on_interest
            ),
            alert_channel=alert_channel,
            name=name,
            thresholds=dict(thresholds or {}),
        )


def check_slug(value: str, what: str) -> str:
    """A lower-case name of letters, digits and hyphens, as used on the command line."""
    if not SLUG.match(value):
        raise InputError(
            _(
                "{what} {typed} is not a valid name: use 2-64 lower-case letters, digits and "
                "hyphens, e.g. jiebei-main"
            ).format(what=_(what), typed=repr(value))
        )
    return value


def add_facility(
    session: Session, actor: audit.Actor, terms: FacilityTerms, *, now: datetime
) -> Facility:
    """Create a facility (and its platform, the first time it is named)."""
    check_slug(terms.slug, N_("facility"))
    check_slug(terms.platform, N_("platform"))
    if session.scalar(select(Facility.id).where(Facility.slug == terms.slug)) is not None:
        raise InputError(
            _("facility {typed} already exists; pick another name").format(typed=repr(terms.slug))
        )
    if terms.limit_amount <= 0:
        raise InputError(_("a facility's limit must be more than zero"))
    if not re.fullmatch(r"[A-Z]{3}", terms.currency):
        raise InputError(
            _("currency {typed} is not an ISO code such as CNY or USD").format(
                typed=repr(terms.currency)
            )
        )
    if terms.repayment_day is not None and not 1 <= terms.repayment_day <= 31:
        raise InputError(
            _("repayment day {day} is not a day of the month (1-31)").format(
                day=terms.repayment_day
            )
        )
    if terms.alert_channel is not None:
        check_channel(terms.alert_channel)
    check_timezone(terms.timezone)
    name = free_text(terms.name, "the facility's name", limit=NAME_CHARS)
    rate = checked_rate(terms.daily_rate, terms.annual_rate, terms.rate_basis)
    check_penalty(terms.penalty_multiplier)

    platform = session.scalar(select(Platform).where(Platform.name == terms.platform))
    if platform is None:
        platform = Platform(
            name=terms.platform,
            display_name=display_name(terms.platform),
            created_at=now,
        )
        session.add(platform)
        audit.record(session, actor, "platform.add", platform, at=now)

    overrides = parse_thresholds(terms.thresholds)
    facility = Facility(
        slug=terms.slug,
        platform=platform,
        name=name or terms.slug,
        limit_amount=terms.limit_amount,
        currency=terms.currency,
        daily_rate=daily_rate_of(rate),
        annual_rate=rate.value if rate.is_annual else None,
        rate_basis=rate.basis if rate.is_annual else None,
        repayment_method=str(terms.repayment_method),
        day_count=str(terms.day_count),
        rounding=str(terms.rounding),
        first_period=str(terms.first_period),
        repayment_day=terms.repayment_day,
        repayment_day_rule=str(terms.repayment_day_rule),
        holiday_rule=str(terms.holiday_rule),
        penalty_multiplier=terms.penalty_multiplier,
        penalty_on_interest=terms.penalty_on_interest,
        alert_channel=terms.alert_channel,
        timezone=terms.timezone,
        active=True,
        created_at=now,
        **overrides,
    )
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add(facility)
    audit.record(session, actor, "facility.add", facility, at=now)
    keep_terms(session, actor, facility, now=now)
    return facility


# A window of more than a year is a typo (and past some size the checks' date arithmetic would
# run off the calendar): the largest value of a threshold, by its unit.
# (Percentages have their own rule below.)
_THRESHOLD_MAX = {"days": 366, "hours": 366 * 24}


def parse_thresholds(
    raw: dict[str, str], *, clearable: bool = False
) -> dict[str, int | Decimal | None]:
    """Typed threshold overrides, or an InputError naming the bad one and the known names.

    With `clearable` (a change to a facility's thresholds), a value of `-` is None: the default
    from settings again."""
    parsed: dict[str, int | Decimal | None] = {}
    for name, text in raw.items():
        if name not in FACILITY_THRESHOLDS:
            raise unknown_threshold(name)
        if clearable and text.strip() == DEFAULT:
            parsed[name] = None
            continue
        if name == "amount_tolerance":
            parsed[name] = parse_amount(text, allow_zero=True, what=N_("amount tolerance"))
            continue
        unit = name.rsplit("_", 1)[-1]
        what = _("threshold {name}").format(name=name)
        value = whole_number(text, what, high=_THRESHOLD_MAX.get(unit, MAX_ID))
        if name.endswith("_percent") and not 1 <= value <= 100:
            raise InputError(
                _("threshold {name} is a percentage from 1 to 100, not {value}").format(
                    name=name, value=value
                )
            )
        if name in {"stale_after_hours", "confirm_window_hours"} and value < 1:
            raise InputError(_("threshold {name} must be at least 1 hour").format(name=name))
        parsed[name] = value
    return parsed


def unknown_threshold(name: str) -> InputError:
    """The error for a threshold no facility has, naming the ones it can set (their names are
    what people type, in every language)."""
    return InputError(
        _("unknown threshold {typed}; a facility can set {known}").format(
            typed=repr(name), known=_(", ").join(FACILITY_THRESHOLDS)
        )
    )


def check_channel(channel: str) -> str:
    """A Slack channel id, or an InputError that says where to find one."""
    if not CHANNEL_ID.match(channel):
        raise InputError(
            _(
                "channel {typed} is not a Slack channel id (like C0123ABCD); copy it from the "
                "channel's details in Slack"
            ).format(typed=repr(channel))
        )
    return channel


def set_alert_channel(
    session: Session, actor: audit.Actor, facility: Facility, channel: str, *, now: datetime
) -> bool:
    """Send the facility's alerts to `channel` from now on (`-`: the default channel, from
    settings); audited as `facility.channel`. False when it already goes there, and nothing
    was written. Alerts already posted keep their threads where they are."""
    channel = channel.strip()
    wanted = None if channel == DEFAULT else check_channel(channel)
    if wanted == facility.alert_channel:
        return False
    before = audit.snapshot(facility)
    facility.alert_channel = wanted
    session.flush()
    audit.record(session, actor, "facility.channel", facility, at=now, before=before)
    return True


def check_timezone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or an InputError that says what a valid one looks like."""
    if not name.strip():  # an empty --timezone is a slip (an unset variable), not the default
        raise InputError(_("timezone must be an IANA name such as Asia/Shanghai, not empty"))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            _("unknown time zone {typed}; use an IANA name such as Asia/Shanghai").format(
                typed=repr(name)
            )
        ) from exc


def get_facility(session: Session, slug: str, *, for_update: bool = False) -> Facility:
    """The facility named `slug`, or a NotFoundError listing the ones that exist."""
    query = select(Facility).where(Facility.slug == slug)
    if for_update:
        query = query.with_for_update()
    facility = session.scalar(query)
    if facility is None:
        known = session.scalars(select(Facility.slug).order_by(Facility.slug)).all()
        said = (
            _("no facility named {typed}; known facilities: {known}")
            if known
            else _("no facility named {typed}; add one with `loanwatch facility add`")
        )
        raise NotFoundError(said.format(typed=repr(slug), known=_(", ").join(known)))
    return facility


def facility_zone(facility: Facility) -> ZoneInfo:
    """The facility's time zone, which decides what 'today' and a due date mean for it."""
    return ZoneInfo(facility.timezone)
