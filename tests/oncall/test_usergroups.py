"""The on-call user group's syncs: one per change of who is on call, however many wake-ups.

The rotation `finance` (Ann and Ben, a day each, handing off at 09:00 in Shanghai) keeps user
group S0FINONCALL in step; Cat takes an afternoon as an override.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import make_engine
from bot.models import AuditRecord, OncallOverride, OutboxMessage, Rotation
from bot.oncall.rotations import add_override, add_rotation, who
from bot.oncall.usergroups import USERGROUP_KIND, run_usergroup_syncs, set_usergroup
from bot.sessions import session_factory
from tests.conftest import ALICE

# Tuesday 2026-12-01, 10:00 in Shanghai.
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
GROUP = "S0FINONCALL"


def _finance(session) -> Rotation:
    rotation = add_rotation(
        session,
        ALICE,
        "finance",
        members="U0ANN,U0BEN",
        handoff="09:00",
        length="1d",
        timezone="Asia/Shanghai",
        now=START,
    )
    set_usergroup(session, ALICE, "finance", GROUP, now=START)
    add_override(
        session,
        ALICE,
        "finance",
        user="U0CAT",
        starts=START + timedelta(hours=4),
        ends=START + timedelta(hours=8),
        now=START,
    )
    session.commit()
    return rotation


def _synced(session) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == USERGROUP_KIND).order_by(OutboxMessage.id)
    )
    return [row.payload["user"] for row in rows]


def test_each_change_of_who_is_on_call_is_one_sync_and_nothing_between(session) -> None:
    """Ann now; Cat from 14:00 to 18:00; Ann again; Ben at 09:00 the next day. Wake-ups every
    ten minutes write exactly those four; `-` stops the syncs."""
    _finance(session)
    moment = START
    while moment <= START + timedelta(days=1, hours=1):
        run_usergroup_syncs(session, now=moment)
        session.commit()
        moment += timedelta(minutes=10)
    assert _synced(session) == ["U0ANN", "U0CAT", "U0ANN", "U0BEN"]
    first = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == USERGROUP_KIND).order_by(OutboxMessage.id)
    ).first()
    assert first.channel == GROUP
    assert first.payload["text"] == (
        "User group S0FINONCALL is now U0ANN, on call in finance until 2026-12-01 14:00 CST"
    )
    assert "oncall.usergroup" in set(session.scalars(select(AuditRecord.action)))

    set_usergroup(session, ALICE, "finance", "-", now=moment)
    run_usergroup_syncs(session, now=moment + timedelta(days=1))
    assert len(_synced(session)) == 4


@pytest.mark.postgres
def test_two_workers_waking_together_write_each_sync_once(postgres_url) -> None:
    """Two wake-ups at every moment (a barrier lines them up): each change is claimed once."""
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with sessions() as session:
        rotation = _finance(session)
        moments = [START + timedelta(minutes=30 * n) for n in range(2 * 26)]
        expected = []
        for moment in moments:
            user = who(session, rotation, moment).user
            if not expected or expected[-1] != user:
                expected.append(user)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker() -> None:
        with sessions() as session:
            for moment in moments:
                barrier.wait()
                try:
                    run_usergroup_syncs(session, now=moment)
                    session.commit()
                except BaseException as exc:
                    session.rollback()
                    failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with sessions() as session:
        synced = _synced(session)
        assert session.scalar(select(OncallOverride.user)) == "U0CAT"
    engine.dispose()
    assert failures == []
    assert synced == expected
    assert len(expected) >= 4
