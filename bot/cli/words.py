"""Words the CLI's tables share, in the language in use: severities, states, and terms' values.

The values themselves (`equal-installment`, `half-up`, `critical`) stay what is typed and
exported; a table shows them in the reader's words.
"""

from bot.i18n import N_, _
from bot.ledger.terms import rate_of
from bot.models import Draw, Facility
from bot.money import format_annual_rate, format_rate

_VALUES = {
    # severities and states
    "critical": N_("critical"),
    "warning": N_("warning"),
    "info": N_("info"),
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
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
    "none": N_("none"),
    "following": N_("following"),
    # installments' states
    "scheduled": N_("scheduled"),
    "paid": N_("paid"),
    "superseded": N_("superseded"),
}


def word(value: str) -> str:
    """A kept value (a severity, a state, a term's value) in the reader's words; one this does
    not know is shown as it is."""
    known = _VALUES.get(value)
    return _(known) if known is not None else value


def rate_words(row: Facility | Draw) -> str:
    """A rate as the reader writes it: `0.04%/day` or `3.5%/year (360-day year)`."""
    rate = rate_of(row)
    if rate.is_annual:
        percent = format_annual_rate(rate.value, rate.basis).partition("%")[0]
        return _("{rate}%/year ({basis}-day year)").format(rate=percent, basis=rate.basis)
    return _("{rate}/day").format(rate=format_rate(rate.value).removesuffix("/day"))
