"""An answer records what the owner confirmed, and a form never swallows typed figures.

The cast of test_reading_requests: Dana owns jiebei-main's readings (workdays 10:00); Monday's
reading was ¥300,000 limit, ¥216,689.32 available. Tuesday 2026-12-01 10:00 she is asked.
"""

import copy
import json
from decimal import Decimal

from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.models import Facility, LimitReading
from bot.slack.reading_blocks import CHANGED_ACTION, SAME_ACTION
from tests.slack.test_reading_requests import DANA_DM, QUESTION, cycle, owned, shanghai  # noqa: F401
from tests.support.slack_app import DANA


def readings(sessions) -> list[LimitReading]:
    with sessions() as session:
        return list(
            session.scalars(
                select(LimitReading).order_by(LimitReading.observed_at, LimitReading.id)
            )
        )


def asked(sessions, settings, clock, slack):
    """Tuesday 10:00: the question is in Dana's direct messages (a copy, as she sees it)."""
    clock.now = shanghai(2026, 12, 1, 10, 0)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    assert dm.text == QUESTION
    return copy.deepcopy(dm)


def test_same_as_last_records_the_figures_the_message_showed_not_a_newer_reading(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """10:03 a robot records the line frozen at ¥0; 10:07 Dana taps Same as last on the 10:00
    message showing ¥300,000 / ¥216,689.32: that is what is recorded as her reading, and what
    her message says (and what Changed… is prefilled with)."""
    dm = asked(sessions, settings, clock, slack)
    with sessions.begin() as session:
        record_limit_reading(
            session,
            Actor("api:robot", "api"),
            session.get_one(Facility, owned.id),
            limit_amount=Decimal(0),
            available=Decimal(0),
            status=LimitStatus.FROZEN,
            now=shanghai(2026, 12, 1, 10, 3),
        )
    clock.now = shanghai(2026, 12, 1, 10, 6)
    app.click(dm, DANA_DM, CHANGED_ACTION, user=DANA)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    prefilled = json.dumps(form["blocks"])
    assert '"initial_value": "300,000.00"' in prefilled
    assert '"initial_value": "216,689.32"' in prefilled
    clock.now = shanghai(2026, 12, 1, 10, 7)
    assert app.click(dm, DANA_DM, SAME_ACTION, user=DANA).status == 200
    latest = readings(sessions)[-1]
    assert latest.observed_at == clock()
    assert (latest.limit_amount, latest.available, latest.status) == (
        Decimal("300000.00"),
        Decimal("216689.32"),
        "active",
    )
    [message] = slack.messages(DANA_DM)
    assert message.text == (
        "Recorded for jiebei-main at 2026-12-01 10:07 CST: ¥300,000 limit, ¥216,689.32 "
        "available (the same as last)."
    )


def test_the_changed_form_submitted_after_same_as_last_says_so_on_its_field(
    app,
    owned,  # noqa: F811
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Dana opens Changed…, then taps Same as last (recorded at 10:05), then submits the form
    with other figures at 10:06: the form stays open with an error on the limit saying the
    request was already answered, what was recorded and when; nothing more is recorded."""
    dm = asked(sessions, settings, clock, slack)
    clock.now = shanghai(2026, 12, 1, 10, 4)
    app.click(dm, DANA_DM, CHANGED_ACTION, user=DANA)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    clock.now = shanghai(2026, 12, 1, 10, 5)
    app.click(dm, DANA_DM, SAME_ACTION, user=DANA)
    before = len(readings(sessions))
    clock.now = shanghai(2026, 12, 1, 10, 6)
    typed = {
        "limit": {"value": {"type": "plain_text_input", "value": "250,000"}},
        "available": {"value": {"type": "plain_text_input", "value": "180,000"}},
    }
    answer = app.submit(form, typed, user=DANA)
    assert answer.status == 200
    said = answer.body
    assert said["response_action"] == "errors"
    error = said["errors"]["limit"]
    assert "already answered" in error
    assert "2026-12-01 10:05 CST" in error
    assert "¥300,000 limit, ¥216,689.32 available" in error
    assert len(readings(sessions)) == before
    assert "250,000" not in json.dumps([m.text for m in slack.messages(DANA_DM)])
