"""Alert notifications through the delivery worker and the Slack transport, to a fake Slack.

Each test runs on SQLite and on PostgreSQL. The cast: Alice, the treasurer, runs the Jiebei
line whose alerts go to #loan-alerts (C0ALERTS); Bob, on call, acknowledges them; Charlie is a
worker that dies at the worst moment. No client here ever talks to slack.com: every one is built
on the fake's `api_url`.
"""

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.alerts.detection import apply_findings
from bot.alerts.policy import AlertPolicy
from bot.db import transaction
from bot.models import Alert, OutboxMessage
from bot.settings import Settings
from bot.slack.blocks import alert_message, group_csv, group_csv_filename, thread_line
from jobs.delivery import DeliveryWorker
from jobs.transports import ConsoleTransport, OutboxMessageView, TransportError, transport_from
from jobs.transports.routing import ByChannel
from jobs.transports.slack import EVENT_TYPE, SlackTransport
from tests.jobs.slack_support import (
    ALERTS,
    POLICY,
    Naps,
    alert_of,
    bob_acknowledges,
    deliver_all,
    delivery,
    fail_once,
    get_alert,
    installation_id,
    open_alerts,
    outbox,
    slack_transport,
)
from tests.support.fake_slack import Fault, FaultPlan


class CrashError(Exception):
    """The worker process dying, as far as the test can tell."""


# --- one alert, one message ----------------------------------------------------------------------


def test_an_opened_alert_is_posted_with_its_blocks_and_metadata(sessions, slack, clock) -> None:
    """The alert's message has its Block Kit blocks and names its outbox row and alert."""
    (alert_id,) = open_alerts(sessions, clock.now)

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (row,) = outbox(sessions)
    (message,) = slack.messages(ALERTS)
    text, blocks = alert_message(row.payload)
    assert (message.text, message.blocks) == (text, blocks)
    assert message.metadata == {
        "event_type": "loanwatch_outbox",
        "event_payload": {
            "outbox_id": row.id,
            "installation_id": installation_id(sessions),
            "token": row.token,
            "alert_id": alert_id,
        },
    }
    assert row.state == "sent"
    assert (
        row.transport_ref == get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{message.ts}"
    )


def test_bob_acknowledging_updates_the_message_in_place_and_adds_a_thread_line(
    sessions, slack, clock
) -> None:
    """Ack, then auto-resolve: one message, edited twice, with a thread line for each."""
    (alert_id,) = open_alerts(sessions, clock.now)
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    bob_acknowledges(sessions, alert_id, clock.now)
    deliver_all(worker, clock)
    with transaction(sessions) as session:
        apply_findings(session, [], now=clock.now, policy=POLICY, checks_run={"bill_missing"})
    deliver_all(worker, clock)

    opened, acked, resolved = outbox(sessions)
    (message,) = slack.messages(ALERTS)
    assert message.edited == 2
    assert message.blocks == alert_message(resolved.payload)[1]
    assert [reply.text for reply in slack.thread(ALERTS, message.ts)] == [
        thread_line(acked.payload),
        thread_line(resolved.payload),
    ]
    assert "Acknowledged by <@U0BOB>" in thread_line(acked.payload)
    ref = f"{ALERTS}:{message.ts}"
    assert [row.transport_ref for row in (opened, acked, resolved)] == [ref] * 3
    assert get_alert(sessions, alert_id).message_ref == ref


def test_a_storm_is_one_message_with_its_csv_in_the_thread(sessions, slack, clock) -> None:
    """Six new alerts: one grouped message, its CSV in the thread, no alert with a message yet."""
    alert_ids = open_alerts(sessions, clock.now, count=6)

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (group,) = outbox(sessions)
    (message,) = slack.messages(ALERTS)
    (reply,) = slack.thread(ALERTS, message.ts)
    (csv_file,) = reply.files
    assert csv_file["title"] == group_csv_filename(group.payload)
    assert csv_file["content"] == group_csv(group.payload)
    assert message.metadata == {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "outbox_id": group.id,
            "installation_id": installation_id(sessions),
            "token": group.token,
        },
    }
    assert [get_alert(sessions, a).message_ref for a in alert_ids] == [None] * 6


def test_acknowledging_one_alert_of_a_storm_posts_its_own_full_message(
    sessions, slack, clock
) -> None:
    """Bob acks the third alert of a storm: it gets a message of its own, which it keeps."""
    third = open_alerts(sessions, clock.now, count=6)[2]
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    bob_acknowledges(sessions, third, clock.now)
    deliver_all(worker, clock)

    group_message, own = slack.messages(ALERTS)
    acked = outbox(sessions)[-1]
    assert alert_of(own) == third
    assert own.blocks == alert_message(acked.payload)[1]
    assert group_message.edited == 0
    assert get_alert(sessions, third).message_ref == f"{ALERTS}:{own.ts}"


