"""Reading requests in Slack: the direct message at the scheduled minute and its buttons.

The cast: Dana owns jiebei-main's readings (asked at 10:00 on working days, set Monday
2026-11-30 at 11:00, after that day's slot); the platform showed ¥300,000 limit and
¥216,689.32 available on Monday at 10:04. The clock starts Tuesday 2026-12-01 09:59 Shanghai.
"""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.observations import record_limit_reading
from bot.ledger.reading_requests import set_readings
from bot.models import Alert, Facility, LimitReading, ReadingRequest
from bot.slack.reading_blocks import CHANGED_ACTION, SAME_ACTION, UNAVAILABLE_ACTION
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.support.slack_app import CHARLIE, DANA

SHANGHAI = ZoneInfo("Asia/Shanghai")
DANA_DM = "D" + DANA[1:]
QUESTION = (
    "借呗 jiebei-main: what does the platform show now? Last reading ¥300,000 limit, "
    "¥216,689.32 available (yesterday 10:04)"
)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def owned(sessions, jiebei: Facility, clock) -> Facility:
    """jiebei-main asks Dana at 10:00 on working days; Monday's reading is the last one."""
    admin = Actor("cli:alice", "cli")
    with sessions.begin() as session:
        facility = session.get(Facility, jiebei.id)
        set_readings(
            session,
            admin,
            facility,
            owner=DANA,
            readings="workdays 10:00",
            now=shanghai(2026, 11, 30, 11, 0),
        )
        record_limit_reading(
            session,
            admin,
            facility,
            limit_amount=Decimal(300000),
            available=Decimal("216689.32"),
            now=shanghai(2026, 11, 30, 10, 4),
        )
    clock.now = shanghai(2026, 12, 1, 9, 59)
    return jiebei


def cycle(sessions, settings, clock) -> None:
    """One check cycle at the clock's time (what `check` and the worker's minute do), delivered."""
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


def test_the_owner_gets_the_question_at_the_scheduled_minute_once(
    app, owned, sessions, settings, clock, slack
) -> None:
    """09:59 nothing; 10:00 one DM with the last reading and three buttons; 10:01 no second."""
    cycle(sessions, settings, clock)
    assert slack.messages(DANA_DM) == []
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    assert dm.text == QUESTION
    shown = json.dumps(dm.blocks, ensure_ascii=False)
    for button, action in (
        ("Same as last", SAME_ACTION),
        ("Changed…", CHANGED_ACTION),
        ("Can't see it", UNAVAILABLE_ACTION),
    ):
        assert button in shown
        assert action in shown


@pytest.fixture
def asked(app, owned, sessions, settings, clock, slack):
    """Dana's question of Tuesday 10:00 as her Slack shows it before she taps (a copy: the fake
    keeps one message and edits it in place); the clock moves to 10:07."""
    clock.now = shanghai(2026, 12, 1, 10, 0)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    clock.now = shanghai(2026, 12, 1, 10, 7)
    return copy.deepcopy(dm)


def readings(sessions) -> list[LimitReading]:
    with sessions() as session:
        return list(session.scalars(select(LimitReading).order_by(LimitReading.observed_at)))


def test_same_as_last_records_the_last_figures_at_the_tap(
    app, asked, sessions, clock, slack
) -> None:
    """Dana taps Same as last at 10:07: ¥300,000 / ¥216,689.32 observed 10:07; the message
    says what was recorded and has no buttons left; a second tap records nothing more."""
    assert app.click(asked, DANA_DM, SAME_ACTION, user=DANA).status == 200
    latest = readings(sessions)[-1]
    assert (latest.limit_amount, latest.available, latest.observed_at) == (
        Decimal("300000.00"),
        Decimal("216689.32"),
        clock(),
    )
    [dm] = slack.messages(DANA_DM)
    assert dm.edited == 1
    assert dm.text == (
        "Recorded for jiebei-main at 2026-12-01 10:07 CST: ¥300,000 limit, ¥216,689.32 "
        "available (the same as last)."
    )
    assert SAME_ACTION not in json.dumps(dm.blocks)
    app.click(asked, DANA_DM, SAME_ACTION, user=DANA)
    assert len(readings(sessions)) == 2


