"""Bill and arrival requests get the reading request's reminder, App Home and owner-gone care.

The casts of test_bill_requests (Dana owns jiebei-main, no reading schedule; the bill due
2026-12-20 is asked for from Thursday 12-10 00:00 Shanghai) and test_arrival_requests (Alice
logs ¥50,000 with `/loan draw` on Tuesday 12-01 10:04 and is asked Wednesday 12-02 10:04).
Business hours are the default 09:00-18:00 on China's working days.
"""

import copy
import json

from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.confirmations import confirm_draw
from bot.ledger.reading_requests import set_readings
from bot.models import Alert, Bill, Draw, Facility
from bot.slack.request_blocks import (
    ARRIVED_ACTION,
    BILLED_ACTION,
    DIFFERENT_ACTION,
    NOT_ARRIVED_ACTION,
    NOT_YET_ACTION,
)
from tests.slack.test_arrival_requests import ALICE_DM
from tests.slack.test_arrival_requests import QUESTION as ARRIVAL
from tests.slack.test_bill_requests import DANA_DM, owned  # noqa: F401 (a fixture)
from tests.slack.test_bill_requests import QUESTION as BILL
from tests.slack.test_reading_requests import shanghai
from tests.slack.test_request_home import home_of
from tests.slack.test_request_reminders import at
from tests.support.fake_slack import Message
from tests.support.slack_app import ALERTS, ALICE, DANA


def reminders(slack, channel: str) -> list:
    return [m for m in slack.messages(channel) if m.text.startswith("Reminder:")]


