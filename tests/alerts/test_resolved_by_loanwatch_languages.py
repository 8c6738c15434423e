"""An alert the checks resolved, refused again (an ack, a snooze): said as loanwatch resolving
it, with its reason in the reader's language, not the audit's `system` and kept English."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.actions import acknowledge, list_alerts, resolve
from bot.alerts.detection import apply_findings
from bot.alerts.resolve_reasons import CONDITION_CLEARED, reason
from bot.alerts.transition import already_resolved
from bot.errors import InputError
from bot.i18n import PSEUDO, ZH, use
from bot.models import Alert
from tests.alerts.test_lifecycle import BOB, POLICY, missing_bill
from tests.ledger.cast import jiebei_line
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


def test_the_time_it_was_resolved_is_the_facilitys(session, alice, now) -> None:
    """Alice's Jiebei line keeps Beijing time: the refusal of an ack on its resolved alert says
    when in that zone (CST in English; bare in Chinese, Beijing's), not in UTC."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, [missing_bill(facility.id)], now=now, policy=POLICY)
    alert = list_alerts(session)[0]
    resolve(session, alice, alert.id, "paid", now=now)

    with pytest.raises(InputError) as english:
        acknowledge(session, BOB, alert.id, now=now, policy=POLICY)
    with use(ZH), pytest.raises(InputError) as chinese:
        acknowledge(session, BOB, alert.id, now=now, policy=POLICY)

    beijing = now.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"at {beijing:%Y-%m-%d %H:%M} CST (paid)" in str(english.value)
    assert f"{beijing:%H:%M} 解决" in str(chinese.value)
    assert "UTC" not in str(chinese.value)
