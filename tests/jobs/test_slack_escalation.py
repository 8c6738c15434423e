"""Escalation steps as they reach Slack: lines in the alert's thread, a DM, an @here.

Jiebei's critical alert is posted in #loan-alerts (C0ALERTS); the rotation `finance` has Ann
on call that weekend and Ben after her. The worker's wake-ups and the delivery run on a fake
clock against the fake Slack.
"""

from datetime import timedelta

from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.db import transaction
from tests.jobs.slack_support import deliver_all, delivery, slack_transport
from tests.oncall.test_escalation import _open, _setup, _wake

ALERTS = "C0ALERTS"


def test_each_step_reaches_the_alerts_thread_the_dm_and_the_channel_once(
    sessions, slack, clock
) -> None:
    opened = clock.now
    with sessions() as session:
        facility_id = _setup(session, opened)
        alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, opened)
    worker = delivery(sessions, slack_transport(slack), clock)

    def at(minutes: int) -> None:
        clock.now = opened + timedelta(minutes=minutes)
        with transaction(sessions) as session:
            _wake(session, clock.now)
        deliver_all(worker, clock)

    at(0)
    [posted] = slack.messages(ALERTS)
    assert "limit_frozen" in posted.text
    at(15)
    at(45)
    at(120)
    # A wake-up a minute later runs no step again.
    at(121)
    lines = [m.text for m in slack.thread(ALERTS, posted.ts) if m.ts != posted.ts]
    assert lines == [
        # A frozen line puts its undrawn limit at risk (bot.alerts.at_risk).
        f"<@U0ANN>, you are on call: alert {alert.id} (limit_frozen on jiebei-main) "
        "needs an acknowledgement — ¥200,000.00 of undrawn limit",
        "Sent <@U0ANN> a direct message: unacknowledged for 15 min — ¥200,000.00 of undrawn limit",
        f"<@U0BEN>, next on call: alert {alert.id} (limit_frozen on jiebei-main) "
        "is unacknowledged after 45 min — ¥200,000.00 of undrawn limit",
        f"<!here> alert {alert.id} (limit_frozen on jiebei-main) is unacknowledged after 2 h "
        "— ¥200,000.00 of undrawn limit",
    ]
    # The @here line is also shown in the channel, where it reaches everyone.
    [here] = [c for c in slack.calls_to("chat.postMessage") if "<!here>" in c.args.get("text", "")]
    assert here.args.get("reply_broadcast") in (True, "true", "True", "1")
    # The DM went to Ann's direct conversation, opened with conversations.open.
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == ["U0ANN"]
    [dm] = slack.messages("D0ANN")
    assert dm.text.startswith(f"<@U0ANN>, you are on call and alert {alert.id} (limit_frozen")
    assert f"<#{ALERTS}>" in dm.text
