"""What `loanwatch facility add` and `facility set` say about a facility, written once."""

from collections.abc import Mapping
from decimal import Decimal

from bot.ledger.platforms import profile_for
from bot.ledger.term_changes import TermChanges
from bot.ledger.terms import describe_terms
from bot.models import FACILITY_THRESHOLDS, Facility
from bot.money import format_money
from bot.thresholds import Thresholds


def readings_line(facility: Facility) -> str:
    """Who is asked for the facility's readings and when (the demo says it too)."""
    if facility.readings is None:
        still = f" ({facility.reading_owner} is still asked about its bills)"
        return f"{facility.slug}: no reading requests{still if facility.reading_owner else ''}"
    return (
        f"{facility.slug}: {facility.reading_owner} is asked for a reading "
        f"{facility.readings} ({facility.timezone})"
    )


def thresholds_of(facility: Facility) -> dict[str, int | Decimal | None]:
    """The facility's own thresholds, by name; None where it takes the default."""
    return {name: getattr(facility, name) for name in FACILITY_THRESHOLDS}


def updated_line(
    facility: Facility,
    changes: TermChanges,
    *,
    was_limit: Decimal,
    was_thresholds: Mapping[str, int | Decimal | None],
    defaults: Thresholds,
) -> str:
    """`updated FAC: …`: the new limit, the terms (when one the draws follow was given) and
    each threshold that changed, with the default a cleared one now takes."""
    parts = []
    if facility.limit_amount != was_limit:
        parts.append(
            f"limit {format_money(facility.limit_amount, facility.currency)} (was "
            f"{format_money(was_limit, facility.currency)})"
        )
    if changes.reaches_draws() or changes.bill_critical_days is not None:
        critical = facility.bill_critical_days
        more = (
            ""
            if critical is None
            else f"; a missing bill is critical {critical} day{'' if critical == 1 else 's'} ahead"
        )
        parts.append(f"{describe_terms(facility)}{more}")
    changed = [
        name
        for name in FACILITY_THRESHOLDS
        if name in changes.thresholds and getattr(facility, name) != was_thresholds[name]
    ]
    for name in changed:
        value = getattr(facility, name)
        parts.append(
            f"{name} back to the default ({getattr(defaults, name)})"
            if value is None
            else f"{name} {value}"
        )
    return f"updated {facility.slug}: {'; '.join(parts)}"


def channel_line(facility: Facility, *, changed: bool) -> str:
    """Where the facility's alerts go now, or that they went there already."""
    where = facility.alert_channel or "the default channel (LOANWATCH_DEFAULT_ALERT_CHANNEL)"
    if not changed:
        return f"nothing changed: {facility.slug}'s alerts already go to {where}"
    return f"{facility.slug}'s alerts go to {where} from now on"


def rotation_line(facility: Facility, *, changed: bool) -> str:
    """Whom the facility's alerts escalate to now, or that they did already."""
    shown = facility.oncall_rotation or "the default rotation"
    if not changed:
        return f"nothing changed: {facility.slug}'s alerts already escalate to {shown}"
    return f"{facility.slug}'s alerts escalate to {shown}"


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


def from_profile(platform: str, changes: TermChanges) -> str:
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