def test_same_as_last_without_a_reading_says_to_type_it(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """No reading ever: the tap records nothing and tells Dana to use Changed…"""
    with sessions.begin() as session:
        set_readings(
            session,
            Actor("cli:alice", "cli"),
            session.get(Facility, jiebei.id),
            owner=DANA,
            readings="workdays 10:00",
            now=shanghai(2026, 11, 30, 11, 0),
        )
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    assert "No reading yet" in dm.text
    app.click(dm, DANA_DM, SAME_ACTION, user=DANA)
    assert readings(sessions) == []
    [note] = slack.calls_to("chat.postEphemeral")
    assert "there is no earlier reading of jiebei-main to repeat; tap Changed…" in note.args["text"]


def test_changed_opens_a_prefilled_form_and_records_what_is_typed(
    app, asked, sessions, clock, slack
) -> None:
    """Changed…: limit and available prefilled, the ledger's expected ¥200,000.00 beside; a bad
    amount is shown on its field; then ¥250,000 / ¥180,000 is recorded at 10:07."""
    app.click(asked, DANA_DM, CHANGED_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    shown = json.dumps(view, ensure_ascii=False)
    assert '"initial_value": "300,000.00"' in shown
    assert '"initial_value": "216,689.32"' in shown
    assert "the ledger expects ¥200,000.00 available" in shown

    def typed(limit: str, available: str) -> dict:
        return {
            "limit": {"value": {"type": "plain_text_input", "value": limit}},
            "available": {"value": {"type": "plain_text_input", "value": available}},
        }

    bad = app.submit(view, typed("lots", "180,000"), user=DANA)
    assert "limit" in bad.body["errors"]
    assert len(readings(sessions)) == 1
    assert app.submit(view, typed("250,000", "180,000"), user=DANA).status == 200
    latest = readings(sessions)[-1]
    assert (latest.limit_amount, latest.available, latest.observed_at) == (
        Decimal("250000.00"),
        Decimal("180000.00"),
        clock(),
    )
    [dm] = slack.messages(DANA_DM)
    assert "¥250,000 limit, ¥180,000 available (changed)" in dm.text


def test_cant_see_it_records_an_observation_and_no_reading(
    app, asked, sessions, clock, slack
) -> None:
    """Can't see it: no limit reading, the request answered `unavailable` at 10:07."""
    app.click(asked, DANA_DM, UNAVAILABLE_ACTION, user=DANA)
    assert len(readings(sessions)) == 1
    with sessions() as session:
        [request] = session.scalars(select(ReadingRequest)).all()
    assert (request.answer, request.answered_at) == ("unavailable", clock())
    [dm] = slack.messages(DANA_DM)
    assert "the platform could not be seen" in dm.text


def test_a_late_answer_still_counts(app, asked, sessions, settings, clock, slack) -> None:
    """Wednesday's request went out; Dana answers Tuesday's at 10:30 Wednesday: recorded."""
    clock.now = shanghai(2026, 12, 2, 10, 0)
    cycle(sessions, settings, clock)
    clock.now = shanghai(2026, 12, 2, 10, 30)
    app.click(asked, DANA_DM, SAME_ACTION, user=DANA)
    assert readings(sessions)[-1].observed_at == clock()
    tuesday = next(m for m in slack.messages(DANA_DM) if m.ts == asked.ts)
    assert "(a late answer; it counts)" in tuesday.text


def test_someone_else_may_not_answer_dannas_request(app, asked, sessions, slack) -> None:
    """Charlie (a viewer) taps Same as last: refused privately, nothing recorded."""
    app.click(asked, DANA_DM, SAME_ACTION, user=CHARLIE)
    assert len(readings(sessions)) == 1
    [note] = slack.calls_to("chat.postEphemeral")
    assert "only they (or an operator) may answer it" in note.args["text"]


def open_checks(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Alert.check).where(Alert.state != "resolved")))


def test_three_cant_see_it_in_a_row_open_platform_unavailable_not_data_stale(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Tuesday, Wednesday and Thursday Dana cannot see the platform: after the third answer
    the cycle opens platform_unavailable in #loan-alerts with the three times, and no
    data_stale, though the last reading is Monday's; her next Same as last resolves it."""
    app.click(asked, DANA_DM, UNAVAILABLE_ACTION, user=DANA)
    for day in (2, 3):
        clock.now = shanghai(2026, 12, day, 10, 0)
        cycle(sessions, settings, clock)
        assert "platform_unavailable" not in open_checks(sessions)
        question = copy.deepcopy(slack.messages(DANA_DM)[-1])
        clock.now = shanghai(2026, 12, day, 10, 5)
        app.click(question, DANA_DM, UNAVAILABLE_ACTION, user=DANA)
    clock.now = shanghai(2026, 12, 3, 10, 10)
    cycle(sessions, settings, clock)
    assert "platform_unavailable" in open_checks(sessions)
    assert "data_stale" not in open_checks(sessions)
    with sessions() as session:
        alert = session.scalar(select(Alert).where(Alert.check == "platform_unavailable"))
    told = posted_alert(slack, alert.id)
    shown = json.dumps(told.blocks, ensure_ascii=False)
    assert "could not be seen 3 times in a row" in shown
    assert "2026-12-01 10:07" in shown
    assert "2026-12-03 10:05" in shown
    clock.now = shanghai(2026, 12, 4, 10, 0)
    cycle(sessions, settings, clock)
    question = copy.deepcopy(slack.messages(DANA_DM)[-1])
    app.click(question, DANA_DM, SAME_ACTION, user=DANA)
    cycle(sessions, settings, clock)
    assert "platform_unavailable" not in open_checks(sessions)


def test_changed_refuses_available_above_the_limit_on_its_field(
    app, asked, sessions, slack
) -> None:
    """¥100,000 limit with ¥180,000 available: the form says so on Available; nothing recorded,
    the request still open."""
    app.click(asked, DANA_DM, CHANGED_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    values = {
        "limit": {"value": {"type": "plain_text_input", "value": "100,000"}},
        "available": {"value": {"type": "plain_text_input", "value": "180,000"}},
    }
    answer = app.submit(view, values, user=DANA)
    assert "available cannot be more than the limit" in answer.body["errors"]["available"]
    assert len(readings(sessions)) == 1
    with sessions() as session:
        assert session.scalar(select(ReadingRequest.state)) == "open"
