"""A reading request left unanswered is repeated once, two business hours after it went out.

The cast as in test_reading_requests: Dana owns jiebei-main's readings (workdays 10:00, set
Monday 2026-11-30 11:00; Monday's reading ¥300,000 / ¥216,689.32 at 10:04). Business hours are
the default 09:00-18:00 on China's working days, in Shanghai.
"""

import copy
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.audit import Actor
from bot.ledger import request_reminders
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.ledger.reading_requests import set_readings
from bot.ledger.request_reminders import run_reading_reminders
from bot.models import Facility, LimitReading, ReadingRequest
from bot.slack.reading_blocks import SAME_ACTION
from jobs.cycle import run_check_cycle
from jobs.delivery import DeliveryWorker
from jobs.transports.slack import SlackTransport
from tests.slack.test_reading_requests import DANA_DM, QUESTION, shanghai
from tests.support.slack_app import DANA

REMINDER = "Reminder: this was asked at 10:00 (Tuesday 2026-12-01) and is not answered yet."


def own(sessions, facility_id: int, readings: str) -> None:
    """Dana is asked for jiebei-main's readings on `readings` (set Monday 11:00), and Monday's
    reading is the last one."""
    admin = Actor("cli:alice", "cli")
    with sessions.begin() as session:
        facility = session.get(Facility, facility_id)
        set_readings(
            session, admin, facility, owner=DANA, readings=readings, now=shanghai(2026, 11, 30, 11)
        )
        record_limit_reading(
            session,
            admin,
            facility,
            limit_amount=Decimal(300000),
            available=Decimal("216689.32"),
            now=shanghai(2026, 11, 30, 10, 4),
        )


@pytest.fixture
def asked(app, jiebei, sessions, settings, clock, slack):
    """Tuesday 10:00: Dana's question is in her direct messages (a copy, as she sees it)."""
    own(sessions, jiebei.id, "workdays 10:00")
    at(sessions, settings, clock, 2026, 12, 1, 10, 0)
    [dm] = slack.messages(DANA_DM)
    return copy.deepcopy(dm)


def at(sessions, settings, clock, *moment: int) -> None:
    """A check cycle at `moment` (Shanghai), then the delivery worker as `loanwatch worker`
    runs it: admin alerts about delivery routed by the settings' policy."""
    clock.now = shanghai(*moment)
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    worker = DeliveryWorker(
        sessions,
        SlackTransport.from_settings(settings),
        worker_id="test",
        clock=clock,
        policy=settings.alert_policy(),
    )
    while worker.step():
        pass


def reminders(slack) -> list:
    return [m for m in slack.messages(DANA_DM) if m.text.startswith("Reminder:")]


def test_an_unanswered_question_is_repeated_once_after_two_business_hours(
    asked, sessions, settings, clock, slack
) -> None:
    """11:59 nothing more; 12:00 the reminder, saying when it was asked, with the same buttons;
    later that day and the next morning no third message about Tuesday's question."""
    at(sessions, settings, clock, 2026, 12, 1, 11, 59)
    assert reminders(slack) == []
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    [reminder] = reminders(slack)
    assert reminder.text == f"{REMINDER}\n{QUESTION}"
    assert SAME_ACTION in json.dumps(reminder.blocks)
    for moment in ((2026, 12, 1, 12, 1), (2026, 12, 1, 17, 0), (2026, 12, 2, 9, 30)):
        at(sessions, settings, clock, *moment)
    assert len(reminders(slack)) == 1
    assert len(slack.messages(DANA_DM)) == 2


