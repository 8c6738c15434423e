"""App Home shows the reading requests waiting for the viewer's answer, with their buttons.

Dana owns jiebei-main's readings, Charlie those of jiebei-two (both workdays 10:00).
"""

import copy
import json
from decimal import Decimal

from slack_sdk.models.views import View
from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.reading_requests import set_readings
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import LimitReading
from bot.slack.reading_blocks import CHANGED_ACTION, SAME_ACTION
from tests.slack.test_reading_requests import DANA_DM, shanghai
from tests.slack.test_request_reminders import at, own
from tests.support.fake_slack import Message
from tests.support.slack_app import CHARLIE, DANA


def charlie_owns_another_line(sessions) -> None:
    admin = Actor("cli:alice", "cli")
    with sessions.begin() as session:
        facility = add_facility(
            session,
            admin,
            FacilityTerms(
                slug="jiebei-two",
                platform="jiebei",
                limit_amount=Decimal("100000.00"),
                daily_rate=Decimal("0.0004"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
            ),
            now=shanghai(2026, 11, 30, 9, 0),
        )
        session.flush()
        set_readings(
            session,
            admin,
            facility,
            owner=CHARLIE,
            readings="workdays 10:00",
            now=shanghai(2026, 11, 30, 11),
        )


def home_of(app, slack, user: str) -> dict:
    app.event({"type": "app_home_opened", "user": user, "tab": "home"})
    published = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert published["user_id"] == user
    View(**published).validate_json()
    return published


def test_home_lists_the_viewers_open_requests_and_answers_them(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Dana answered Tuesday's question, not Wednesday's: her Home lists Wednesday's (since
    10:00, with its buttons), not Tuesday's and not Charlie's. Same as last tapped there records
    the reading, takes the buttons off her direct message and empties the list."""
    own(sessions, jiebei.id, "workdays 10:00")
    charlie_owns_another_line(sessions)
    at(sessions, settings, clock, 2026, 12, 1, 10, 0)
    tuesday = copy.deepcopy(slack.messages(DANA_DM)[0])
    clock.now = shanghai(2026, 12, 1, 10, 5)
    app.click(tuesday, DANA_DM, SAME_ACTION, user=DANA)
    at(sessions, settings, clock, 2026, 12, 2, 10, 0)

    shown = json.dumps(home_of(app, slack, DANA), ensure_ascii=False)
    assert "Waiting for your answer (1)" in shown
    assert "*jiebei-main* · asked 2026-12-02 10:00 CST" in shown
    assert "借呗 jiebei-main: what does the platform show now?" in shown
    assert "2026-12-01 10:00" not in shown
    assert "*jiebei-two* · asked" not in shown  # Charlie's, not hers
    charlie = json.dumps(home_of(app, slack, CHARLIE), ensure_ascii=False)
    assert "*jiebei-two* · asked 2026-12-02 10:00 CST" in charlie

    home = Message(ts="0", text="", blocks=home_of(app, slack, DANA)["blocks"], user=DANA)
    clock.now = shanghai(2026, 12, 2, 10, 20)
    assert app.click(home, None, SAME_ACTION, user=DANA).status == 200
    with sessions() as session:
        latest = session.scalars(select(LimitReading).order_by(LimitReading.id)).all()[-1]
    assert latest.observed_at == clock()
    wednesday = slack.messages(DANA_DM)[-1]
    assert wednesday.text.startswith("Recorded for jiebei-main at 2026-12-02 10:20 CST")
    assert SAME_ACTION not in json.dumps(wednesday.blocks)
    republished = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert republished["user_id"] == DANA
    assert "Waiting for your answer" not in json.dumps(republished)


def test_home_lists_five_and_says_how_many_more(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Seven working days unanswered: five listed, newest first, then "and 2 more"."""
    own(sessions, jiebei.id, "workdays 10:00")
    for day in (1, 2, 3, 4, 7, 8, 9):
        at(sessions, settings, clock, 2026, 12, day, 10, 0)
    published = home_of(app, slack, DANA)
    shown = json.dumps(published, ensure_ascii=False)
    assert "Waiting for your answer (7)" in shown
    assert shown.count("· asked 2026-12-") == 5
    assert "asked 2026-12-09 10:00 CST" in shown
    assert "asked 2026-12-02 10:00 CST" not in shown
    assert "and 2 more" in shown
    assert len(published["blocks"]) <= 100


def test_changed_from_home_records_the_figures_and_updates_the_message(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Changed… in Home opens the form; what Dana types is recorded, her direct message says
    so without buttons, and her Home no longer lists the request."""
    own(sessions, jiebei.id, "workdays 10:00")
    at(sessions, settings, clock, 2026, 12, 1, 10, 0)
    home = Message(ts="0", text="", blocks=home_of(app, slack, DANA)["blocks"], user=DANA)
    clock.now = shanghai(2026, 12, 1, 10, 30)
    app.click(home, None, CHANGED_ACTION, user=DANA)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    typed = {
        "limit": {"value": {"type": "plain_text_input", "value": "250,000"}},
        "available": {"value": {"type": "plain_text_input", "value": "180,000"}},
    }
    assert app.submit(form, typed, user=DANA).status == 200
    [dm] = slack.messages(DANA_DM)
    assert "¥250,000 limit, ¥180,000 available (changed)" in dm.text
    assert CHANGED_ACTION not in json.dumps(dm.blocks)
    republished = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert "Waiting for your answer" not in json.dumps(republished)
