"""The money an alert puts at risk, in the alert's own message, and the same figure in the
digest and the escalation: one computation (`bot.alerts.at_risk`) read three ways.

Alice logs a 50,000 draw over 12 months on jiebei-main (0.04 %/day, penalty 1.5×) by a signed
`/loan draw`; its first installment, 4,498.77, is due 2027-01-01. On Monday 2026-12-28 the
checks find no bill for it.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Alert
from bot.oncall.urgency import at_risk
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.support.slack_app import ALERTS, ALICE, CHARLIE

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Monday 2026-12-28, 10:00 in Shanghai: the bill due 2027-01-01 should have been seen.
MONDAY = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)


def _fields(message) -> list[str]:
    return [f["text"] for block in message.blocks for f in block.get("fields", [])]


def test_the_alerts_message_shows_its_money_at_risk_and_the_digest_agrees(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """The bill_missing message leads its facts with "At risk: ¥4,498.77 due 2027-01-01; late
    fee ≈ ¥2.70/day"; `/loan digest` lists the same alert with ¥4,498.77 at risk, and the
    escalation's words name the same amount."""
    assert app.command("draw jiebei-main 50,000 12m", user=ALICE).status == 200
    clock.now = MONDAY
    with transaction(sessions) as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)
    with sessions() as session:
        alert = session.scalars(select(Alert).where(Alert.check == "bill_missing")).one()
        escalation = at_risk(session, alert, now=clock(), calendar=settings.calendar())
    message = posted_alert(slack, alert.id)
    assert _fields(message)[0] == "*At risk*\n¥4,498.77 due 2027-01-01; late fee ≈ ¥2.70/day"
    assert escalation is not None
    assert escalation.words().startswith("¥4,498.77 due in ")

    assert app.command("digest", user=CHARLIE, channel=ALERTS).status == 200
    deliver(sessions, settings, clock)
    [digest] = [m for m in slack.messages(ALERTS) if "digest" in m.text.lower()]
    text = " ".join(str(block) for block in digest.blocks)
    assert f"alert {alert.id} bill_missing on jiebei-main: ¥4,498.77 at risk" in text
