"""An alert the checks resolved, refused again (an ack, a snooze): said as loanwatch resolving
it, with its reason in the reader's language, not the audit's `system` and kept English."""

from datetime import UTC, datetime

from bot.alerts.resolve_reasons import CONDITION_CLEARED, reason
from bot.alerts.transition import already_resolved
from bot.i18n import PSEUDO, ZH, use
from bot.models import Alert
from tests.support.pseudo import unmarked


def _cleared() -> Alert:
    return Alert(
        id=7,
        state="resolved",
        resolved_by="system",
        resolved_at=datetime(2026, 12, 1, 3, 5, tzinfo=UTC),
        resolve_reason=reason(CONDITION_CLEARED),
    )


def test_a_cleared_alert_is_said_resolved_by_loanwatch_in_each_language() -> None:
    alert = _cleared()
    english = already_resolved(alert)
    with use(ZH):
        chinese = already_resolved(alert)
    with use(PSEUDO):
        pseudo = already_resolved(alert)

    assert alert.resolve_reason == "the condition cleared"  # kept in English, as the audit
    assert english == (
        "alert 7 was already resolved by loanwatch at 2026-12-01 03:05 UTC (the condition cleared)"
    )
    assert "loanwatch" in chinese
    assert "异常已消除" in chinese
    assert "system" not in chinese
    assert "condition" not in chinese
    assert unmarked([pseudo], allowed={"loanwatch"}) == []