def test_an_unanswered_bill_request_is_reminded_with_its_own_question_and_buttons(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Asked Thursday 00:00 (outside business hours): reminded at 11:00, with the bill question
    and the bill's buttons; Yes tapped on the reminder records the bill, and both messages say
    so without buttons."""
    at(sessions, settings, clock, 2026, 12, 10, 0, 0)
    at(sessions, settings, clock, 2026, 12, 10, 10, 59)
    assert reminders(slack, DANA_DM) == []
    at(sessions, settings, clock, 2026, 12, 10, 11, 0)
    at(sessions, settings, clock, 2026, 12, 10, 15, 0)
    [reminder] = copy.deepcopy(reminders(slack, DANA_DM))
    assert reminder.text == (
        f"Reminder: this was asked at 00:00 (Thursday 2026-12-10) and is not answered yet.\n{BILL}"
    )
    shown = json.dumps(reminder.blocks, ensure_ascii=False)
    for button in ("Yes, as expected", "Different amount…", "Not yet"):
        assert button in shown
    assert len(slack.messages(DANA_DM)) == 2

    clock.now = shanghai(2026, 12, 10, 15, 5)
    assert app.click(reminder, DANA_DM, BILLED_ACTION, user=DANA).status == 200
    with sessions() as session:
        [bill] = session.scalars(select(Bill)).all()
    assert str(bill.amount) == "4498.77"
    recorded = (
        "Recorded for jiebei-main at 2026-12-10 15:05 CST: the bill due 2026-12-20, ¥4,498.77 "
        "(as expected)."
    )
    for message in slack.messages(DANA_DM):
        assert message.text == recorded
        assert BILLED_ACTION not in json.dumps(message.blocks)


def test_an_unanswered_arrival_request_is_reminded_with_its_own_question(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Asked Wednesday 10:04: reminded at 12:04 with the arrival question, Yes and No; Yes on
    the reminder confirms the draw."""
    clock.now = shanghai(2026, 12, 1, 10, 4)
    assert app.command("draw jiebei-main 50,000 12m", user=ALICE).status == 200
    at(sessions, settings, clock, 2026, 12, 2, 10, 4)
    at(sessions, settings, clock, 2026, 12, 2, 12, 4)
    [reminder] = copy.deepcopy(reminders(slack, ALICE_DM))
    assert reminder.text == (
        "Reminder: this was asked at 10:04 (Wednesday 2026-12-02) and is not answered yet.\n"
        f"{ARRIVAL}"
    )
    shown = json.dumps(reminder.blocks)
    assert ARRIVED_ACTION in shown
    assert NOT_ARRIVED_ACTION in shown
    clock.now = shanghai(2026, 12, 2, 12, 10)
    assert app.click(reminder, ALICE_DM, ARRIVED_ACTION, user=ALICE).status == 200
    with sessions() as session:
        draw = session.scalars(select(Draw)).one()
    assert draw.confirmed_at == clock()
    for message in slack.messages(ALICE_DM):
        assert "arrived; it is confirmed" in message.text
        assert ARRIVED_ACTION not in json.dumps(message.blocks)


def test_home_lists_an_open_bill_request_with_its_buttons_and_answers_it(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Dana's Home lists the bill question with Yes, as expected / Different amount… / Not yet;
    Not yet tapped there is recorded, her direct message says so, and the list empties."""
    at(sessions, settings, clock, 2026, 12, 10, 0, 0)
    published = home_of(app, slack, DANA)
    shown = json.dumps(published, ensure_ascii=False)
    assert "Waiting for your answer (1)" in shown
    assert BILL in shown
    for action in (BILLED_ACTION, DIFFERENT_ACTION, NOT_YET_ACTION):
        assert action in shown
    home = Message(ts="0", text="", blocks=published["blocks"], user=DANA)
    clock.now = shanghai(2026, 12, 10, 9, 30)
    assert app.click(home, None, NOT_YET_ACTION, user=DANA).status == 200
    [dm] = slack.messages(DANA_DM)
    assert dm.text == (
        "Recorded for jiebei-main at 2026-12-10 09:30 CST: the bill due 2026-12-20 has not "
        "appeared yet."
    )
    republished = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert "Waiting for your answer" not in json.dumps(republished)


def _owner_gone(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).where(Alert.check == "owner_gone")))


def test_a_drawer_gone_is_told_as_the_drawer_and_stays_until_the_draw_is_settled(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Alice (not jiebei-main's owner) left before her arrival question: the admins are told
    she logged the draw, with what to do instead; the alert stays open the next cycles (it
    is not "resolved" because the facility's owner is someone else), and resolves once the
    draw is confirmed."""
    clock.now = shanghai(2026, 12, 1, 10, 4)
    assert app.command("draw jiebei-main 50,000 12m", user=ALICE).status == 200
    slack.deleted_users.add(ALICE)
    at(sessions, settings, clock, 2026, 12, 2, 10, 4)
    assert slack.messages(ALICE_DM) == []
    [alert] = _owner_gone(sessions)
    assert alert.state == "open"
    with sessions() as session:
        draw_id = session.scalars(select(Draw.id)).one()
    told = json.dumps([m.blocks for m in slack.messages(ALERTS)], ensure_ascii=False)
    assert f"U0ALICE, who logged draw #{draw_id} on jiebei-main" in told
    assert "reading owner" not in told
    assert f"loanwatch draw confirm jiebei-main {draw_id}" in told
    for moment in ((2026, 12, 2, 10, 5), (2026, 12, 2, 12, 4)):
        at(sessions, settings, clock, *moment)
    assert [a.state for a in _owner_gone(sessions)] == ["open"]

    with sessions.begin() as session:  # `loanwatch draw confirm jiebei-main N`
        facility = session.get_one(Facility, jiebei.id)
        confirm_draw(session, Actor("cli:bob", "cli"), facility, draw_id, now=clock())
    at(sessions, settings, clock, 2026, 12, 2, 14, 1)
    assert [a.state for a in _owner_gone(sessions)] == ["resolved"]


def test_the_different_amount_form_submitted_after_not_yet_says_so_on_its_field(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Dana opens Different amount…, taps Not yet, then submits ¥5,000: the form stays open
    saying the request was answered Not yet and when; no bill is recorded."""
    at(sessions, settings, clock, 2026, 12, 10, 0, 0)
    [dm] = copy.deepcopy(slack.messages(DANA_DM))
    clock.now = shanghai(2026, 12, 10, 9, 0)
    app.click(dm, DANA_DM, DIFFERENT_ACTION, user=DANA)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    clock.now = shanghai(2026, 12, 10, 9, 1)
    app.click(dm, DANA_DM, NOT_YET_ACTION, user=DANA)
    typed = {"amount": {"value": {"type": "plain_text_input", "value": "5,000"}}}
    answer = app.submit(form, typed, user=DANA)
    assert answer.body["response_action"] == "errors"
    error = answer.body["errors"]["amount"]
    assert "already answered" in error
    assert "2026-12-10 09:01 CST: the bill due 2026-12-20 has not appeared yet" in error
    with sessions() as session:
        assert session.scalars(select(Bill)).all() == []


def test_a_bill_owner_gone_stays_told_while_bills_are_still_hers_to_answer(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Dana (jiebei-main's owner, no reading schedule: only bills) has left: her bill question
    is not sent and the admins are told she is the owner; the alert is not resolved at the next
    cycle for the facility having no reading schedule (the bills are still hers), only once
    another owner is set."""
    slack.deleted_users.add(DANA)
    at(sessions, settings, clock, 2026, 12, 10, 0, 0)
    assert slack.messages(DANA_DM) == []
    at(sessions, settings, clock, 2026, 12, 10, 0, 1)
    [alert] = _owner_gone(sessions)
    assert alert.state == "open"
    told = json.dumps([m.blocks for m in slack.messages(ALERTS)], ensure_ascii=False)
    assert "jiebei-main's reading owner U0DANA is no longer in the workspace" in told
    with sessions.begin() as session:
        facility = session.get_one(Facility, owned.id)
        set_readings(
            session, Actor("cli:alice", "cli"), facility, owner="U0ERIC", readings=None, now=clock()
        )
    at(sessions, settings, clock, 2026, 12, 10, 0, 2)
    assert [a.state for a in _owner_gone(sessions)] == ["resolved"]
