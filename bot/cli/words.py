"""Words the CLI's tables share, in the language in use: severities, states, and terms' values.

The values themselves (`equal-installment`, `half-up`, `critical`) stay what is typed and
exported; a table shows them in the reader's words.
"""

from datetime import datetime, tzinfo
from decimal import Decimal

from bot.alerts.said import SEVERITY_NAMES, STATE_NAMES
from bot.i18n import N_, ZH, _, current
from bot.i18n.formats import moment
from bot.ledger.observations import STATUS_NAMES
from bot.ledger.terms import describe_penalty_rule, describe_rate, holiday_rule_words
from bot.models import Draw, Facility

_VALUES = {
    # an alert's severities and states, as every surface names them (bot.alerts.said)
    **SEVERITY_NAMES,
    **STATE_NAMES,
    "all": N_("all"),
    # repayment methods
    "equal-installment": N_("equal-installment"),
    "equal-principal": N_("equal-principal"),
    "interest-first": N_("interest-first"),
    "bullet": N_("bullet"),
    "quarterly-interest": N_("quarterly-interest"),
    # day counts, rounding, first periods, repayment day rules, holiday rules
    "actual": N_("actual"),
    "half-up": N_("half-up"),
    "down": N_("down"),
    "next-month": N_("next-month"),
    "skip-short": N_("skip-short"),
    "draw-day": N_("draw-day"),
    "first-draw": N_("first-draw"),
    "following": N_("following"),
    # tickets: states, how a platform is contacted
    "waiting": N_("waiting"),
    "answered": N_("answered"),
    "email": N_("email"),
    "webhook": N_("webhook"),
    "manual": N_("manual"),
    # weekend days as a reading schedule names them
    "sat": N_("sat"),
    "sun": N_("sun"),
    # the outbox's states
    "pending": N_("pending"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "dead": N_("dead"),
    "dropped": N_("dropped"),
    # what a reading request asks about
    "limit": N_("limit"),
    "bill": N_("bill"),
    "draw": N_("draw"),
    # a limit's status on the platform (bot.ledger.observations), and a ticket's `closed`
    **STATUS_NAMES,
    # how sure a platform's default is
    "medium-high": N_("medium-high"),
    "medium": N_("medium"),
    "low-medium": N_("low-medium"),
    "low": N_("low"),
    "contract": N_("contract"),
    # installments' states
    "scheduled": N_("scheduled"),
    "paid": N_("paid"),
    "superseded": N_("superseded"),
}


def word(value: str) -> str:
    """A kept value (a severity, a state, a term's value) in the reader's words; one this does
    not know is shown as it is."""
    if value == "none":  # the one kept value `none` is a holiday rule's (不顺延, not 无)
        return holiday_rule_words(value)
    known = _VALUES.get(value)
    return _(known) if known is not None else value


def rate_words(row: Facility | Draw) -> str:
    """A rate as the reader writes it: `0.04%/day` or `3.5%/year (360-day year)`."""
    return describe_rate(row)


def penalty_words(multiplier: Decimal, on_interest: bool) -> str:
    """A penalty rule: `penalty 1.5x the rate on overdue principal`, or `no penalty`."""
    return describe_penalty_rule(multiplier, on_interest)


def terms_words(facility: Facility) -> str:
    """A facility's terms on one line, as bot.ledger.terms.describe_terms writes them."""
    day = (
        _("repayment day {day}").format(day=facility.repayment_day)
        if facility.repayment_day is not None
        else _("repayment day: {rule}").format(rule=word(facility.repayment_day_rule))
    )
    return _(
        "{rate}, {method}, day count {day_count}, rounding {rounding}, first period {first}, "
        "{day}, holidays {holidays}, {penalty}"
    ).format(
        rate=rate_words(facility),
        method=word(facility.repayment_method),
        day_count=word(facility.day_count),
        rounding=word(facility.rounding),
        first=word(facility.first_period),
        day=day,
        holidays=word(facility.holiday_rule),
        penalty=penalty_words(facility.penalty_multiplier, facility.penalty_on_interest),
    )


def stamp(at: datetime, zone: tzinfo) -> str:
    """A moment the CLI has always printed in ISO form (English keeps it: scripts read it);
    a Chinese reader gets `12月7日（周一）23:00` in `zone`."""
    return moment(at, zone) if current() == ZH else at.isoformat()
