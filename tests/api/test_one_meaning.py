"""A batch means one thing: a key given twice in a JSON object, or one bill shown two ways in
the same batch, is refused naming both rather than the last silently winning; and every
problem of an observation names its field."""

import json
from decimal import Decimal

import pytest

from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from tests.api.conftest import DANA
from tests.api.test_hostile_observations import payout, problems
from tests.api.test_observations import AT, bill, limit, written


def test_a_key_given_twice_in_an_observation_is_refused_naming_it(api, jiebei, sessions):
    """{"limit": "1.00", "limit": "300000.00"}: json.loads would keep the last; refused."""
    text = json.dumps({"observations": [limit(), bill()]})
    text = text.replace('"limit": "200000.00"', '"limit": "1.00", "limit": "200000.00"')
    answer = api.writer.request("POST", "/api/v1/observations", raw=text.encode())
    found = problems(answer)
    assert list(found) == [0]
    assert found[0]["field"] == "limit"
    assert "given twice" in found[0]["reason"]
    assert written(sessions) == (0, 0)


def test_a_key_given_twice_anywhere_in_the_body_is_refused(api, jiebei, sessions):
    text = f'{{"observations": [], "observations": [{json.dumps(limit())}]}}'
    answer = api.writer.request("POST", "/api/v1/observations", raw=text.encode())
    assert answer.status == 422, answer.body
    [problem] = answer.body["problems"]
    assert (problem["index"], problem["field"]) == (None, "observations")
    assert "given twice" in problem["reason"]
    assert written(sessions) == (0, 0)


def test_a_key_given_twice_is_named_where_it_is_not_elsewhere(api, jiebei):
    """The first value of a repeated key, an object, is thrown away: the next object parsed
    must not be taken for it (its memory reused) and named given twice."""
    first = json.dumps(limit())[:-1] + ', "extra": {"a": 1, "a": 2}, "extra": 0}'
    second = json.dumps(bill())[:-1] + ', "note": {"z": 1}}'
    text = f'{{"observations": [{first}, {second}]}}'
    answer = api.writer.request("POST", "/api/v1/observations", raw=text.encode())
    assert answer.status == 422, answer.body
    twice = [p for p in answer.body["problems"] if "given twice" in p["reason"]]
    assert [(p["index"], p["field"]) for p in twice] == [(0, "extra")]


def test_a_key_given_twice_is_refused_only_with_a_valid_token(api, jiebei):
    text = '{"observations": [], "observations": []}'
    answer = api.anonymous.request("POST", "/api/v1/observations", raw=text.encode())
    assert answer.status == 401


def test_one_bill_given_two_amounts_in_a_batch_is_refused_naming_both(api, jiebei, sessions):
    answer = api.writer.post([bill("100.00"), limit(), bill("200.00")])
    found = problems(answer)
    assert list(found) == [2]
    assert found[2]["field"] == "amount"
    assert "observations 0 and 2 of this batch" in found[2]["reason"]
    assert "two amounts" in found[2]["reason"]
    assert written(sessions) == (0, 0)


@pytest.mark.parametrize(
    ("first", "second"), [("B-1", "B-1 "), (" ", "B-2")], ids=["trailing space", "blank"]
)
def test_references_are_compared_as_the_ledger_keeps_them(api, jiebei, sessions, first, second):
    """The ledger keeps "B-1 " as "B-1" and a blank reference as none: the same bill, so its
    two amounts are refused, not folded into one bill with the last amount."""
    answer = api.writer.post([bill("100.00", reference=first), bill("200.00", reference=second)])
    found = problems(answer)
    assert list(found) == [1]
    assert "two amounts" in found[1]["reason"]
    assert written(sessions) == (0, 0)


def test_one_bill_shown_paid_and_unpaid_in_a_batch_is_refused_naming_both(api, jiebei, sessions):
    later = "2026-12-01T09:35:00+08:00"
    for sightings in ([True, False], [False, True]):
        answer = api.writer.post(
            [bill(paid=sightings[0]), bill(paid=sightings[1], observed_at=later)]
        )
        found = problems(answer)
        assert found[1]["field"] == "paid"
        assert "observations 0 and 1 of this batch" in found[1]["reason"]
        assert written(sessions) == (0, 0)


def test_the_same_bill_twice_and_two_bills_of_one_day_are_no_conflict(api, jiebei):
    """The same sighting again is seen before; bills of one day with two references are two."""
    answer = api.writer.post(
        [
            bill(reference="A1"),
            bill(reference="A1"),
            bill("100.00", reference="B2"),
        ]
    )
    assert answer.status == 200, answer.body
    assert [r["outcome"] for r in answer.body["results"]] == ["new", "seen_before", "new"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (bill(due_date="9999-12-31"), "due_date"),
        (bill(due_date="0001-01-01"), "due_date"),
        (payout(draw=1, amount="50.00"), "amount"),
        ({"kind": "repayment", "facility": "jiebei-main", "observed_at": AT}, "kind"),
        ("a bill", "kind"),
    ],
    ids=["due-9999", "due-0001", "payout-both", "unknown-kind", "not-an-object"],
)
def test_every_problem_of_an_observation_names_its_field(api, jiebei, item, field):
    found = problems(api.writer.post([item]))
    assert found[0]["field"] == field, found


def test_a_payout_that_arrived_before_its_draw_names_observed_at(api, jiebei, sessions, clock):
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        draw = record_draw(
            session, DANA, facility, DrawRequest(amount=Decimal("800.00"), months=3), now=clock()
        )
        draw_id = draw.id
    answer = api.writer.post(
        [payout(amount=None, draw=draw_id, observed_at="2026-11-01T09:00:00+08:00")]
    )
    found = problems(answer)
    assert found[0]["field"] == "observed_at"
    assert "before draw" in found[0]["reason"]


def test_two_readings_of_one_moment_name_observed_at(api, jiebei):
    found = problems(api.writer.post([limit(), limit(amount="0.00", available="0.00")]))
    assert found[1]["field"] == "observed_at"


def test_a_key_given_twice_is_listed_with_the_other_observations_problems(api, jiebei):
    text = json.dumps({"observations": [limit(), bill("4498.771"), bill(facility="nowhere")]})
    text = text.replace('"kind": "limit"', '"kind": "limit", "kind": "limit"')
    found = problems(api.writer.request("POST", "/api/v1/observations", raw=text.encode()))
    assert {index: p["field"] for index, p in found.items()} == {
        0: "kind",
        1: "amount",
        2: "facility",
    }
