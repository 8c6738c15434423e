"""The same observations posted by several clients at once (a robot retried without an
Idempotency-Key, two robots reading the same platform): recorded once, the others seen before
or corrections, never a second current bill and never a 500. On PostgreSQL too, where two
transactions read at the same time (bot.ledger.locks)."""

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.models import Bill, DrawConfirmation, LimitReading
from tests.api.test_observations import AT, bill, limit

CLIENTS = 6


def at_once(api, batches: list[list[dict[str, Any]]]) -> list[Any]:
    """Each batch posted by its own client, all started together."""
    start = threading.Barrier(len(batches))
    answers: list[Any] = [None] * len(batches)

    def post(i: int) -> None:
        start.wait()
        answers[i] = api.writer.post(batches[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def outcomes(answers: list[Any]) -> list[str]:
    assert [a.status for a in answers] == [200] * len(answers), [a.body for a in answers]
    return sorted(r["outcome"] for a in answers for r in a.body["results"])


def count(sessions, model: Any, *where: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_same_bill_posted_at_once_is_one_bill(api, jiebei, sessions, database_url) -> None:
    if database_url.startswith("postgresql"):
        pytest.importorskip("psycopg")
    the_bill = bill(reference="B1")
    answers = at_once(api, [[the_bill]] * CLIENTS)
    assert outcomes(answers) == ["new"] + ["seen_before"] * (CLIENTS - 1)
    assert count(sessions, Bill, Bill.superseded_at.is_(None)) == 1


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_different_amounts_of_one_bill_at_once_leave_one_current_version(
    api, jiebei, sessions
) -> None:
    """One is new, the others corrections of it: one current amount, the rest history."""
    batches = [[bill(f"{1000 + i}.00", reference="B2")] for i in range(CLIENTS)]
    answers = at_once(api, batches)
    assert outcomes(answers) == ["correction"] * (CLIENTS - 1) + ["new"]
    assert count(sessions, Bill, Bill.superseded_at.is_(None)) == 1
    assert count(sessions, Bill) == CLIENTS


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_same_readings_and_payouts_at_once_are_recorded_once(api, jiebei, sessions) -> None:
    """Twenty readings and a payout by amount, sent by six clients together: no 500."""
    readings = [limit(observed_at=f"2026-12-01T09:{m:02d}:00+08:00") for m in range(20)]
    payout = {"kind": "payout", "facility": "jiebei-main", "amount": "5000.00", "observed_at": AT}
    answers = at_once(api, [[*readings, payout]] * CLIENTS)
    got = outcomes(answers)
    assert got.count("new") == 21
    assert got.count("seen_before") == 21 * (CLIENTS - 1)
    assert count(sessions, LimitReading) == 20
    assert count(sessions, DrawConfirmation) == 1
