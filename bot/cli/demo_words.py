"""The demo's own words kept in constants: its tables' headers (translated where shown, `_(x)`).
An alert's severity, state and check are said by bot.alerts.said, as everywhere."""

from bot.i18n import N_, _

# The next installments, as the story's first table lists them.
INSTALLMENT_HEADERS = (N_("due"), N_("facility"), N_("draw/#"), N_("principal"),
                       N_("interest"), N_("amount"))  # fmt: skip
# Every alert, as the story's last table lists them.
ALERT_HEADERS = (N_("id"), N_("severity"), N_("state"), N_("check"), N_("summary"))


def headers(names: tuple[str, ...]) -> list[str]:
    """A table's headers in the language in use."""
    return [_(name) for name in names]
