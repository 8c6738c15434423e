"""A draw's money arrived, said in Slack: `/loan draw confirm` and the **Money arrived** button.

The cast: Alice, the treasurer, logs a 50,000 draw on jiebei-main; a day later loanwatch says
nothing confirms it (a `draw_unconfirmed` alert in #loan-alerts). Bob is on call (an operator);
Charlie may only look.
"""

import json

from sqlalchemy import func, select

from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.alerts.resolve_reasons import HOLIDAYS_KNOWN, reason, said
from bot.i18n import PSEUDO, ZH, use
from bot.models import Alert, AuditRecord, Draw
from bot.slack.blocks import MONEY_ARRIVED_ACTION
from tests.slack.test_alert_buttons import deliver, posted_alert, state_of
from tests.slack.test_alert_languages import DANA, chinese_channel, shown
from tests.slack.test_commands import open_alerts
from tests.support.pseudo import unmarked
from tests.support.slack_app import ALERTS, ALICE, BOB, CHARLIE


def _logged_draw(app, sessions) -> int:
    """Alice logs 50,000 over 12 months on jiebei-main; the draw's id."""
    assert app.command("draw jiebei-main 50,000 12m", user=ALICE).status == 200
    with sessions() as session:
        return session.scalar(select(Draw.id))


def _unconfirmed_alert(sessions, settings, clock, facility_id: int, draw_id: int) -> int:
    """The `draw_unconfirmed` alert a check run opens for the draw, posted to #loan-alerts."""
    finding = Finding(
        "draw_unconfirmed",
        facility_id,
        f"d{draw_id}",
        Severity.WARNING,
        "draw of ¥50,000.00 not confirmed 24 h after it was logged",
        {"Draw": f"#{draw_id}"},
    )
    with sessions.begin() as session:
        apply_findings(session, [finding], now=clock(), policy=AlertPolicy())
        alert_id = session.scalar(select(Alert.id).where(Alert.check == "draw_unconfirmed"))
    deliver(sessions, settings, clock)
    return alert_id


def _confirmed_at(sessions, draw_id: int):
    with sessions() as session:
        return session.get(Draw, draw_id).confirmed_at


def test_money_arrived_confirms_the_draw_and_resolves_its_alert(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Alice clicks Money arrived: the draw is confirmed (audited), the alert resolves at once."""
    draw_id = _logged_draw(app, sessions)
    alert_id = _unconfirmed_alert(sessions, settings, clock, jiebei.id, draw_id)
    message = posted_alert(slack, alert_id)
    assert "Money arrived" in json.dumps(message.blocks)

    assert app.click(message, ALERTS, MONEY_ARRIVED_ACTION, user=ALICE).status == 200

    assert _confirmed_at(sessions, draw_id) == clock()
    resolved = state_of(sessions, alert_id)
    assert (resolved.state, resolved.resolved_by) == ("resolved", ALICE)
    assert resolved.resolve_reason == f"money arrived: draw #{draw_id} confirmed"
    with sessions() as session:
        actions = session.scalars(select(AuditRecord.action)).all()
    assert "draw.confirm" in actions
    deliver(sessions, settings, clock)
    assert MONEY_ARRIVED_ACTION not in json.dumps(posted_alert(slack, alert_id).blocks)


def test_money_arrived_is_for_treasurers_only(app, jiebei, sessions, settings, clock, slack):
    """Bob (operator) and Charlie (viewer) click: refused privately; nothing is confirmed."""
    draw_id = _logged_draw(app, sessions)
    alert_id = _unconfirmed_alert(sessions, settings, clock, jiebei.id, draw_id)
    message = posted_alert(slack, alert_id)
    for user in (BOB, CHARLIE):
        app.click(message, ALERTS, MONEY_ARRIVED_ACTION, user=user)
    assert _confirmed_at(sessions, draw_id) is None
    assert state_of(sessions, alert_id).state == "open"
    notes = slack.calls_to("chat.postEphemeral")
    assert [note.args["user"] for note in notes] == [BOB, CHARLIE]
    assert all("Only treasurers may confirm draws" in note.args["text"] for note in notes)


def test_other_alerts_have_no_money_arrived_button(app, jiebei, sessions, settings, clock, slack):
    """A bill_missing alert has nothing to confirm, so no button."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    assert MONEY_ARRIVED_ACTION not in json.dumps(posted_alert(slack, alert_id).blocks)


def test_loan_draw_confirm_says_the_money_arrived(app, jiebei, sessions) -> None:
    """`/loan draw confirm jiebei-main N`: confirmed, said in the channel; again: already."""
    draw_id = _logged_draw(app, sessions)
    answer = app.command(f"draw confirm jiebei-main {draw_id}", user=ALICE)
    assert f"confirmed draw #{draw_id} on *jiebei-main*: ¥50,000.00 arrived" in answer.text
    assert _confirmed_at(sessions, draw_id) is not None
    again = app.command(f"draw confirm jiebei-main {draw_id}", user=ALICE)
    assert "already confirmed" in again.text


def test_loan_draw_confirm_refuses_what_cannot_be_true(app, jiebei, sessions) -> None:
    """No such draw, no number, or an operator asking: a reason, and nothing confirmed."""
    draw_id = _logged_draw(app, sessions)
    assert "jiebei-main has no draw #99" in app.command("draw confirm jiebei-main 99").text
    assert "say which draw arrived" in app.command("draw confirm jiebei-main").text
    assert "Only treasurers" in app.command(f"draw confirm jiebei-main {draw_id}", user=BOB).text
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Draw).where(Draw.confirmed_at.is_not(None))
            )
            == 0
        )


def test_the_reason_loanwatch_kept_is_read_in_each_readers_language(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """In a Chinese channel the resolved alert says the money arrived in Chinese, and so does
    the refusal a Chinese reader gets acknowledging it later; the reason stays kept in English
    (the API, exports and audit read it), and an English reader reads that."""
    chinese_channel(sessions, clock)
    slack.locales[BOB] = "zh-CN"
    draw_id = _logged_draw(app, sessions)
    alert_id = _unconfirmed_alert(sessions, settings, clock, jiebei.id, draw_id)

    app.click(posted_alert(slack, alert_id), ALERTS, MONEY_ARRIVED_ACTION, user=ALICE)
    deliver(sessions, settings, clock)
    message = shown(posted_alert(slack, alert_id))
    chinese = app.command(f"确认 {alert_id}", user=BOB).text
    english = app.command(f"ack {alert_id}", user=DANA).text

    assert f"借款 #{draw_id} 已确认到账" in message
    assert "money arrived" not in message
    assert f"借款 #{draw_id} 已确认到账" in chinese
    assert f"(money arrived: draw #{draw_id} confirmed)" in english
    assert state_of(sessions, alert_id).resolve_reason == (
        f"money arrived: draw #{draw_id} confirmed"
    )


def test_a_reason_a_person_typed_is_shown_as_typed() -> None:
    with use(ZH):
        assert said("paid by bank transfer") == "paid by bank transfer"
        assert said("money arrived: draw #7 confirmed") == "借款 #7 已确认到账"
        assert said("outbox message 5 dropped by dana: wrong: channel") == (
            "发件箱消息 5 已被 dana 丢弃：wrong: channel"
        )
    with use(PSEUDO):
        assert unmarked([said("the check ran clean again") or ""]) == []
    assert said("2027's holidays are known now") == "2027's holidays are known now"
    assert reason(HOLIDAYS_KNOWN, year=2027) == "2027's holidays are known now"
