"""What `loanwatch facility add` and `facility set` say about a facility, written once."""

from collections.abc import Mapping
from decimal import Decimal

from bot.cli.words import terms_words, word
from bot.i18n import N_, _, ngettext
from bot.i18n.formats import big_money
from bot.ledger.platforms import profile_for
from bot.ledger.term_changes import TermChanges
from bot.models import FACILITY_THRESHOLDS, Facility
from bot.thresholds import Thresholds


def readings_line(facility: Facility) -> str:
    """Who is asked for the facility's readings and when (the demo says it too)."""
    if facility.readings is None:
        if facility.reading_owner:
            return _(
                "{facility}: no reading requests ({owner} is still asked about its bills)"
            ).format(facility=facility.slug, owner=facility.reading_owner)
        return _("{facility}: no reading requests").format(facility=facility.slug)
    return _("{facility}: {owner} is asked for a reading {readings} ({zone})").format(
        facility=facility.slug,
        owner=facility.reading_owner,
        readings=facility.readings,
        zone=facility.timezone,
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
            _("limit {limit} (was {was})").format(
                limit=big_money(facility.limit_amount, facility.currency),
                was=big_money(was_limit, facility.currency),
            )
        )
    if changes.reaches_draws() or changes.bill_critical_days is not None:
        critical = facility.bill_critical_days
        parts.append(
            terms_words(facility)
            if critical is None
            else ngettext(
                "{terms}; a missing bill is critical {count} day ahead",
                "{terms}; a missing bill is critical {count} days ahead",
                critical,
            ).format(terms=terms_words(facility), count=critical)
        )
    changed = [
        name
        for name in FACILITY_THRESHOLDS
        if name in changes.thresholds and getattr(facility, name) != was_thresholds[name]
    ]
    for name in changed:
        value = getattr(facility, name)
        parts.append(
            _("{name} back to the default ({value})").format(
                name=name, value=getattr(defaults, name)
            )
            if value is None
            else f"{name} {value}"
        )
    return _("updated {facility}: {changes}").format(
        facility=facility.slug, changes=_("; ").join(parts)
    )


def channel_line(facility: Facility, *, changed: bool) -> str:
    """Where the facility's alerts go now, or that they went there already."""
    where = facility.alert_channel or _("the default channel (LOANWATCH_DEFAULT_ALERT_CHANNEL)")
    if not changed:
        return _("nothing changed: {facility}'s alerts already go to {channel}").format(
            facility=facility.slug, channel=where
        )
    return _("{facility}'s alerts go to {channel} from now on").format(
        facility=facility.slug, channel=where
    )


def rotation_line(facility: Facility, *, changed: bool) -> str:
    """Whom the facility's alerts escalate to now, or that they did already."""
    shown = facility.oncall_rotation or _("the default rotation")
    if not changed:
        return _("nothing changed: {facility}'s alerts already escalate to {rotation}").format(
            facility=facility.slug, rotation=shown
        )
    return _("{facility}'s alerts escalate to {rotation}").format(
        facility=facility.slug, rotation=shown
    )


_PROFILE_TERMS = {
    "repayment_method": ("method", N_("method")),
    "day_count": ("day_count", N_("day count")),
    "rounding": ("rounding", N_("rounding")),
    "first_period": ("first_period", N_("first period")),
    "repayment_day_rule": ("repayment_day_rule", N_("repayment day")),
    "holiday_rule": ("holiday_rule", N_("holidays")),
    "penalty_multiplier": ("penalty_multiplier", N_("penalty rate")),
    "penalty_on_interest": ("penalty_on_interest", N_("penalty on interest")),
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
            value = (
                (_("yes") if value else _("no")) if isinstance(value, bool) else word(str(value))
            )
            sureness = profile.confidence[key if key in profile.confidence else "penalty"]
            taken.append(
                _("{term} {value} ({sureness})").format(
                    term=_(words), value=value, sureness=word(sureness)
                )
            )
    return _(", ").join(taken)


def language_line(facility: Facility, *, changed: bool) -> str:
    """The language the facility's channel messages are written in now, or that it was so."""
    if facility.language is None:
        if not changed:
            return _(
                "nothing changed: {facility}'s messages already follow its channel's language"
            ).format(facility=facility.slug)
        return _(
            "{facility}'s messages follow its channel's language (else LOANWATCH_LANGUAGE) again"
        ).format(facility=facility.slug)
    if not changed:
        return _("nothing changed: {facility}'s messages are already written in {language}").format(
            facility=facility.slug, language=facility.language
        )
    return _("{facility}'s messages are written in {language} from now on").format(
        facility=facility.slug, language=facility.language
    )
