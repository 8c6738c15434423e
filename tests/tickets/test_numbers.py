"""Tickets under concurrency on PostgreSQL: numbers never shared, follow-ups never doubled."""

import threading

import pytest
from sqlalchemy import select

from bot.calendar import BusinessCalendar
from bot.db import make_engine, transaction
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.tickets.contacts import check_contact, set_contact
from bot.tickets.exports import ticket_rows
from bot.tickets.follow_ups import run_ticket_wake_ups
from bot.tickets.opening import open_ticket
from bot.tickets.words import Language, Via
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line


@pytest.mark.postgres
def test_ten_people_opening_tickets_at_once_get_ten_numbers(postgres_url, now) -> None:
    """Ten threads, each its own transaction on PostgreSQL: T-1 … T-10, none twice."""
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        jiebei_line(session, ALICE, now)
    start = threading.Barrier(10)
    failures: list[BaseException] = []

    def open_one(i: int) -> None:
        try:
            start.wait()
            with transaction(sessions) as session:
                open_ticket(
                    session,
                    ALICE,
                    "jiebei-main",
                    f"case {i}",
                    now=now,
                    calendar=BusinessCalendar(),
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        ids = sorted(int(row["id"][2:]) for row in ticket_rows(session))
    engine.dispose()
    assert ids == list(range(1, 11))


@pytest.mark.postgres
def test_two_workers_waking_at_once_send_one_follow_up(postgres_url, now) -> None:
    """Two workers run the due follow-up at the same moment: one reminder, one email row."""
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        facility = jiebei_line(session, ALICE, now)
        set_contact(session, ALICE, "jiebei", check_contact(
            Via.EMAIL, to="cs@jiebei.example", url=None, secret_env=None,
            language=Language.ZH, follow_up_days=2,
        ), facility_slug=None, now=now)  # fmt: skip
        opened = open_ticket(
            session, ALICE, facility.slug, "账单缺失", now=now, calendar=BusinessCalendar()
        )
        due = opened.ticket.next_follow_up_at
    start = threading.Barrier(2)

    def wake() -> None:
        start.wait()
        with transaction(sessions) as session:
            run_ticket_wake_ups(session, now=due, calendar=BusinessCalendar())

    threads = [threading.Thread(target=wake) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        [row] = list(ticket_rows(session))
        kinds = session.scalars(select(OutboxMessage.payload["follow_up"].as_integer()).where(
            OutboxMessage.kind == "ticket.platform")).all()  # fmt: skip
    engine.dispose()
    assert row["follow_ups"] == 1
    assert sorted(kinds) == [0, 1]
