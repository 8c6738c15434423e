"""The digest and the alert's own message read one computation of the money at risk
(`bot.alerts.at_risk`): for every open alert of the portfolio they show the same figure."""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.alerts.notices import NoticeKind
from bot.digest.numbers import build_digest
from bot.models import OutboxMessage
from bot.money import format_money
from tests.digest.conftest import MONDAY_NINE


def test_the_digest_and_each_alerts_message_agree_on_the_money_at_risk(portfolio, session) -> None:
    """A missing bill's installment and a frozen line's undrawn limit: the digest's amount is
    the one the alert's message was posted with."""
    digest = build_digest(session, MONDAY_NINE, zone=ZoneInfo("Asia/Shanghai"))
    posted = {
        row.alert_id: row.payload.get("at_risk")
        for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.OPENED)
        )
    }
    measured = [a for a in digest.alerts if a.at_risk]
    assert {a.check for a in measured} >= {"bill_missing", "limit_frozen"}
    for alert in measured:
        assert posted[alert.id].startswith(format_money(alert.at_risk, alert.currency) + " ")
    frozen = next(a for a in measured if a.check == "limit_frozen")
    assert posted[frozen.id] == "¥40,000.00 of undrawn limit"
    missing = next(a for a in measured if a.check == "bill_missing")
    assert posted[missing.id] == "¥4,498.77 due 2026-12-10; late fee ≈ ¥2.70/day"
    unmeasured = [a for a in digest.alerts if not a.at_risk]
    assert all(posted.get(a.id) is None for a in unmeasured)
