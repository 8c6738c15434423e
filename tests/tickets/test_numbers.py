"""Ticket numbers under concurrency: many people opening tickets at once never share a number."""

import threading

import pytest

from bot.calendar import BusinessCalendar
from bot.db import make_engine, transaction
from bot.sessions import session_factory
from bot.tickets.exports import ticket_rows
from bot.tickets.opening import open_ticket
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
