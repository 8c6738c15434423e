"""The demo's own words kept in constants: its tables' headers, and an alert's severity, state
and check as the story says them (translated where shown, `_(x)`)."""

from bot.alerts.said import check_name
from bot.i18n import N_, _

# The next installments, as the story's first table lists them.
INSTALLMENT_HEADERS = (N_("due"), N_("facility"), N_("draw/#"), N_("principal"),
                       N_("interest"), N_("amount"))  # fmt: skip
# Every alert, as the story's last table lists them.
ALERT_HEADERS = (N_("id"), N_("severity"), N_("state"), N_("check"), N_("summary"))

SEVERITIES = {"critical": N_("critical"), "warning": N_("warning")}
STATES = {
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "snoozed": N_("snoozed"),
    "resolved": N_("resolved"),
}


def headers(names: tuple[str, ...]) -> list[str]:
    """A table's headers in the language in use."""
    return [_(name) for name in names]


def severity_word(severity: str) -> str:
    """`critical` / `warning` in the language in use (as stored when it is neither)."""
    known = SEVERITIES.get(str(severity))
    return _(known) if known else str(severity)


def state_word(state: str) -> str:
    """`open`, `acknowledged`, `snoozed`, `resolved` in the language in use."""
    known = STATES.get(str(state))
    return _(known) if known else str(state)


def check_word(check: str) -> str:
    """A check's name (`bill_missing`); in Chinese the glossary's words (账单缺失)."""
    return check_name(str(check))
