"""The digest and the alert's own message read one computation of the money at risk
(`bot.alerts.at_risk`): for every open alert of the portfolio they show the same figure."""

from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.alerts.notices import NoticeKind
from bot.digest.numbers import build_digest
from bot.digest.sending import digest_for
from bot.digest.text import digest_text, section_lines
from bot.models import OutboxMessage
from bot.money import format_money
from bot.oncall.engine import due_steps
from bot.oncall.rotations import add_rotation
from bot.settings import Settings
from tests.digest.conftest import ALERTS, ALICE, MONDAY_NINE


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


def test_the_digest_shows_the_severity_the_escalation_uses(portfolio, session) -> None:
    """LOANWATCH_URGENT_DAYS=5: icbc-loan's missing Saturday bill (a warning), collected on the
    Monday after (the bank's holiday rule), is due within five business days, so it escalates as
    critical; the digest, built as every surface builds it
    (`digest_for` with the settings' options), lists it as critical too, and says why."""
    settings = Settings(
        _env_file=None,
        DATABASE_URL=portfolio.settings.database_url,
        LOANWATCH_DEFAULT_ALERT_CHANNEL=ALERTS,
        LOANWATCH_URGENT_DAYS=5,
        LOANWATCH_DEFAULT_ROTATION="finance",
    )
    add_rotation(
        session, ALICE, "finance", members="U0ANN", handoff="09:00", length="1d",
        timezone="Asia/Shanghai", now=MONDAY_NINE,
    )  # fmt: skip
    escalating = {
        step.alert.id: step.severity
        for step in due_steps(
            session,
            now=MONDAY_NINE,
            calendar=portfolio.calendar,
            config=settings.escalation(),
            policy=settings.alert_policy(),
        )
    }

    digest = digest_for(session, MONDAY_NINE, settings.digest_options(), None)

    saturday = next(a for a in digest.alerts if a.check == "bill_missing" and a.id == 3)
    assert saturday.severity == escalating[3] == "critical"
    assert {a.id: a.severity for a in digest.alerts if a.id in escalating} == escalating
    assert "critical (a warning, due within 5 business days) · alert 3" in digest_text(digest)


def test_a_cut_limit_with_nothing_left_to_draw_puts_zero_of_undrawn_limit_at_risk(
    portfolio, session
) -> None:
    """A limit alert measures the undrawn limit; when none is left it is ¥0.00 of undrawn limit,
    not "no money measured"."""
    digest = build_digest(session, MONDAY_NINE, zone=ZoneInfo("Asia/Shanghai"))
    frozen = next(a for a in digest.alerts if a.check == "limit_frozen")
    assert section_lines(digest)["alerts"][digest.alerts.index(frozen)].startswith(
        f"{frozen.severity} · alert {frozen.id} limit_frozen on jiebei-backup: "
        "¥40,000.00 of undrawn limit at risk"
    )
    drawn_to_the_limit = replace(frozen, at_risk=Decimal("0.00"))
    digest = replace(digest, alerts=[drawn_to_the_limit])
    [line] = section_lines(digest)["alerts"]
    assert ": ¥0.00 of undrawn limit at risk — " in line
