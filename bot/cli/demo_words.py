"""The demo's own words kept in constants: its tables' headers, and an alert's severity, state
and check as the story says them (translated where shown, `_(x)`)."""

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
# A check by its name, as the glossary says it (docs/languages.md); English shows the name.
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
    known = CHECKS.get(str(check))
    return _(known) if known else str(check)
