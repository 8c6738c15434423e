"""The names a reader sees for a check and a reminder's reason, in the language in use: in
English the id itself (English output is unchanged), in Chinese the glossary's words
(docs/languages.md). Each is kept in English and translated where shown: `_(CHECK_NAMES[c])`.
Severities and states are named by bot.alerts.said (severity_name, state_name).
"""

from enum import StrEnum

from bot.alerts.said import CHECK_NAMES as CHECK_NAMES
from bot.alerts.said import check_name as check_name
from bot.i18n import N_


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