def test_asked_friday_evening_is_repeated_monday_morning(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Asked Friday 17:00: one business hour left that day, the other Monday 09:00-10:00; so
    nothing Friday 19:00 or over the weekend, the reminder Monday 10:00."""
    own(sessions, jiebei.id, "workdays 17:00")
    at(sessions, settings, clock, 2026, 12, 4, 17, 0)
    assert len(slack.messages(DANA_DM)) == 1
    for moment in ((2026, 12, 4, 19, 0), (2026, 12, 5, 12, 0), (2026, 12, 7, 9, 59)):
        at(sessions, settings, clock, *moment)
        assert reminders(slack) == []
    at(sessions, settings, clock, 2026, 12, 7, 10, 0)
    [reminder] = reminders(slack)
    assert reminder.text.startswith(
        "Reminder: this was asked at 17:00 (Friday 2026-12-04) and is not answered yet."
    )


def test_an_answered_question_is_not_repeated(app, asked, sessions, settings, clock, slack):
    """Dana answers at 11:00: at 12:00 nothing more is sent."""
    clock.now = shanghai(2026, 12, 1, 11, 0)
    app.click(asked, DANA_DM, SAME_ACTION, user=DANA)
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    assert reminders(slack) == []
    assert len(slack.messages(DANA_DM)) == 1


def test_answering_the_reminder_counts_and_both_messages_lose_their_buttons(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Dana taps Same as last on the reminder at 12:05: the reading is recorded at 12:05, and
    the question and its reminder both say what was recorded, with no buttons left."""
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    [reminder] = copy.deepcopy(reminders(slack))
    clock.now = shanghai(2026, 12, 1, 12, 5)
    assert app.click(reminder, DANA_DM, SAME_ACTION, user=DANA).status == 200
    with sessions() as session:
        latest = session.scalars(select(LimitReading).order_by(LimitReading.id)).all()[-1]
    assert (latest.limit_amount, latest.observed_at) == (Decimal("300000.00"), clock())
    recorded = (
        "Recorded for jiebei-main at 2026-12-01 12:05 CST: ¥300,000 limit, ¥216,689.32 "
        "available (the same as last)."
    )
    for message in slack.messages(DANA_DM):
        assert message.text == recorded
        assert SAME_ACTION not in json.dumps(message.blocks)
    question = next(m for m in slack.messages(DANA_DM) if m.ts == asked.ts)
    assert QUESTION in json.dumps(question.blocks, ensure_ascii=False)


def test_two_wake_ups_at_once_send_one_reminder(
    app, asked, sessions, settings, clock, slack, monkeypatch
) -> None:
    """Two cycles in the same minute, and a second worker that read the request as not yet
    reminded before the first one committed: one reminder in Dana's messages."""
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    # The second worker's view: every open request still waiting for its reminder.
    monkeypatch.setattr(
        request_reminders,
        "unreminded",
        lambda session, since: [
            (r, session.get_one(Facility, r.facility_id))
            for r in session.scalars(select(ReadingRequest))
        ],
    )
    with sessions.begin() as session:
        again = run_reading_reminders(
            session,
            now=clock(),
            calendar=settings.calendar(),
            hours=settings.escalation().business_hours,
        )
    assert again == []
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    assert len(reminders(slack)) == 1


def test_after_a_pause_an_old_question_is_not_repeated(asked, sessions, settings, clock, slack):
    """Nothing ran from Tuesday 10:00 until Thursday 10:00: Tuesday's reminder, due Tuesday
    12:00, is more than a day late and not sent; Thursday's question goes out alone."""
    at(sessions, settings, clock, 2026, 12, 3, 10, 0)
    at(sessions, settings, clock, 2026, 12, 3, 10, 1)
    assert reminders(slack) == []
    assert len(slack.messages(DANA_DM)) == 2


def test_a_reminder_not_sent_yet_when_the_answer_comes_is_not_sent(
    app, asked, sessions, settings, clock, slack
) -> None:
    """The 12:00 cycle wrote the reminder; Dana answers before the worker sends it: it is not
    sent."""
    clock.now = shanghai(2026, 12, 1, 12, 0)
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    app.click(asked, DANA_DM, SAME_ACTION, user=DANA)
    at(sessions, settings, clock, 2026, 12, 1, 12, 1)
    assert reminders(slack) == []
    assert len(slack.messages(DANA_DM)) == 1


def test_after_a_weekend_only_the_newest_question_is_repeated(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Daily 10:00, nobody answers Saturday's, Sunday's or Monday's question: Monday brings
    one reminder (of Monday's, at 12:00), not Saturday's and Sunday's at 11:00 too."""
    own(sessions, jiebei.id, "daily 10:00")
    for day in (5, 6, 7):
        at(sessions, settings, clock, 2026, 12, day, 10, 0)
    at(sessions, settings, clock, 2026, 12, 7, 11, 5)
    assert reminders(slack) == []
    at(sessions, settings, clock, 2026, 12, 7, 12, 5)
    [reminder] = reminders(slack)
    assert "Monday 2026-12-07" in reminder.text


def test_the_reminder_shows_the_last_reading_as_it_is_then(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Asked Tuesday 10:00 beside Monday's ¥300,000; at 10:01 a robot reads the line frozen.
    The 12:00 reminder shows the frozen reading, and Same as last on it records that one, not
    Monday's active ¥300,000 (which would resolve limit_frozen)."""
    assert "¥300,000 limit" in asked.text
    with sessions.begin() as session:
        record_limit_reading(
            session,
            Actor("api:robot", "api"),
            session.scalars(select(Facility)).one(),
            limit_amount=Decimal(0),
            available=Decimal(0),
            status=LimitStatus.FROZEN,
            now=shanghai(2026, 12, 1, 10, 1),
        )
    at(sessions, settings, clock, 2026, 12, 1, 12, 0)
    [reminder] = reminders(slack)
    assert "¥300,000 limit" not in reminder.text
    clock.now = shanghai(2026, 12, 1, 12, 1)
    assert app.click(reminder, DANA_DM, SAME_ACTION, user=DANA).status == 200
    with sessions() as session:
        newest = session.scalars(
            select(LimitReading).order_by(LimitReading.observed_at.desc())
        ).first()
        assert (newest.limit_amount, newest.status, newest.observed_at) == (
            Decimal(0),
            LimitStatus.FROZEN,
            clock(),
        )
