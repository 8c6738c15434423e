"""The names a reader sees for a check, a severity and a reminder's reason, in the language in
use: in English the id itself (English output is unchanged), in Chinese the glossary's words
(docs/languages.md). Each is kept in English and translated where shown: `_(CHECK_NAMES[c])`.
"""

from enum import StrEnum

from bot.i18n import N_, _


class Reason(StrEnum):
    """Why a reminder is sent."""

    ACK_EXPIRED = "ack_expired"
    SNOOZE_ENDED = "snooze_ended"
    SILENCE_ENDED = "silence_ended"
    SEVERITY_RAISED = "severity_raised"


# In English, translated where shown: `_(REASON_WORDS[reason])`.
REASON_WORDS = {
    Reason.ACK_EXPIRED: N_("the acknowledgement expired"),
    Reason.SNOOZE_ENDED: N_("the snooze ended"),
    Reason.SILENCE_ENDED: N_("the silence ended"),
    Reason.SEVERITY_RAISED: N_("severity raised"),
}

# A check's and a severity's name as a reader sees them: in English the id itself (so English
# output is the id, as before), in Chinese the glossary's words (docs/languages.md).
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
SEVERITY_NAMES = {"critical": N_("critical"), "warning": N_("warning")}


def check_name(check: str) -> str:
    """A check's name in the language in use (`bill_missing` in English, 账单缺失 in Chinese)."""
    known = CHECK_NAMES.get(check)
    return _(known) if known is not None else check


def severity_name(severity: str) -> str:
    """A severity's name in the language in use (`critical` in English, 严重 in Chinese)."""
    known = SEVERITY_NAMES.get(severity)
    return _(known) if known is not None else severity
