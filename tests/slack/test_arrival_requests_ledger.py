# ruff: noqa: F811 (the fixtures are those of test_arrival_requests)
"""Arrival requests when the ledger knows the draw arrived: closed, not repeated, and a tap
says nothing was recorded.

The cast as in test_arrival_requests: Alice logged a ¥50,000 draw from Slack on Tuesday
2026-12-01 10:04 and is asked on Wednesday 10:04 "Did the ¥50,000 arrive?".
"""

import json

from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.confirmations import confirm_draw
from bot.models import Facility, ReadingRequest
from bot.slack.request_blocks import ARRIVED_ACTION, NOT_ARRIVED_ACTION
from tests.slack.test_arrival_requests import (  # noqa: F401 (fixtures)
    ALICE,
    ALICE_DM,
    asked,
    cycle,
    drawn,
    settings,
    shanghai,
    unconfirmed_alerts,
)

BOB = Actor("cli:bob", "cli")


def confirmed(sessions, drawn: int, at) -> None:
    """A payout (here, a colleague) confirms the draw at `at`."""
    with sessions.begin() as session:
        confirm_draw(session, BOB, session.scalar(select(Facility)), drawn, now=at)


def test_no_after_the_draw_was_confirmed_records_nothing(
    app, asked, drawn, sessions, clock, slack
) -> None:
    """Confirmed at 10:05; Alice taps No at 10:10: the message says nothing was recorded and
    why, and no draw_unconfirmed opens."""
    confirmed(sessions, drawn, shanghai(2026, 12, 2, 10, 5))
    assert app.click(asked, ALICE_DM, NOT_ARRIVED_ACTION, user=ALICE).status == 200
    [dm] = slack.messages(ALICE_DM)
    assert dm.text == (
        f"Nothing recorded: draw #{drawn} of ¥50,000.00 on jiebei-main was confirmed already, "
        "at 2026-12-02 10:05 CST; no alert opened."
    )
    assert not dm.text.startswith("Recorded")
    assert [a for a in unconfirmed_alerts(sessions) if a.state != "resolved"] == []


def test_a_confirmed_draw_closes_its_request(
    app, asked, drawn, sessions, settings, clock, slack
) -> None:
    """Asked 10:04; the payout confirms the draw at 10:30; at 12:05 no reminder asks again,
    the request is closed, and Yes on the old message says what the ledger has."""
    confirmed(sessions, drawn, shanghai(2026, 12, 2, 10, 30))
    clock.now = shanghai(2026, 12, 2, 12, 5)
    cycle(sessions, settings, clock)
    assert [m.text for m in slack.messages(ALICE_DM)] == [asked.text]
    with sessions() as session:
        [request] = session.scalars(select(ReadingRequest)).all()
        assert (request.state, request.answer) == ("answered", "ledger")
    app.click(asked, ALICE_DM, ARRIVED_ACTION, user=ALICE)
    [dm] = slack.messages(ALICE_DM)
    assert dm.text.startswith(f"Nothing recorded: draw #{drawn} of ¥50,000.00")
    assert ARRIVED_ACTION not in json.dumps(dm.blocks)
