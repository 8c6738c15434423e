"""Observations a careless or hostile client sends: each refused as a 422 item naming its field,
by the same rules the CLI and Slack apply, nothing written, never a 500."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from bot.models import DrawConfirmation
from tests.api.conftest import DANA
from tests.api.test_observations import AT, bill, limit, written


def payout(**more) -> dict:
    return {
        "kind": "payout",
        "facility": "jiebei-main",
        "amount": "800.00",
        "observed_at": AT,
    } | more


def problems(answer) -> dict[int, dict]:
    assert answer.status == 422, answer.body
    return {p["index"]: p for p in answer.body["problems"]}


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize("make", [payout, limit, bill], ids=["payout", "limit", "bill"])
def test_a_time_at_the_edge_of_the_calendar_is_refused_not_a_500(api, jiebei, moment, make):
    answer = api.writer.post([make(observed_at=moment)])
    found = problems(answer)
    assert found[0]["field"] == "observed_at"
    assert "2000" in found[0]["reason"] or "outside" in found[0]["reason"]


@pytest.mark.parametrize("make", [payout, limit, bill], ids=["payout", "limit", "bill"])
def test_a_time_a_day_in_the_future_is_refused_for_every_kind(api, jiebei, sessions, make):
    answer = api.writer.post([make(observed_at="2026-12-02T10:00:00+08:00")])
    found = problems(answer)
    assert found[0]["field"] == "observed_at"
    assert "in the future" in found[0]["reason"]
    assert written(sessions) == (0, 0)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DrawConfirmation)) == 0


@pytest.mark.parametrize(
    ("shown", "field", "says"),
    [
        ({"amount": "-5.00"}, "limit", "negative"),
        ({"amount": "-0"}, "limit", "negative"),
        ({"available": "-1.00"}, "available", "negative"),
        (
            {"amount": "999999999999999.99", "available": None},
            "limit",
            "a trillion yuan or more",
        ),
    ],
)
def test_limit_amounts_follow_the_ledgers_rule(api, jiebei, sessions, shown, field, says):
    shown = dict(shown)  # the parameter is shared by the SQLite and PostgreSQL runs: not popped
    reading = limit(**({"limit": shown.pop("amount")} if "amount" in shown else {}), **shown)
    if reading["available"] is None:
        del reading["available"]
    found = problems(api.writer.post([reading]))
    assert found[0]["field"] == field
    assert says in found[0]["reason"]
    assert not found[0]["reason"].startswith("Value error")
    assert written(sessions) == (0, 0)


def test_a_zero_reading_is_still_a_reading_and_an_impossible_one_is_kept_for_the_checks(
    api, jiebei, sessions
) -> None:
    """Zero is a frozen line; available above the limit is what the platform showed, recorded
    as the CLI records it, for `limit_inconsistent` to raise (docs/checks.md)."""
    answer = api.writer.post(
        [
            limit("0.00", "0.00", status="frozen"),
            limit("100.00", "200.00", observed_at="2026-12-01T09:31:00+08:00"),
        ]
    )
    assert answer.status == 200, answer.body


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\ue000", "\u2028", "\x85"])
@pytest.mark.parametrize("make", [payout, bill], ids=["payout", "bill"])
def test_a_reference_with_a_hidden_character_is_refused(api, jiebei, sessions, make, char):
    answer = api.writer.post([make(reference=f"B2026{char}1201")])
    found = problems(answer)
    assert found[0]["field"] == "reference"
    assert f"U+{ord(char):04X}" in found[0]["reason"]
    assert written(sessions) == (0, 0)


def test_a_reference_with_a_bidi_override_is_refused_by_the_ledger_too(sessions, jiebei, clock):
    """The CLI, Slack and imports record through the same function."""
    from bot.errors import InputError
    from bot.ledger.observations import record_bill

    with sessions.begin() as session, pytest.raises(InputError, match="U\\+202E"):
        record_bill(
            session,
            DANA,
            get_facility(session, "jiebei-main"),
            due_date=__import__("datetime").date(2026, 12, 10),
            amount=Decimal("1.00"),
            paid=False,
            now=clock(),
            reference="B\u202e1",
        )


def test_two_readings_of_one_moment_in_a_batch_name_both(api, jiebei, sessions) -> None:
    answer = api.writer.post([limit(), bill(), limit(amount="0.00", available="0.00")])
    found = problems(answer)
    assert "observations 0 and 2 of this batch" in found[2]["reason"]


def test_a_payout_by_amount_says_which_draw_it_confirmed(api, jiebei, sessions, clock) -> None:
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        draw = record_draw(
            session, DANA, facility, DrawRequest(amount=Decimal("800.00"), months=3), now=clock()
        )
        draw_id = draw.id
    answer = api.writer.post([payout(), payout(amount="123.45", reference="X1")])
    assert answer.status == 200, answer.body
    assert [r["draw"] for r in answer.body["results"]] == [draw_id, None]


def test_a_reason_is_the_rule_itself_without_pydantics_prefix(api, jiebei) -> None:
    found = problems(api.writer.post([limit(amount=4498.77)]))
    assert found[0]["reason"].startswith("an amount is a string such as"), found[0]


OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moment=st.datetimes(
        # hypothesis bounds are naive; the times drawn carry OFFSETS.
        min_value=datetime(1, 1, 2),  # noqa: DTZ001
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=OFFSETS,
    ),
    edge=st.sampled_from(["", "0001-01-01T00:00:00", "9999-12-31T23:59:59"]),
    offset=OFFSETS,
    kind=st.sampled_from(["payout", "limit", "bill"]),
)
@example(
    moment=datetime(2026, 12, 1, tzinfo=UTC),
    edge="9999-12-31T23:59:59",
    offset=timezone(timedelta(hours=-12)),
    kind="payout",
)
def test_no_time_of_any_kind_gets_past_validation_as_a_500(
    api, jiebei, moment, edge, offset, kind
) -> None:
    """Any time Python can write, the calendar's very first and last seconds at every offset
    among them: recorded or refused as a 422, never a 500."""
    if edge:
        sign = "-" if offset.utcoffset(None) < timedelta(0) else "+"
        minutes = abs(int(offset.utcoffset(None).total_seconds() // 60))
        text = f"{edge}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    else:
        text = moment.isoformat()
    make = {"payout": payout, "limit": limit, "bill": bill}[kind]
    answer = api.writer.post([make(observed_at=text)])
    assert answer.status in (200, 422), (text, answer.body)
