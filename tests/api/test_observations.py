"""POST /api/v1/observations as a script sends it: all of a batch or none of it, each
observation's outcome said, every problem listed at once, retries answered once."""

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from bot.calendar import BusinessCalendar
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from bot.models import AuditRecord, Bill, Draw, LimitReading
from bot.settings import Settings
from jobs.cycle import run_check_cycle
from tests.api.conftest import DANA

AT = "2026-12-01T09:30:00+08:00"


def limit(amount: Any = "200000.00", available: Any = "150000.00", **more: Any) -> dict:
    return {
        "kind": "limit",
        "facility": "jiebei-main",
        "limit": amount,
        "available": available,
        "status": "active",
        "observed_at": AT,
    } | more


def bill(amount: Any = "4498.77", **more: Any) -> dict:
    return {
        "kind": "bill",
        "facility": "jiebei-main",
        "due_date": "2026-12-10",
        "amount": amount,
        "paid": False,
        "observed_at": AT,
    } | more


def written(sessions) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(LimitReading)),
            session.scalar(select(func.count()).select_from(Bill)),
        )


def test_a_batch_is_recorded_and_each_observation_says_what_it_was(api, jiebei, sessions) -> None:
    """New the first time; the same reading again is seen before, another bill amount a
    correction; the amounts are kept exact to the fen."""
    first = api.writer.post([limit(), bill()])
    assert first.status == 200, first.body
    assert [r["outcome"] for r in first.body["results"]] == ["new", "new"]
    again = api.writer.post([limit(), bill("4498.70", observed_at="2026-12-01T09:45:00+08:00")])
    assert again.status == 200, again.body
    assert [r["outcome"] for r in again.body["results"]] == ["seen_before", "correction"]
    assert again.body["counts"] == {"new": 0, "seen_before": 1, "correction": 1}
    with sessions() as session:
        amounts = sorted(str(b.amount) for b in session.scalars(select(Bill)))
        reading = session.scalar(select(LimitReading))
    assert amounts == ["4498.70", "4498.77"]
    assert str(reading.available) == "150000.00"


def test_every_bad_observation_is_reported_in_one_422_and_nothing_is_written(
    api, jiebei, sessions
) -> None:
    """A float, three decimals, a time without offset, an unknown facility, an unknown draw and
    an unknown kind: each is named by its index; the good observation is not kept either."""
    batch = [
        limit(),
        limit(amount=200000.5),
        bill("4498.771"),
        limit(observed_at="2026-12-01T09:30:00"),
        bill(facility="nowhere"),
        {"kind": "payout", "facility": "jiebei-main", "draw": 999, "observed_at": AT},
        {"kind": "repayment", "facility": "jiebei-main"},
    ]
    answer = api.writer.post(batch)
    assert answer.status == 422, answer.body
    indexes = sorted({p["index"] for p in answer.body["problems"]})
    assert indexes == [1, 2, 3, 4, 5, 6]
    by_index = {p["index"]: p for p in answer.body["problems"]}
    assert by_index[1]["field"] == "limit"
    assert "JSON number" in by_index[1]["reason"]
    assert by_index[4]["field"] == "facility"
    assert "no facility named 'nowhere'" in by_index[4]["reason"]
    assert "no draw #999" in by_index[5]["reason"]
    assert "nothing was recorded" in answer.body["error"]
    assert written(sessions) == (0, 0)


def test_an_observation_the_ledger_refuses_takes_the_whole_batch_back(
    api, jiebei, sessions
) -> None:
    """A reading from the future reads well but the ledger refuses it: 422 naming it, and the
    reading and bill before it are not kept."""
    answer = api.writer.post([limit(), bill(), limit(observed_at="2026-12-03T09:30:00+08:00")])
    assert answer.status == 422, answer.body
    assert [p["index"] for p in answer.body["problems"]] == [2]
    assert "in the future" in answer.body["problems"][0]["reason"]
    assert written(sessions) == (0, 0)


def test_more_than_a_thousand_observations_get_413(api, jiebei, sessions) -> None:
    """1,001 observations are refused whole, as is a body past the size limit."""
    many = [
        limit(observed_at=f"2026-11-30T{h:02d}:{m:02d}:00+08:00")
        for h in range(17)
        for m in range(59)
    ]
    assert len(many) > 1000
    assert api.writer.post(many[:1001]).status == 413
    huge = json.dumps({"observations": [limit(note="x" * 1_500_000)]}).encode()
    answer = api.writer.request("POST", "/api/v1/observations", raw=huge)
    assert answer.status == 413
    assert "larger than 1,048,576 bytes" in answer.body["error"]
    assert written(sessions) == (0, 0)


