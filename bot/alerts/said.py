"""What an alert says about itself, in the language in use: its summary and its facts.

The checks word each finding in English (kept as `alerts.summary` and `alerts.facts`, which
the API, exports and tickets read) and keep how it was worded (`alerts.wording`,
`bot.i18n.wording`), so every surface can say it again in its reader's language. Every surface
words an alert's summary and facts through here; an alert kept without its wording (opened
before it was kept) is said as kept, its labels translated.
"""

import logging
from collections.abc import Mapping

from bot.i18n import EN, N_, _, current
from bot.i18n.wording import Wording, say

log = logging.getLogger(__name__)

# The checks' names as a Chinese reader knows them (docs/languages.md); English shows the id.
CHECK_NAMES = {
    "bill_missing": N_("bill_missing"),
    "bill_amount_mismatch": N_("bill_amount_mismatch"),
    "bill_unexpected": N_("bill_unexpected"),
    "bill_due_soon": N_("bill_due_soon"),
    "bill_overdue": N_("bill_overdue"),
    "repayment_unseen": N_("repayment_unseen"),
    "repayment_unlogged": N_("repayment_unlogged"),
    "repayment_mismatch": N_("repayment_mismatch"),
    "limit_dropped": N_("limit_dropped"),
    "limit_frozen": N_("limit_frozen"),
    "limit_inconsistent": N_("limit_inconsistent"),
    "limit_below_owed": N_("limit_below_owed"),
    "data_stale": N_("data_stale"),
    "draw_unconfirmed": N_("draw_unconfirmed"),
    "utilization_high": N_("utilization_high"),
    "platform_unavailable": N_("platform_unavailable"),
    "delivery_failed": N_("delivery_failed"),
    "delivery_degraded": N_("delivery_degraded"),
    "check_failed": N_("check_failed"),
    "holidays_unknown": N_("holidays_unknown"),
    "owner_gone": N_("owner_gone"),
}
# The one table of severities' and alerts' states' names: every surface (Slack, the digest,
# the CLI, App Home) says them through severity_name and state_name.
SEVERITY_NAMES = {"critical": N_("critical"), "warning": N_("warning"), "info": N_("info")}
STATE_NAMES = {
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "snoozed": N_("snoozed"),
    "resolved": N_("resolved"),
}


def _wording(wording: Mapping[str, object] | None) -> Wording | None:
    if not wording:
        return None
    try:
        return Wording.from_json(wording)
    except Exception:  # a hand-edited row: said as kept
        log.warning("an alert's wording could not be read; it is said as kept: %r", wording)
        return None


def summary_of(summary: str, wording: Mapping[str, object] | None = None) -> str:
    """The summary in the language in use (as kept, where it was kept without its wording)."""
    worded = _wording(wording)
    if worded is None or current() == EN:
        return summary
    try:
        return worded.said_summary()
    except Exception:  # a hand-edited wording or translation: said as kept, never a failed message
        log.warning("the summary %r could not be said in %s", summary, current())
        return summary


def facts_of(
    facts: Mapping[str, str], wording: Mapping[str, object] | None = None
) -> dict[str, str]:
    """The facts, labels and values, in the language in use (each kept fact is said: one
    without its wording as kept, its label translated)."""
    worded = _wording(wording)
    if current() == EN:
        return dict(facts)
    said: dict[str, object] = {} if worded is None else dict(worded.facts)
    out = {}
    for label, value in facts.items():
        words = value
        if worded is not None and label in said:
            try:
                words = say(said[label], worded.near)  # type: ignore[arg-type]
            except Exception:  # as above: the fact as kept
                log.warning("the fact %r could not be said in %s", label, current())
        shown = _(label)
        # Two labels one word in this language keep both facts: the second one in English.
        out[label if shown in out else shown] = words
    return out


def check_name(check: str) -> str:
    """A check as its reader knows it: its id in English (`bill_missing`), 账单缺失 in Chinese."""
    name = CHECK_NAMES.get(check)
    return check if name is None else _(name)


def severity_name(severity: str, *, headline: bool = False) -> str:
    """A severity in a sentence: `critical`, `warning` (严重, 警告; one without words as kept).
    With `headline`, as an alert's headline writes it: `CRITICAL`, and anything not critical
    `Warning` (the same words in Chinese: case is English's)."""
    folded = str(severity).lower()
    if headline:
        if folded == "critical":
            return _(SEVERITY_NAMES["critical"]).upper()
        word = _(SEVERITY_NAMES["warning"])
        return word[:1].upper() + word[1:]
    name = SEVERITY_NAMES.get(folded)
    return str(severity) if name is None else _(name)


def state_name(state: str) -> str:
    """An alert's state in words: `open` … `resolved` (未处理 … 已解决)."""
    name = STATE_NAMES.get(str(state).lower())
    return str(state) if name is None else _(name)


def at_risk_of(at_risk: str | None, wording: Mapping[str, object] | None = None) -> str | None:
    """The money an alert puts at risk (`AlertNotice.at_risk`, `at_risk_wording`: a wording
    whose summary it is), in the language in use; as kept without its wording."""
    if at_risk is None or not wording or current() == EN:
        return at_risk
    try:
        return Wording.from_json(wording).said_summary()
    except Exception:  # a hand-edited row: said as kept
        log.warning("the money at risk %r could not be said in %s", at_risk, current())
        return at_risk
