"""The words of an alert's check and severity as the digest and `/loan status` say them.

Each is kept in English as its code (`bill_missing`, `critical`) and said in the reader's
language where shown (docs/languages.md, The checks). A code without words is shown as kept.
"""

from bot.alerts.said import check_name
from bot.i18n import N_, _

SEVERITIES = {"critical": N_("critical"), "warning": N_("warning"), "info": N_("info")}
# What a platform shows of a line (bot.ledger.observations.LimitStatus).
LINE_STATES = {"active": N_("active"), "frozen": N_("frozen"), "closed": N_("closed")}


def severity_word(severity: str) -> str:
    """`critical` → 严重 in Chinese; one without words as kept."""
    return _(SEVERITIES[severity]) if severity in SEVERITIES else severity


def check_word(check: str) -> str:
    """`bill_missing` → 账单缺失 in Chinese; one without words as kept."""
    return check_name(str(check))


def line_state_word(state: str) -> str:
    """`frozen` → 已冻结 in Chinese; one without words as kept."""
    return _(LINE_STATES[state]) if state in LINE_STATES else state