def test_a_storm_that_clears_also_marks_each_acknowledged_alerts_own_message_resolved(
    sessions, slack, clock
) -> None:
    """Six alerts in a storm, Bob acks two; all six clear: the two messages of their own say so."""
    alert_ids = open_alerts(sessions, clock.now, count=6)
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    acked = alert_ids[1:3]
    for alert_id in acked:
        bob_acknowledges(sessions, alert_id, clock.now)
    deliver_all(worker, clock)
    with transaction(sessions) as session:
        apply_findings(session, [], now=clock.now, policy=POLICY, checks_run={"bill_missing"})
    deliver_all(worker, clock)

    opened_group, *own, resolved_group = slack.messages(ALERTS)
    assert [alert_of(m) for m in own] == acked
    rows = {row.alert_id: row for row in outbox(sessions) if row.kind == "alert.resolved"}
    assert sorted(rows) == acked
    for message in own:
        resolved = rows[alert_of(message)]
        assert message.blocks == alert_message(resolved.payload)[1]
        assert "actions" not in {block["type"] for block in message.blocks}
        assert slack.thread(ALERTS, message.ts)[-1].text == thread_line(resolved.payload)
    assert "resolved" in resolved_group.text
    assert opened_group.edited == 0
    assert [get_alert(sessions, a).message_ref for a in alert_ids if a not in acked] == [None] * 4


# --- what Slack answers --------------------------------------------------------------------------


def test_a_bot_outside_a_public_channel_joins_it_and_posts(sessions, slack, clock) -> None:
    """not_in_channel: the bot joins #loan-alerts by itself and the alert is posted."""
    slack.channels[ALERTS].member = False
    open_alerts(sessions, clock.now)

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    assert len(slack.calls_to("conversations.join")) == 1
    assert len(slack.messages(ALERTS)) == 1
    assert [row.state for row in outbox(sessions)] == ["sent"]


@pytest.mark.parametrize(
    ("setup", "token", "words"),
    [
        pytest.param(
            lambda slack: slack.channels.pop(ALERTS),
            "xoxb-test",
            "Slack says channel_not_found for channel C0ALERTS: the channel does not exist or "
            "loanwatch cannot see it; set the facility's channel",
            id="channel_not_found",
        ),
        pytest.param(
            lambda slack: setattr(slack.channels[ALERTS], "archived", True),
            "xoxb-test",
            "Slack says is_archived for channel C0ALERTS: the channel is archived; unarchive it",
            id="is_archived",
        ),
        pytest.param(
            lambda slack: None,
            "xoxb-revoked",
            "Slack says invalid_auth for channel C0ALERTS: the bot token is not valid any more",
            id="invalid_auth",
        ),
        pytest.param(
            lambda slack: (
                setattr(slack.channels[ALERTS], "member", False)
                or setattr(slack.channels[ALERTS], "private", True)
            ),
            "xoxb-test",
            "invite @loanwatch to the private channel C0ALERTS",
            id="private_channel",
        ),
    ],
)
def test_a_slack_error_a_person_must_fix_is_a_dead_letter_saying_what_to_fix(
    sessions, slack, clock, setup, token, words
) -> None:
    """Dead at once, permanent, and a delivery_failed admin alert carrying the same advice."""
    setup(slack)
    open_alerts(sessions, clock.now)

    delivery(sessions, slack_transport(slack, token), clock).step()

    row = outbox(sessions)[0]
    assert (row.state, row.permanent, row.attempts) == ("dead", True, 1)
    assert words in (row.last_error or "")
    with sessions() as session:
        admin = session.scalars(select(Alert).where(Alert.check == "delivery_failed")).one()
        assert admin.facts["Error"] == row.last_error


def test_an_alert_with_no_channel_is_a_dead_letter_naming_the_setting(
    sessions, slack, clock
) -> None:
    """No facility channel, no default: permanent, saying to set LOANWATCH_DEFAULT_ALERT_CHANNEL."""
    open_alerts(sessions, clock.now, channel=None, policy=AlertPolicy())

    delivery(sessions, slack_transport(slack), clock).step()

    row = outbox(sessions)[0]
    assert (row.state, row.permanent) == ("dead", True)
    assert "set LOANWATCH_DEFAULT_ALERT_CHANNEL" in (row.last_error or "")
    assert slack.calls == []


def test_a_rate_limit_reschedules_the_row_after_retry_after_without_sleeping(
    sessions, slack, clock
) -> None:
    """429 with Retry-After 1: the row is pending again, due a second later; nothing slept."""
    open_alerts(sessions, clock.now)
    slack.faults = fail_once("chat.postMessage", 429)
    naps = Naps()
    worker = delivery(sessions, slack_transport(slack, naps=naps), clock)

    worker.step()

    (row,) = outbox(sessions)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now + timedelta(seconds=1)
    assert "ratelimited" in (row.last_error or "")
    assert slack.messages(ALERTS) == []
    assert naps == []
    deliver_all(worker, clock)
    assert len(slack.messages(ALERTS)) == 1
    assert naps == []


