"""Escalation steps as they reach Slack: lines in the alert's thread, a DM, an @here.

Jiebei's critical alert is posted in #loan-alerts (C0ALERTS); the rotation `finance` has Ann
on call that weekend and Ben after her. The worker's wake-ups and the delivery run on a fake
clock against the fake Slack.
"""

from datetime import timedelta

from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.audit import SYSTEM
from bot.db import transaction
from bot.languages import set_channel_language
from tests.jobs.slack_support import deliver_all, delivery, slack_transport
from tests.oncall.test_escalation import POLICY, _open, _setup, _wake

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


def test_a_storms_steps_go_once_each_in_the_storm_messages_thread(sessions, slack, clock) -> None:
    """Eight frozen limits at once: one grouped message, and each step once in its thread."""
    opened = clock.now
    with sessions() as session:
        facility_id = _setup(session, opened)
        findings = [
            Finding(Check.LIMIT_FROZEN, facility_id, f"s{n}", Severity.CRITICAL, f"frozen {n}")
            for n in range(8)
        ]
        apply_findings(session, findings, now=opened, policy=POLICY, checks_run=set())
        session.commit()
    worker = delivery(sessions, slack_transport(slack), clock)

    def at(minutes: int) -> None:
        clock.now = opened + timedelta(minutes=minutes)
        with transaction(sessions) as session:
            _wake(session, clock.now)
        deliver_all(worker, clock)

    at(0)
    at(15)
    [storm] = slack.messages(ALERTS)  # nothing else in the channel
    assert "8 new limit_frozen alerts" in storm.text
    lines = [m.text for m in slack.thread(ALERTS, storm.ts) if m.ts != storm.ts and m.text]
    assert [line for line in lines if "U0ANN" in line] == [
        "<@U0ANN>, you are on call: 8 alerts (limit_frozen on jiebei-main) need an "
        "acknowledgement — the largest at risk: ¥200,000.00 of undrawn limit",
        # The DM's line names the alerts, as the DM does.
        "Sent <@U0ANN> a direct message: 8 alerts (limit_frozen on jiebei-main) unacknowledged "
        "for 15 min — the largest at risk: ¥200,000.00 of undrawn limit",
    ]
    [dm] = slack.messages("D0ANN")
    assert dm.text.startswith("<@U0ANN>, you are on call and 8 alerts (limit_frozen")


def test_the_dm_is_in_the_on_call_persons_language_the_line_in_the_channels(
    sessions, slack, clock
) -> None:
    """Ann's Slack is zh-CN: her DM is in Chinese; #loan-alerts reads English."""
    slack.locales["U0ANN"] = "zh-CN"
    opened = clock.now
    with sessions() as session:
        facility_id = _setup(session, opened)
        alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, opened)
    worker = delivery(sessions, slack_transport(slack), clock)
    for minutes in (0, 15):
        clock.now = opened + timedelta(minutes=minutes)
        with transaction(sessions) as session:
            _wake(session, clock.now)
        deliver_all(worker, clock)
    [dm] = slack.messages("D0ANN")
    assert dm.text.startswith(
        f"<@U0ANN>，你正在值班，告警 {alert.id}（jiebei-main：limit_frozen）已15分钟未确认"
    )
    assert dm.text.endswith("请到 <#C0ALERTS> 确认收到。")
    [posted] = slack.messages(ALERTS)
    lines = [m.text for m in slack.thread(ALERTS, posted.ts) if m.ts != posted.ts]
    assert lines[-1].startswith("Sent <@U0ANN> a direct message: unacknowledged for 15 min")


def test_the_line_in_a_chinese_channel_is_in_chinese(sessions, slack, clock) -> None:
    opened = clock.now
    with sessions() as session:
        facility_id = _setup(session, opened)
        alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, opened)
    with transaction(sessions) as session:
        set_channel_language(session, ALERTS, "zh-CN", actor=SYSTEM, now=opened)
    worker = delivery(sessions, slack_transport(slack), clock)
    with transaction(sessions) as session:
        _wake(session, clock.now)
    deliver_all(worker, clock)
    [posted] = slack.messages(ALERTS)
    [line] = [m.text for m in slack.thread(ALERTS, posted.ts) if m.ts != posted.ts]
    assert line.startswith(
        f"<@U0ANN>，你正在值班：告警 {alert.id}（jiebei-main：limit_frozen）待确认收到"
    )
