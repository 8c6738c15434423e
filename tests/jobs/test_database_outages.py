"""The database unavailable for a moment (PostgreSQL restarting): a slot is still run once and
a send's outcome is still recorded, without waiting for the next slot or the lease."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.db import through_outages, transaction
from bot.models import OutboxMessage, SchedulerSlot
from jobs.delivery import DeliveryWorker, enqueue
from jobs.scheduler import run_once_per_slot

MINUTE = timedelta(minutes=1)
AT = datetime(2026, 11, 28, 10, 0, 5, tzinfo=UTC)


def unavailable() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL is shutting down under a query."""
    return OperationalError(
        "SELECT 1", {}, psycopg.OperationalError("the database system is shutting down")
    )


def test_a_step_is_tried_again_while_the_database_is_unavailable() -> None:
    """Two refusals, then an answer: the answer; a bug is raised at once, not tried again."""
    refusals = [unavailable(), unavailable()]

    def step() -> str:
        if refusals:
            raise refusals.pop(0)
        return "answered"

    assert through_outages(step, what="test", within=10, first_pause=0.01) == "answered"

    def bug() -> None:
        raise OperationalError("SELECT 1", {}, ValueError("not the database"))

    with pytest.raises(OperationalError):
        through_outages(bug, what="test", within=10, first_pause=0.01)


def test_a_slot_whose_run_meets_a_restart_is_run_again_within_it(sessions) -> None:
    """The check cycle's transaction breaks on the restart: it runs again, and the slot is
    finished, rather than left claimed and never run."""
    tries: list[datetime] = []

    def cycle(now: datetime) -> None:
        tries.append(now)
        if len(tries) == 1:
            raise unavailable()

    assert run_once_per_slot(sessions, "checks", MINUTE, "alpha", cycle, clock=lambda: AT)
    assert tries == [AT, AT]
    with sessions() as session:
        slot = session.scalars(select(SchedulerSlot)).one()
    assert (slot.claimed_by, slot.finished_at is not None) == ("alpha", True)


def test_a_claim_committed_as_its_connection_broke_is_still_run(sessions) -> None:
    """The claim's commit went through but its answer was lost, and the claim was tried again:
    the slot is this worker's own and it runs it; another worker does not."""
    with transaction(sessions) as session:
        session.add(
            SchedulerSlot(
                job="checks", slot=AT.replace(second=0), claimed_by="alpha", claimed_at=AT
            )
        )
    ran: list[str] = []
    for worker in ("bravo", "alpha", "alpha"):
        run_once_per_slot(
            sessions,
            "checks",
            MINUTE,
            worker,
            lambda now, w=worker: ran.append(w),
            clock=lambda: AT,
        )
    assert ran == ["alpha"]


class Slack:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, message) -> str:
        self.sent.append(message.id)
        return f"C0ALERTS:{len(self.sent)}.000100"


def test_a_send_recorded_while_the_database_restarts_is_recorded_sent(
    sessions, monkeypatch
) -> None:
    """Sent, and the database goes away as the send is recorded: recorded again a moment
    later, the row is `sent`, not left `sending` until its lease runs out; sent once."""
    with transaction(sessions) as session:
        row_id = enqueue(
            session, kind="alert_opened", channel="C0ALERTS", payload={"summary": "x"}, now=AT
        ).id
    slack = Slack()
    delivery = DeliveryWorker(sessions, slack, worker_id="alpha", clock=lambda: AT)
    settle = delivery._settle
    refusals = [unavailable()]

    def flaky(session, message_id, **values):
        if values.get("state") == "sent" and refusals:
            raise refusals.pop(0)
        return settle(session, message_id, **values)

    monkeypatch.setattr(delivery, "_settle", flaky)
    assert delivery.step()
    with sessions() as session:
        assert session.get(OutboxMessage, row_id).state == "sent"
    assert slack.sent == [row_id]
