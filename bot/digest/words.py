"""The words of an alert's check and severity as the digest and `/loan status` say them.

Each is kept in English as its code (`bill_missing`, `critical`) and said in the reader's
language where shown (docs/languages.md, The checks). A code without words is shown as kept.
"""

from bot.i18n import N_, _

SEVERITIES = {"critical": N_("critical"), "warning": N_("warning"), "info": N_("info")}
CHECKS = {
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
# What a platform shows of a line (bot.ledger.observations.LimitStatus).
LINE_STATES = {"active": N_("active"), "frozen": N_("frozen"), "closed": N_("closed")}


def severity_word(severity: str) -> str:
    """`critical` → 严重 in Chinese; one without words as kept."""
    return _(SEVERITIES[severity]) if severity in SEVERITIES else severity


def check_word(check: str) -> str:
    """`bill_missing` → 账单缺失 in Chinese; one without words as kept."""
    return _(CHECKS[check]) if check in CHECKS else check


def line_state_word(state: str) -> str:
    """`frozen` → 已冻结 in Chinese; one without words as kept."""
    return _(LINE_STATES[state]) if state in LINE_STATES else state
