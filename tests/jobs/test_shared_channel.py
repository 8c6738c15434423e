"""Two loanwatch databases posting into one channel: each finds only its own posts.

Production (the test's database, SQLite or PostgreSQL) and staging (a SQLite file with an
installation of its own) both post Alice's alerts to #loan-alerts; their outbox and alert ids
overlap. A retry looks for its earlier post by outbox id, installation id and the row's token,
so neither takes the other's post for its own, and neither edits the other's messages. The
same holds for one database restored from a backup, whose ids start again.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, transaction
from bot.models import Base, Installation
from bot.sessions import session_factory
from tests.jobs.slack_support import (
    ALERTS,
    FakeClock,
    bob_acknowledges,
    deliver_all,
    delivery,
    installation_id,
    open_alerts,
    outbox,
    slack_transport,
)
from tests.support.databases import sqlite_copy
from tests.support.fake_slack import FakeSlack, Fault, Message


@pytest.fixture
def staging(_sqlite_template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A second database, with an installation id of its own as `db upgrade` gives each."""
    folder = tmp_path / "staging"
    folder.mkdir()
    engine = make_engine(sqlite_copy(_sqlite_template, folder))
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.execute(delete(Installation))
    installation_id(sessions)  # made afresh
    yield sessions
    engine.dispose()


def first_posts_lost(slack: FakeSlack) -> Callable[[], None]:
    """Every chat.postMessage is dropped before Slack acts, until the returned switch is called."""
    down = {"chat.postMessage"}
    slack.faults = lambda method: Fault("drop_before") if method in down else None
    return down.clear


def by_installation(slack: FakeSlack) -> Counter[tuple[str, int]]:
    """Top-level messages in #loan-alerts per (installation id, alert id)."""
    return Counter(
        (m.metadata["event_payload"]["installation_id"], m.metadata["event_payload"]["alert_id"])
        for m in slack.messages(ALERTS)
        if m.metadata
    )


def posted_by(slack: FakeSlack, installation: str) -> list[Message]:
    return [
        m
        for m in slack.messages(ALERTS)
        if m.metadata and m.metadata["event_payload"]["installation_id"] == installation
    ]


def test_staging_beside_production_posts_every_notice_once_and_edits_only_its_own(
    sessions, staging, slack, clock
) -> None:
    """Same outbox ids in both: staging's retries find none of production's posts."""
    production_alerts = open_alerts(sessions, clock.now, count=5)
    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)
    staging_alerts = open_alerts(staging, clock.now, count=5)
    assert [row.id for row in outbox(staging)] == [row.id for row in outbox(sessions)]
    assert staging_alerts == production_alerts

    back_up = first_posts_lost(slack)
    staging_worker = delivery(staging, slack_transport(slack), clock)
    staging_worker.step()  # every first try is lost: each row will look before posting again
    back_up()
    deliver_all(staging_worker, clock)
    bob_acknowledges(staging, staging_alerts[0], clock.now)
    deliver_all(staging_worker, clock)

    production, stage = installation_id(sessions), installation_id(staging)
    assert by_installation(slack) == Counter(
        {(who, alert): 1 for who in (production, stage) for alert in production_alerts}
    )
    assert [m.edited for m in posted_by(slack, production)] == [0] * 5
    assert [m.edited for m in posted_by(slack, stage)] == [1, 0, 0, 0, 0]
    assert "Acknowledged by" in str(posted_by(slack, stage)[0].blocks)
    assert all(slack.thread(ALERTS, m.ts) == [] for m in posted_by(slack, production))


def restore_an_earlier_backup(sessions: sessionmaker[Session]) -> None:
    """The database as a backup from before any alert: same installation, ids start again."""
    with transaction(sessions) as session:
        tables = [t for t in Base.metadata.sorted_tables if t.name != "installation"]
        if session.get_bind().dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                session.execute(table.delete())


def test_a_restored_backup_whose_ids_start_again_does_not_take_its_old_posts_for_new_ones(
    sessions, slack, clock: FakeClock
) -> None:
    """Outbox ids 1–3 again, same installation: the random token tells the new rows apart."""
    before = open_alerts(sessions, clock.now, count=3)
    deliver_all(delivery(sessions, slack_transport(slack), clock), clock)
    restore_an_earlier_backup(sessions)
    after = open_alerts(sessions, clock.now, count=3)
    assert after == before

    back_up = first_posts_lost(slack)
    worker = delivery(sessions, slack_transport(slack), clock)
    worker.step()
    back_up()
    deliver_all(worker, clock)

    tokens = Counter(m.metadata["event_payload"]["token"] for m in slack.messages(ALERTS))
    assert len(slack.messages(ALERTS)) == 6
    assert set(tokens.values()) == {1}
    assert {row.token for row in outbox(sessions)} <= set(tokens)
    assert [row.state for row in outbox(sessions)] == ["sent"] * 3