def test_a_thousand_observations_are_within_the_limit(api, jiebei, sessions) -> None:
    """Exactly 1,000 are refused for what they say (an unknown facility, 422), not for their
    number: the size rule lets them through."""
    answer = api.writer.post([limit(facility="nowhere")] * 1000)
    assert answer.status == 422, answer.body
    assert len(answer.body["problems"]) == 1000


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_writes_once(
    api, jiebei, sessions
) -> None:
    """The second request is answered as the first, marked replayed, and writes nothing (the
    audit trail has the first request's records only)."""
    key = {"Idempotency-Key": "batch-2026-12-01-0930"}
    first = api.writer.post([limit(), bill()], headers=key)
    with sessions() as session:
        audited = session.scalar(select(func.count()).select_from(AuditRecord))
    retry = api.writer.post([limit(), bill()], headers=key)
    assert retry.status == first.status == 200
    assert retry.body == first.body
    assert retry.headers.get("idempotent-replayed") == "true"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == audited
    assert written(sessions) == (1, 1)


def test_the_same_idempotency_key_with_another_body_is_refused(api, jiebei, sessions) -> None:
    """A key reused for a different batch is a client's mistake: 422, saying so, nothing kept."""
    key = {"Idempotency-Key": "batch-1"}
    assert api.writer.post([limit()], headers=key).status == 200
    answer = api.writer.post([bill()], headers=key)
    assert answer.status == 422
    assert "Idempotency-Key was used already for a different body" in answer.body["error"]
    assert written(sessions) == (1, 0)


def test_an_answer_is_kept_for_a_day_then_the_key_is_forgotten(
    api, jiebei, sessions, clock
) -> None:
    """The worker's cycle a day later forgets the key: sent again with another batch, it is a
    new request (the day before, the same key and body was still replayed)."""
    key = {"Idempotency-Key": "batch-of-monday"}
    assert api.writer.post([limit()], headers=key).status == 200
    clock.advance(hours=23)
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=Settings(), calendar=BusinessCalendar())
    assert api.writer.post([limit()], headers=key).headers.get("idempotent-replayed") == "true"

    clock.advance(hours=2)
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=Settings(), calendar=BusinessCalendar())

    answer = api.writer.post([bill()], headers=key)
    assert answer.status == 200, answer.body
    assert "idempotent-replayed" not in answer.headers
    assert written(sessions) == (1, 1)


def test_a_refused_batch_keeps_no_answer_under_its_key(api, jiebei, sessions) -> None:
    """Fixed and sent again under the same key, a refused batch is tried anew."""
    key = {"Idempotency-Key": "batch-2"}
    assert api.writer.post([bill(facility="nowhere")], headers=key).status == 422
    assert api.writer.post([bill()], headers=key).status == 200
    assert written(sessions) == (0, 1)


def test_a_payout_confirms_its_draw_once(api, jiebei, sessions, clock) -> None:
    """A payout naming the draw confirms it (new), the same again is seen before; a payout
    by amount is recorded and, posted again, seen before too."""
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        draw = record_draw(
            session, DANA, facility, DrawRequest(amount=Decimal("50000.00"), months=3), now=clock()
        )
    payout = {"kind": "payout", "facility": "jiebei-main", "draw": draw.id, "observed_at": AT}
    by_amount = {"kind": "payout", "facility": "jiebei-main", "amount": "800.00", "observed_at": AT}
    first = api.writer.post([payout, by_amount])
    assert [r["outcome"] for r in first.body["results"]] == ["new", "new"], first.body
    again = api.writer.post([payout, by_amount])
    assert [r["outcome"] for r in again.body["results"]] == ["seen_before", "seen_before"]
    with sessions() as session:
        assert session.get(Draw, draw.id).confirmed_at is not None
    both = api.writer.post([payout | {"amount": "1.00"}])
    assert both.status == 422
    assert both.body["problems"][0]["index"] == 0


def test_two_requests_with_one_key_sent_together_write_once(api, jiebei, sessions) -> None:
    """Sent at the same time, the same batch under the same key is recorded once and both
    requests get the same answer."""
    key = {"Idempotency-Key": "together"}
    batch = [limit(), bill()]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: api.writer.post(batch, headers=key), range(2)))
    assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
    assert answers[0].body == answers[1].body
    assert [r["outcome"] for r in answers[0].body["results"]] == ["new", "new"]
    assert written(sessions) == (1, 1)
