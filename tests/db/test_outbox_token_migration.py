"""Migration 0008 and the posts made before it: a row from before has no token, and its post in
Slack, which names only the outbox id, is still found on a retry after the upgrade."""

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic import command
from slack_sdk import WebClient
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import alembic_config, transaction
from bot.models import OutboxMessage
from jobs.transports.slack import EVENT_TYPE
from tests.jobs.slack_support import (
    ALERTS,
    FakeClock,
    bob_acknowledges,
    deliver_all,
    delivery,
    get_alert,
    open_alerts,
    outbox,
    slack_transport,
)
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack with #loan-alerts, which the bot has joined."""
    with FakeSlack() as fake:
        fake.add_channel(ALERTS, "loan-alerts")
        yield fake


@pytest.fixture
def clock(now: datetime) -> FakeClock:
    """The workers' clock."""
    return FakeClock(now)


def posted_before_the_upgrade(
    sessions: sessionmaker[Session], slack: FakeSlack, now: datetime, **event_payload: object
) -> tuple[int, str]:
    """Alice's alert, posted by a worker whose answer from Slack was lost: the post is in
    #loan-alerts with `event_payload` as its metadata, the row pending again after one try.
    Returns (alert id, the post's ts)."""
    (alert_id,) = open_alerts(sessions, now)
    (row,) = outbox(sessions)
    posted = WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(
        channel=ALERTS,
        text="bill_missing on jiebei-main",
        metadata={
            "event_type": EVENT_TYPE,
            "event_payload": {"outbox_id": row.id, "alert_id": alert_id, **event_payload},
        },
    )
    with transaction(sessions) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(attempts=1, last_error="the connection dropped", next_attempt_at=now)
        )
    return alert_id, str(posted["ts"])


def back_to_0007_and_up_again(engine: Engine) -> None:
    """`loanwatch db upgrade` from a database at 0007, as the previous release left it."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0007")
    command.upgrade(config, "head")


def test_rows_from_before_0008_keep_no_token(engine: Engine, sessions, clock) -> None:
    """Three rows at 0007; after the upgrade none has a token, and a new row has its own."""
    first, *_ = open_alerts(sessions, clock.now, count=3)
    back_to_0007_and_up_again(engine)
    with engine.connect() as connection:
        before = connection.scalars(text("SELECT token FROM outbox ORDER BY id")).all()
    bob_acknowledges(sessions, first, clock.now)  # a row written after the upgrade
    (*_, new) = outbox(sessions)
    assert before == [None, None, None]
    assert len(new.token or "") == 32


def test_a_post_made_before_the_upgrade_is_found_and_not_posted_again(
    engine: Engine, sessions, clock: FakeClock, slack: FakeSlack
) -> None:
    """The previous release posted Alice's alert and lost Slack's answer; after `db upgrade`
    the new worker's retry finds that post by its outbox id: one message in #loan-alerts."""
    alert_id, ts = posted_before_the_upgrade(sessions, slack, clock.now)
    back_to_0007_and_up_again(engine)

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    (message,) = slack.messages(ALERTS)
    (row,) = outbox(sessions)
    assert (message.ts, row.state, row.token) == (ts, "sent", None)
    assert get_alert(sessions, alert_id).message_ref == f"{ALERTS}:{ts}"


def test_a_row_from_before_0008_does_not_take_another_installations_post(
    engine: Engine, sessions, clock: FakeClock, slack: FakeSlack
) -> None:
    """The post with the row's outbox id was made by another database (it names its own
    installation and token): the row from before the upgrade posts a message of its own."""
    posted_before_the_upgrade(sessions, slack, clock.now, installation_id="staging", token="f" * 32)
    back_to_0007_and_up_again(engine)

    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)

    assert len(slack.messages(ALERTS)) == 2
    assert [row.state for row in outbox(sessions)] == ["sent"]
