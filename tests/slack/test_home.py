"""App Home, and every block the app itself builds, within Slack's limits."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.models.views import View

from bot.audit import Actor
from bot.dashboard import dashboard
from bot.ledger.draws import DrawRequest, current_installments, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.models import Alert
from bot.oncall.rotations import add_override, add_rotation
from bot.slack.blocks import ACK_ACTION, validate
from bot.slack.commands.status import render
from bot.slack.draw_replies import schedule_reply
from bot.slack.events.home import home_view
from bot.slack.views.draw import draw_view
from bot.typed import MAX_TEXT_CHARS
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import open_alerts
from tests.support.fake_slack import Message
from tests.support.slack_app import ALICE, BOB, CHARLIE

LONGEST_SLUG = "x" * 64
EVIL = "<!channel> " * 300


def test_opening_home_publishes_the_dashboard(app, jiebei, sessions, clock, slack) -> None:
    """Charlie opens Home: facilities with limit/used/available, this week's bills, open alerts."""
    app.command("draw jiebei-main 10,000 1m", user=ALICE)
    clock.advance(days=25)  # the single installment is due 2027-01-01, within the week
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    answer = app.event({"type": "app_home_opened", "user": CHARLIE, "tab": "home"})
    assert answer.status == 200
    [published] = [v for v in slack.views if v["method"] == "views.publish"]
    assert published["user_id"] == CHARLIE
    text = json.dumps(published, ensure_ascii=False)
    assert "*Limit*\\n¥200,000.00" in text
    assert "*Used*\\n¥10,000.00" in text
    assert "*Available*\\n¥190,000.00" in text
    assert "2027-01-01 *jiebei-main*" in text
    assert f"*{alert_id}* warning `bill_missing`" in text
    assert ACK_ACTION in text
    View(**published).validate_json()


def test_acknowledge_from_home_tells_the_clicker_by_direct_message(
    app, jiebei, sessions, clock, slack
) -> None:
    """The Home tab's Acknowledge has no channel: a problem is told in a direct message."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    app.event({"type": "app_home_opened", "user": BOB, "tab": "home"})
    home = Message(ts="0", text="", blocks=slack.views[-1]["blocks"], user=BOB)
    app.click(home, None, ACK_ACTION, user=BOB)
    app.click(home, None, ACK_ACTION, user="U0DANA")
    with sessions() as session:
        assert session.get(Alert, alert_id).acknowledged_by == BOB
    [note] = slack.calls_to("chat.postMessage")
    assert note.args["channel"] == "U0DANA"
    assert "already acknowledged by <@U0BOB>" in note.args["text"]


def long_names(session, now):
    """A facility with the longest slug and name the ledger allows, and alerts full of mentions."""
    return add_facility(
        session,
        Actor("cli:dana", "cli"),
        FacilityTerms(
            slug=LONGEST_SLUG,
            platform="p" * 64,
            limit_amount=Decimal("999999999999.99"),
            name=EVIL[:200],
        ),
        now=now,
    )


def test_home_status_and_schedule_keep_slacks_limits_with_the_longest_names(
    sessions, clock
) -> None:
    """60 facilities with the longest names, long alerts: every view and message still fits."""
    with sessions.begin() as session:
        facilities = []
        for n in range(60):
            f = long_names(session, clock())
            f.slug = f"{n:02d}" + LONGEST_SLUG[2:]
            facilities.append(f)
        session.flush()
        draw = record_draw(
            session,
            Actor(ALICE, "slack"),
            facilities[0],
            DrawRequest(amount=Decimal("100000000.00"), months=360, note=EVIL[:MAX_TEXT_CHARS]),
            now=clock(),
        )
        reply = schedule_reply(draw, facilities[0], current_installments(session, draw), ALICE)
    open_alerts(sessions, facilities[0].id, clock(), *[f"2027-{m:02d}-01" for m in range(1, 13)])
    with sessions() as session:
        board = dashboard(session, clock())
        view = home_view(board, "2026-12-01 10:00 CST")
        status = render(board, one=False, when=str)

    View(**view).validate_json()
    assert len(view["blocks"]) <= 100
    validate(reply.blocks)
    assert len(status) <= 3000
    assert "<!channel>" not in json.dumps(view) + status + json.dumps(reply.blocks)
    View(**draw_view([f.slug for f in facilities] * 3, "C0FINANCE")).validate_json()


def test_the_posted_alert_keeps_slacks_limits(app, jiebei, sessions, settings, clock, slack):
    """An alert as delivered parses through slack_sdk.models and keeps the limits."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    validate(posted_alert(slack, alert_id).blocks)


def test_home_shows_the_callers_next_shifts_and_the_override_they_hold(
    app, sessions, clock, slack
) -> None:
    """Bob is second in `finance` (weekly, Monday 09:00 Shanghai): Home lists his next three
    weeks on call, every other week, and the override he took in `treasury`; Charlie, in no
    rotation, gets no such section."""
    dana = Actor("cli:dana", "cli")
    with sessions.begin() as session:
        add_rotation(
            session,
            dana,
            "finance",
            members=f"U0ANN,{BOB}",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )
        add_rotation(
            session,
            dana,
            "treasury",
            members="U0ANN",
            handoff="09:00",
            length="1d",
            timezone="America/New_York",
            now=clock(),
        )
        add_override(
            session,
            dana,
            "treasury",
            user=BOB,
            starts=datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
            ends=datetime(2026, 12, 4, 14, 0, tzinfo=UTC),
            now=clock(),
        )
    app.event({"type": "app_home_opened", "user": BOB, "tab": "home"})
    [published] = [v for v in slack.views if v["method"] == "views.publish"]
    View(**published).validate_json()
    text = json.dumps(published, ensure_ascii=False)
    assert "Your on-call shifts" in text
    # Ann has this week (from Monday 2026-11-30); Bob the weeks of 12-07, 12-21 and 01-04.
    assert "*finance*: 2026-12-07 09:00 CST → 2026-12-14 09:00 CST" in text
    assert "*finance*: 2026-12-21 09:00 CST → 2026-12-28 09:00 CST" in text
    assert "*finance*: 2027-01-04 09:00 CST → 2027-01-11 09:00 CST" in text
    assert "2027-01-18" not in text
    assert "*treasury* (override): 2026-12-03 09:00 EST → 2026-12-04 09:00 EST" in text

    app.event({"type": "app_home_opened", "user": CHARLIE, "tab": "home"})
    charlie = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert charlie["user_id"] == CHARLIE
    assert "Your on-call shifts" not in json.dumps(charlie)