@pytest.mark.parametrize(
    "retry_after", [3_153_600_000, 10**12, 10**400], ids=["a century", "10^12 s", "10^400 s"]
)
def test_a_rate_limit_asking_for_an_absurd_wait_waits_backoff_max(
    sessions, slack, clock, retry_after
) -> None:
    """Slack (or a proxy) says Retry-After a century, or more than a date can hold: the rows
    wait `backoff_max` (2 s here), nothing raises, and they are delivered after it."""
    open_alerts(sessions, clock.now, count=3)  # three alerts: three rows, one batch
    slack.faults = lambda method: (
        Fault(429, retry_after=retry_after) if method == "chat.postMessage" else None
    )
    worker = delivery(sessions, slack_transport(slack), clock, backoff_max=2.0)

    worker.step()

    rows = outbox(sessions)
    assert {(row.state, row.next_attempt_at) for row in rows} == {
        ("pending", clock.now + timedelta(seconds=2))
    }
    slack.faults = None
    clock.advance(seconds=2)
    deliver_all(worker, clock)
    assert len(slack.messages(ALERTS)) == 3


def test_a_rate_limited_update_is_rescheduled_too_without_sleeping(sessions, slack, clock) -> None:
    """429 on chat.update (a call that is otherwise retried at once): rescheduled, not slept on."""
    (alert_id,) = open_alerts(sessions, clock.now)
    naps = Naps()
    worker = delivery(sessions, slack_transport(slack, naps=naps), clock)
    deliver_all(worker, clock)
    bob_acknowledges(sessions, alert_id, clock.now)
    slack.faults = fail_once("chat.update", 429)

    worker.step()

    acked = outbox(sessions)[-1]
    assert (acked.state, acked.next_attempt_at) == ("pending", clock.now + timedelta(seconds=1))
    assert naps == []


def test_a_server_error_on_an_update_is_retried_at_once_after_the_injected_sleep(
    sessions, slack, clock
) -> None:
    """A 500 on chat.update (safe to repeat) is tried again in the same send, after one nap."""
    (alert_id,) = open_alerts(sessions, clock.now)
    naps = Naps()
    worker = delivery(sessions, slack_transport(slack, naps=naps), clock)
    deliver_all(worker, clock)
    bob_acknowledges(sessions, alert_id, clock.now)
    slack.faults = fail_once("chat.update", 500)

    worker.step()

    assert [row.state for row in outbox(sessions)] == ["sent", "sent"]
    assert slack.messages(ALERTS)[0].edited == 1
    assert naps == [0.25]


# --- nothing twice -------------------------------------------------------------------------------


def test_a_lost_answer_is_found_by_its_metadata_and_not_posted_again(
    sessions, slack, clock
) -> None:
    """Slack posted, the answer never came back: the retry finds the post; one message in all."""
    (alert_id,) = open_alerts(sessions, clock.now)
    slack.faults = fail_once("chat.postMessage", "drop_after")

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (message,) = slack.messages(ALERTS)
    (row,) = outbox(sessions)
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{message.ts}"


def test_a_storm_whose_upload_answer_was_lost_keeps_one_message_and_one_csv(
    sessions, slack, clock
) -> None:
    """The CSV was shared but the answer lost: the retry finds both post and file in the thread."""
    open_alerts(sessions, clock.now, count=6)
    slack.faults = fail_once("files.completeUploadExternal", "drop_after")

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (message,) = slack.messages(ALERTS)
    assert len(slack.thread(ALERTS, message.ts)) == 1
    assert [row.state for row in outbox(sessions)] == ["sent"]


def test_a_worker_that_died_after_slack_posted_leaves_no_duplicate(sessions, slack, clock) -> None:
    """Charlie posts, then dies before recording it; after his lease Alpha finds the post."""

    class DiesBeforeRecording(DeliveryWorker):
        def _record_sent(self, view: OutboxMessageView, *args: Any) -> None:
            raise CrashError(view.id)

    (alert_id,) = open_alerts(sessions, clock.now)
    charlie = delivery(
        sessions, slack_transport(slack), clock, DiesBeforeRecording, worker_id="charlie"
    )
    with pytest.raises(CrashError):
        charlie.step()
    clock.advance(minutes=6)  # past Charlie's five-minute lease
    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (message,) = slack.messages(ALERTS)
    (row,) = outbox(sessions)
    assert (row.state, row.claimed_by, row.attempts) == ("sent", "alpha", 1)
    assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{message.ts}"


