"""An alert's message deleted in Slack: the next notice posts it again and the story goes on there.

The cast of tests/jobs/slack_support.py: Alice's Jiebei line alerts #loan-alerts (C0ALERTS), Bob
acknowledges. Someone tidying the channel deletes the alert's message between two notices.
Each test runs on SQLite and on PostgreSQL, through the real worker and transport, to a fake
Slack.
"""

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.alerts.detection import apply_findings
from bot.db import transaction
from bot.models import Alert
from bot.slack.blocks import alert_message, reposted_line, thread_line
from tests.jobs.slack_support import (
    ALERTS,
    POLICY,
    alert_of,
    bob_acknowledges,
    deliver_all,
    delivery,
    get_alert,
    open_alerts,
    outbox,
    slack_transport,
)
from tests.support.fake_slack import FakeSlack, Fault


def _delete_before_the_update(slack: FakeSlack, ts: str) -> None:
    """The message is gone before the next notice comes: chat.update says message_not_found."""
    slack.delete(ALERTS, ts)


def _delete_between_update_and_thread_line(slack: FakeSlack, ts: str) -> None:
    """The update gets through, then the message is deleted: the thread line's post says
    thread_not_found."""

    def plan(method: str) -> Fault | None:
        if method == "chat.postMessage" and any(m.ts == ts for m in slack.messages(ALERTS)):
            slack.delete(ALERTS, ts)
        return None

    slack.faults = plan


DELETIONS = [
    pytest.param(_delete_before_the_update, id="message_not_found"),
    pytest.param(_delete_between_update_and_thread_line, id="thread_not_found"),
]


@pytest.mark.parametrize("delete", DELETIONS)
def test_a_deleted_alert_message_is_posted_again_and_the_notice_is_not_a_dead_letter(
    sessions, slack, clock, delete: Callable[[FakeSlack, str], None]
) -> None:
    """Bob acks after the message was deleted: a new message shows the alert acknowledged, its
    thread says why it is new, it becomes the alert's message, and nothing is dead."""
    (alert_id,) = open_alerts(sessions, clock.now)
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    (first,) = slack.messages(ALERTS)
    delete(slack, first.ts)

    bob_acknowledges(sessions, alert_id, clock.now)
    deliver_all(worker, clock)

    opened, acked = outbox(sessions)
    assert [row.state for row in (opened, acked)] == ["sent", "sent"]
    (again,) = slack.messages(ALERTS)
    assert again.ts != first.ts
    assert alert_of(again) == alert_id
    assert again.blocks == alert_message(acked.payload)[1]
    assert [reply.text for reply in slack.thread(ALERTS, again.ts)] == [
        reposted_line(acked.payload)
    ]
    assert "earlier message was deleted" in reposted_line(acked.payload)
    assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{again.ts}"
    assert acked.transport_ref == f"{ALERTS}:{again.ts}"
    with sessions() as session:
        assert session.scalars(select(Alert.check).where(Alert.id != alert_id)).all() == []


def test_the_notices_after_a_deleted_message_update_the_new_one_and_thread_there(
    sessions, slack, clock
) -> None:
    """Deleted, acknowledged, then resolved by the checks: the resolution edits the new message
    and adds its line to the new thread; the deleted message is never written to again."""
    (alert_id,) = open_alerts(sessions, clock.now)
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    (first,) = slack.messages(ALERTS)
    slack.delete(ALERTS, first.ts)
    bob_acknowledges(sessions, alert_id, clock.now)
    deliver_all(worker, clock)
    with transaction(sessions) as session:
        apply_findings(session, [], now=clock.now, policy=POLICY, checks_run={"bill_missing"})
    deliver_all(worker, clock)

    __, acked, resolved = outbox(sessions)
    (again,) = slack.messages(ALERTS)
    assert again.edited == 1
    assert again.blocks == alert_message(resolved.payload)[1]
    assert [reply.text for reply in slack.thread(ALERTS, again.ts)] == [
        reposted_line(acked.payload),
        thread_line(resolved.payload),
    ]
    assert [row.state for row in outbox(sessions)] == ["sent"] * 3
    updated = {c.args.get("ts") for c in slack.calls_to("chat.update")}
    assert updated == {first.ts, again.ts}
    assert len([c for c in slack.calls_to("chat.update") if c.args.get("ts") == first.ts]) == 1


def test_a_repost_whose_answer_was_lost_is_found_and_not_posted_twice(
    sessions, slack, clock
) -> None:
    """The new message's answer is lost on the way back: the retry finds it and its thread line
    by their metadata, so Slack shows one new message with one line."""
    (alert_id,) = open_alerts(sessions, clock.now)
    worker = delivery(sessions, slack_transport(slack), clock)
    deliver_all(worker, clock)
    (first,) = slack.messages(ALERTS)
    slack.delete(ALERTS, first.ts)
    posts: list[str] = []

    def lose_the_first_repost(method: str) -> Fault | None:
        if method != "chat.postMessage":
            return None
        posts.append(method)
        return Fault("drop_after") if len(posts) == 1 else None

    slack.faults = lose_the_first_repost
    bob_acknowledges(sessions, alert_id, clock.now)
    deliver_all(worker, clock)

    (again,) = slack.messages(ALERTS)
    assert len(slack.thread(ALERTS, again.ts)) == 1
    acked = outbox(sessions)[-1]
    assert (acked.state, acked.attempts) == ("sent", 2)
    assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{again.ts}"
