"""Arrival requests in Slack: a day after a draw logged in Slack, the drawer is asked.

The cast: Alice (a treasurer) logs a ¥50,000 draw on jiebei-main with `/loan draw` on Tuesday
2026-12-01 at 10:04 Shanghai. jiebei-main's statements lag, so its confirm window is 72 h (its
own, or everyone's): `draw_unconfirmed` would fire on its own only from Friday 12-04 10:04.
Alice is asked on Wednesday 12-02 at 10:04.
"""

import copy
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.audit import Actor
from bot.ledger.confirmations import confirm_draw
from bot.models import Alert, AuditRecord, Draw, Facility
from bot.settings import Settings
from bot.slack.request_blocks import ARRIVED_ACTION, NOT_ARRIVED_ACTION
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.support.slack_app import ALICE, CHARLIE, app_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE_DM = "D" + ALICE[1:]
QUESTION = "Did the ¥50,000 arrive? (借呗 jiebei-main, drawn 2026-12-01 10:04)"


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def cycle(sessions, settings, clock) -> None:
    """One check cycle at the clock's time (what `check` and the worker's minute do), delivered."""
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


@pytest.fixture(params=["facility", "default"])
def settings(request, database_url: str, slack) -> Settings:
    """The 72 h window is jiebei-main's own, or every facility's (LOANWATCH_CONFIRM_WINDOW_HOURS):
    the check reads the two in different places."""
    if request.param == "default":
        return app_settings(database_url, slack.api_url, LOANWATCH_CONFIRM_WINDOW_HOURS=72)
    return app_settings(database_url, slack.api_url)


@pytest.fixture
def drawn(app, sessions, settings, jiebei: Facility, clock) -> int:
    """Alice's draw, logged in Slack at 12-01 10:04 (its id); the clock then 12-02 10:03."""
    if settings.confirm_window_hours != 72:
        with sessions.begin() as session:
            session.get(Facility, jiebei.id).confirm_window_hours = 72
    clock.now = shanghai(2026, 12, 1, 10, 4)
    assert app.command("draw jiebei-main 50,000 12m", user=ALICE).status == 200
    clock.now = shanghai(2026, 12, 2, 10, 3)
    with sessions() as session:
        return session.scalar(select(Draw.id))


def unconfirmed_alerts(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).where(Alert.check == "draw_unconfirmed")))


def test_the_drawer_is_asked_a_day_later_once(app, drawn, sessions, settings, clock, slack) -> None:
    """10:03 nothing; 10:04 one DM with Yes and No; a second wake-up that minute, and the next
    minute, send no second one."""
    cycle(sessions, settings, clock)
    assert slack.messages(ALICE_DM) == []
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    cycle(sessions, settings, clock)
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(ALICE_DM)
    assert dm.text == QUESTION
    shown = json.dumps(dm.blocks, ensure_ascii=False)
    assert ARRIVED_ACTION in shown
    assert NOT_ARRIVED_ACTION in shown


def test_a_draw_confirmed_by_then_is_not_asked_about(
    app, drawn, sessions, settings, clock, slack
) -> None:
    """Someone confirmed the draw on 12-01 afternoon: nobody is asked on 12-02."""
    with sessions.begin() as session:
        facility = session.scalar(select(Facility))
        confirm_draw(
            session, Actor("cli:alice", "cli"), facility, drawn, now=shanghai(2026, 12, 1, 15, 0)
        )
    clock.now = shanghai(2026, 12, 2, 10, 4)
    cycle(sessions, settings, clock)
    assert slack.messages(ALICE_DM) == []


@pytest.fixture
def asked(drawn, sessions, settings, clock, slack):
    """Alice's question of 12-02 10:04 as her Slack shows it; the clock moves to 10:10."""
    clock.now = shanghai(2026, 12, 2, 10, 4)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(ALICE_DM)
    clock.now = shanghai(2026, 12, 2, 10, 10)
    return copy.deepcopy(dm)


def test_yes_confirms_the_draw(app, asked, drawn, sessions, settings, clock, slack) -> None:
    """Yes at 10:10: the draw confirmed at 10:10 (audited as draw.confirm); the message says
    so; past the 72 h window no draw_unconfirmed opens."""
    assert app.click(asked, ALICE_DM, ARRIVED_ACTION, user=ALICE).status == 200
    with sessions() as session:
        draw = session.get(Draw, drawn)
        assert draw.confirmed_at == clock()
        confirmed = session.scalar(
            select(func.count()).where(
                AuditRecord.action == "draw.confirm", AuditRecord.actor == ALICE
            )
        )
    assert confirmed == 1
    [dm] = slack.messages(ALICE_DM)
    assert dm.text == (
        f"Recorded at 2026-12-02 10:10 CST: draw #{drawn} of ¥50,000.00 on jiebei-main arrived; "
        "it is confirmed."
    )
    clock.now = shanghai(2026, 12, 4, 11, 0)
    cycle(sessions, settings, clock)
    assert unconfirmed_alerts(sessions) == []


def test_no_opens_draw_unconfirmed_at_once_and_the_check_keeps_that_one(
    app, asked, drawn, sessions, settings, clock, slack
) -> None:
    """No at 10:10: draw_unconfirmed opens at once and is posted to #loan-alerts saying Alice
    said the money has not arrived; the cycle a minute later, and the one past the 72 h
    window, keep that alert open and open no second one."""
    app.click(asked, ALICE_DM, NOT_ARRIVED_ACTION, user=ALICE)
    [alert] = unconfirmed_alerts(sessions)
    assert (alert.state, alert.subject, alert.opened_at) == ("open", f"d{drawn}", clock())
    deliver(sessions, settings, clock)
    told = json.dumps(posted_alert(slack, alert.id).blocks, ensure_ascii=False)
    assert (
        "the drawer said the money has not arrived (No at 2026-12-02 10:10 (Asia/Shanghai))"
    ) in told
    [dm] = slack.messages(ALICE_DM)
    assert "has not arrived; a draw_unconfirmed alert is open for it" in dm.text
    for moment in (shanghai(2026, 12, 2, 10, 11), shanghai(2026, 12, 4, 11, 0)):
        clock.now = moment
        cycle(sessions, settings, clock)
        [still] = unconfirmed_alerts(sessions)
        assert (still.id, still.state) == (alert.id, "open")
        assert still.summary == alert.summary


def test_someone_else_may_not_answer(app, asked, drawn, sessions, slack) -> None:
    """Charlie (a viewer) taps Yes and No on Alice's question: refused, nothing changes."""
    app.click(asked, ALICE_DM, ARRIVED_ACTION, user=CHARLIE)
    app.click(asked, ALICE_DM, NOT_ARRIVED_ACTION, user=CHARLIE)
    with sessions() as session:
        assert session.get(Draw, drawn).confirmed_at is None
    assert unconfirmed_alerts(sessions) == []
    notes = slack.calls_to("chat.postEphemeral")
    assert len(notes) == 2
    assert all("only they (or an operator) may answer it" in n.args["text"] for n in notes)