def test_two_hundred_alerts_through_a_misbehaving_slack_appear_exactly_once(
    sessions, slack, clock
) -> None:
    """30 % of calls fail (429, 500, dropped before or after): each alert is posted once."""
    storm_free = AlertPolicy(default_channel=ALERTS, storm_threshold=1000)
    alert_ids = open_alerts(sessions, clock.now, count=200, policy=storm_free)
    # Every fifth alert is acknowledged before anything is delivered: its update must wait for
    # its post, then edit that message in place, whatever Slack does on the way.
    acked = alert_ids[::5]
    for alert_id in acked:
        bob_acknowledges(sessions, alert_id, clock.now)
    slack.paged_history = True
    plan = FaultPlan(
        share=0.3,
        methods=frozenset(
            {"chat.postMessage", "chat.update", "conversations.history", "conversations.replies"}
        ),
        retry_after=1,
    )
    slack.faults = plan
    worker = delivery(sessions, slack_transport(slack), clock)

    started = time.monotonic()
    steps = 0
    while steps < 2000:
        steps += 1
        worker.step()
        clock.advance(seconds=1)
        with sessions() as session:
            unsettled = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_(("pending", "sending")))
            )
        if not unsettled:
            break
    elapsed = time.monotonic() - started

    messages = slack.messages(ALERTS)
    print(
        f"\n{len(alert_ids)} alerts, {len(acked)} acks: {steps} steps, {elapsed:.1f} s, "
        f"faults {Counter(kind for _, kind in plan.injected)}"
    )
    assert len(plan.injected) > 100  # the fault plan really did bite
    assert Counter(alert_of(m) for m in messages) == Counter({a: 1 for a in alert_ids})
    assert Counter(row.state for row in outbox(sessions)) == Counter({"sent": 240})
    by_alert = {alert_of(m): m for m in messages}
    for alert_id in alert_ids:
        message = by_alert[alert_id]
        assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{message.ts}"
        replies = slack.thread(ALERTS, message.ts)
        assert len(replies) == (1 if alert_id in acked else 0)
        assert ("Acknowledged by" in str(message.blocks)) == (alert_id in acked)


# --- choosing the transport ----------------------------------------------------------------------


def test_slack_is_the_transport_when_a_bot_token_is_set(slack) -> None:
    """SLACK_BOT_TOKEN set: Slack, at SLACK_API_URL; unset or blank: the console."""
    with_token = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)
    transport = transport_from(with_token)
    assert isinstance(transport, ByChannel)
    assert isinstance(transport.main, SlackTransport)
    assert transport.send(OutboxMessageView(1, "notice", ALERTS, {"summary": "hello"}, 0))
    assert [m.text for m in slack.messages(ALERTS)] == [
        "── notice → #C0ALERTS (outbox 1) ──\nhello\n"
    ]
    for without_token in (Settings(_env_file=None), Settings(_env_file=None, SLACK_BOT_TOKEN="")):
        console = transport_from(without_token)
        assert isinstance(console, ByChannel)
        assert isinstance(console.main, ConsoleTransport)


def test_a_tickets_email_waits_for_an_smtp_host_instead_of_going_to_slack(slack) -> None:
    """With Slack and no LOANWATCH_SMTP_HOST, a row for `email:jiebei` is refused as transient
    (retried), saying what to set, and never posted."""
    with_token = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)
    row = OutboxMessageView(2, "ticket.platform", "email:jiebei", {"title": "[T-1] x"}, 0)
    with pytest.raises(
        TransportError, match="no email transport configured: set LOANWATCH_SMTP_HOST"
    ) as refused:
        transport_from(with_token).send(row)
    assert not refused.value.permanent
    assert slack.messages("email:jiebei") == []


def test_a_reminder_is_also_shown_in_the_channel(slack) -> None:
    """A reminder's thread line is broadcast: a line only inside the thread notifies nobody."""
    transport = slack_transport(slack)
    payload = {
        "header": "Warning: bill_missing on jiebei-main (alert 7) — new",
        "summary": "expected 899.75 due 2026-12-10, no bill seen",
        "facts": {"Expected": "899.75"},
        "event": "opened",
        "alert_id": 7,
        "fingerprint": "bill_missing:1:2026-12-10",
        "check": "bill_missing",
        "facility": "jiebei-main",
        "severity": "warning",
        "state": "open",
        "timezone": "Asia/Shanghai",
    }
    ref = transport.send(OutboxMessageView(1, "alert.opened", ALERTS, payload, 0))
    reminder = {**payload, "event": "reminder", "header": payload["header"] + " — still firing"}
    transport.send(OutboxMessageView(2, "alert.reminder", ALERTS, reminder, 0, alert_ref=ref))
    [line] = [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert line.args["reply_broadcast"] in (True, "true", "1")
