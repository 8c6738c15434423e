"""Requests are bound to the installation: its workspace and app, an alert's own message, and
the forms the bot itself opened."""

import json
import logging
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import select

from bot.installation import ThisInstallation, this_installation
from bot.models import Alert, AuditRecord
from bot.slack.app import build_app
from bot.slack.binding import InstallationLookup
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION
from bot.slack.views.draw import draw_view
from bot.slack.views.metadata import pack
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import counts, open_alerts
from tests.slack.test_draw_flow import draws, filled
from tests.support.fake_slack import FaultPlan, Message
from tests.support.slack_app import ALERTS, ALICE, BOB, DANA, TEAM_CHANNEL

ELSEWHERE = {
    "another workspace": {"team_id": "T0OTHER"},
    "another app": {"api_app_id": "A0OTHER"},
    "another enterprise": {"enterprise_id": "E0OTHER"},
    "no app id": {"api_app_id": None},
}
LOOKUPS = {"auth.test", "bots.info"}


def refusals(sessions, entity: str) -> list[dict]:
    """What the audit trail says was refused, newest last."""
    with sessions() as session:
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "refused", AuditRecord.entity == entity)
            .order_by(AuditRecord.id)
        )
        return [row.after for row in rows]


def command_elsewhere(app, text: str, user: str, fields: dict) -> object:
    form = app.command_form(text, user=user)
    for key, value in fields.items():
        if value is None:
            form.pop(key)
        else:
            form[key] = value
    return app.post(urlencode(form))


@pytest.fixture
def alert(app, jiebei, sessions, settings, clock, slack) -> int:
    """A bill_missing alert on jiebei-main, posted to #loan-alerts."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    return alert_id


def state_of(sessions, alert_id: int) -> Alert:
    with sessions() as session:
        return session.get(Alert, alert_id)


@pytest.mark.parametrize("fields", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_a_command_for_another_installation_changes_nothing(
    app, alert, sessions, slack, fields
) -> None:
    """Bob's `ack` and Dana's `facility add`, sent for another workspace or app: 403, nothing
    done, nothing said in Slack, and an audit record of the refusal."""
    before = counts(sessions)
    sent_before = len(slack.calls)
    acked = command_elsewhere(app, f"ack {alert}", BOB, fields)
    added = command_elsewhere(
        app, "facility add weilidai-ops weilidai 50k 0.05% C0123ABCD", DANA, fields
    )
    assert acked.status == added.status == 403
    assert counts(sessions) == before
    assert {c.method for c in slack.calls[sent_before:]} <= LOOKUPS
    reasons = [r["reason"] for r in refusals(sessions, "slack_request")]
    assert len(reasons) == 2
    assert all("not this" in reason for reason in reasons)


@pytest.mark.parametrize("fields", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_a_click_for_another_installation_changes_nothing(
    app, alert, sessions, slack, fields
) -> None:
    """A click on the alert's own message, sent for another workspace or app, does nothing and
    nothing reaches its response_url."""
    changed = {
        "team": {"id": fields["team_id"]} if "team_id" in fields else {"id": "T0FINANCE"},
        **{k: v for k, v in fields.items() if k != "team_id"},
    }
    answer = app.click(
        posted_alert(slack, alert),
        ALERTS,
        ACK_ACTION,
        user=BOB,
        response_url=slack.response_url(),
        **changed,
    )
    assert answer.status == 403
    assert state_of(sessions, alert).state == "open"
    assert slack.responses == []
    assert slack.calls_to("chat.postEphemeral") == []


def test_a_click_from_another_channel_does_not_touch_the_alert(app, alert, sessions, slack):
    """Acknowledge, clicked with #finance as the message's channel: refused, alert open."""
    answer = app.click(posted_alert(slack, alert), TEAM_CHANNEL, ACK_ACTION, user=BOB)
    assert answer.status == 200
    assert state_of(sessions, alert).state == "open"
    [note] = slack.calls_to("chat.postEphemeral")
    assert f"not on alert {alert}'s own message" in note.args["text"]
    [refused] = refusals(sessions, "slack_action")
    assert refused["reason"] == "not the alert's message"


def test_one_alerts_button_on_another_alerts_message_does_nothing(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Alert A's Acknowledge, clicked on alert B's message: neither alert changes."""
    first, second = open_alerts(sessions, jiebei.id, clock(), "2026-12-10", "2027-01-10")
    deliver(sessions, settings, clock)
    forged = Message(
        ts=posted_alert(slack, second).ts,
        text="",
        blocks=posted_alert(slack, first).blocks,
        user="",
    )
    app.click(forged, ALERTS, ACK_ACTION, user=BOB)
    assert state_of(sessions, first).state == state_of(sessions, second).state == "open"
    [note] = slack.calls_to("chat.postEphemeral")
    assert f"not on alert {first}'s own message" in note.args["text"]


def test_an_alert_with_no_message_yet_cannot_be_clicked_from_a_message(
    app, jiebei, sessions, clock, slack
) -> None:
    """An alert not posted yet has no message: a button for it on any message is refused."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    button = {"type": "button", "action_id": ACK_ACTION, "value": str(alert_id)}
    message = Message(
        ts="1700000999.000100",
        text="",
        blocks=[{"type": "actions", "block_id": "b", "elements": [button]}],
        user="",
    )
    app.click(message, ALERTS, ACK_ACTION, user=BOB)
    assert state_of(sessions, alert_id).state == "open"


def test_a_draw_form_the_bot_never_opened_is_refused(app, jiebei, sessions, slack) -> None:
    """A draw form whose private_metadata names a channel but is not signed: no draw, nothing
    posted."""
    view = {**draw_view(["jiebei-main"], TEAM_CHANNEL), "id": "V0FORGED"}
    answer = app.submit(view, filled("jiebei-main", "1,000", "3m"), user=ALICE)
    assert answer.body["response_action"] == "errors"
    assert "did not open this form for you" in answer.body["errors"]["facility"]
    assert draws(sessions) == 0
    assert slack.messages(TEAM_CHANNEL) == []
    [refused] = refusals(sessions, "slack_action")
    assert refused["reason"] == "forged form"


def test_a_form_signed_with_another_key_is_refused(app, jiebei, sessions, slack) -> None:
    """A draw form whose metadata is well made but signed with a key that is not this
    installation's: no draw, nothing posted."""
    someone_else = ThisInstallation("other", b"another installation's key")
    metadata = pack(someone_else, "draw_modal", ALICE, {"channel": TEAM_CHANNEL})
    view = {**draw_view(["jiebei-main"], metadata), "id": "V0FORGED"}
    answer = app.submit(view, filled("jiebei-main", "1,000", "3m"), user=ALICE)
    assert "did not open this form for you" in answer.body["errors"]["facility"]
    assert draws(sessions) == 0
    assert slack.messages(TEAM_CHANNEL) == []


def resolve_form(app, slack, alert_id: int) -> dict:
    """Bob clicks Resolve on the alert's message; the form the bot opened."""
    app.click(posted_alert(slack, alert_id), ALERTS, RESOLVE_ACTION, user=BOB)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    return form


REASON = {"reason": {"value": {"type": "plain_text_input", "value": "paid"}}}


def test_a_resolve_form_is_only_good_for_whom_it_was_opened(app, alert, sessions, slack):
    """Bob's form, submitted as Dana (an admin), is refused; as Bob, it resolves the alert."""
    form = resolve_form(app, slack, alert)
    refused = app.submit(form, REASON, user=DANA)
    assert "did not open this form for you" in refused.body["errors"]["reason"]
    assert state_of(sessions, alert).state == "open"
    app.submit(form, REASON, user=BOB)
    assert state_of(sessions, alert).state == "resolved"


def test_a_draw_forms_signature_does_not_open_a_resolve(app, alert, sessions, slack) -> None:
    """Metadata signed for a draw form, put into a resolve form: refused."""
    form = resolve_form(app, slack, alert)
    with sessions.begin() as session:
        signed = pack(this_installation(session), "draw_modal", BOB, {"alert": alert})
    answer = app.submit({**form, "private_metadata": signed}, REASON, user=BOB)
    assert answer.body["response_action"] == "errors"
    assert state_of(sessions, alert).state == "open"


def test_while_slack_cannot_say_who_we_are_every_request_gets_503(
    app, jiebei, sessions, slack, caplog
) -> None:
    """auth.test failing at start: 503 with one clear log line, nothing done; once Slack
    answers, the next request is served."""
    slack.faults = FaultPlan(1.0, kinds=(500,), methods=frozenset({"auth.test"}))
    refused = app.command("draw jiebei-main 1,000 3m", user=ALICE)
    assert refused.status == 503
    assert draws(sessions) == 0
    assert any("cannot tell which Slack workspace" in r.getMessage() for r in caplog.records)
    slack.faults = None
    assert app.command("draw jiebei-main 1,000 3m", user=ALICE).status == 200
    assert draws(sessions) == 1


def test_the_app_id_comes_from_bots_info_unless_auth_test_says_it(app, slack) -> None:
    """auth.test without an app id: bots.info is asked, once; the next request asks nothing."""
    app.command("help")
    asked = [c.method for c in slack.calls]
    app.command("help")
    assert asked.count("bots.info") == 1
    assert [c.method for c in slack.calls] == asked


def test_an_app_id_from_auth_test_is_enough(app, slack) -> None:
    """auth.test that names the app: bots.info is never asked."""
    slack.auth_test_says_app_id = True
    assert app.command("help").status == 200
    assert slack.calls_to("bots.info") == []


def test_a_request_dispatched_past_the_signature_check_is_refused(
    settings, sessions, clock, slack
) -> None:
    """Handed to Bolt without the HTTP layer's check (a new adapter, a mistake): 401, and the
    click's response_url and user are never used."""
    app = build_app(settings, sessions, clock=clock)
    payload = {
        "type": "block_actions",
        "user": {"id": ALERTS},
        "team": {"id": "T0FINANCE"},
        "api_app_id": "A0LOANWATCH",
        "response_url": slack.response_url(),
        "actions": [{"type": "button", "action_id": ACK_ACTION, "value": "1"}],
    }
    response = app.dispatch(BoltRequest(body=urlencode({"payload": json.dumps(payload)})))
    assert response.status == 401
    assert slack.calls == []
    assert slack.responses == []


def test_an_error_before_admission_uses_nothing_from_the_request(
    app, alert, sessions, slack, monkeypatch, caplog
) -> None:
    """The installation lookup fails with a bug: the error handler logs it and answers 503; it
    posts nothing to the response_url and calls nothing in Slack."""

    def broken(self):
        raise RuntimeError("lookup exploded")

    monkeypatch.setattr(InstallationLookup, "get", broken)
    caplog.set_level(logging.ERROR)
    sent_before = len(slack.calls)
    answer = app.click(
        posted_alert(slack, alert), ALERTS, ACK_ACTION, user=BOB, response_url=slack.response_url()
    )
    assert answer.status == 503
    assert slack.responses == []
    assert slack.calls[sent_before:] == []
    assert any("before the request was admitted" in r.getMessage() for r in caplog.records)


def home_of(app, slack, user: str) -> Message:
    """The App Home tab `user` opened, as the message a click on it comes from."""
    app.event({"type": "app_home_opened", "user": user, "tab": "home"})
    return Message(ts="0", text="", blocks=slack.views[-1]["blocks"], user=user)


HOME_VIEW = {"id": "V0HOME", "type": "home"}
# A click that names another workspace somewhere Bolt (or loanwatch) could read a team from.
STEERED = {
    "team is theirs, view.app_installed_team_id ours": {
        "team": {"id": "T0EVIL"},
        "view": {**HOME_VIEW, "app_installed_team_id": "T0FINANCE"},
    },
    "no team, authorizations ours": {
        "team": None,
        "authorizations": [{"team_id": "T0FINANCE", "enterprise_id": None}],
    },
    "team ours, authorizations theirs": {
        "authorizations": [{"team_id": "T0EVIL", "enterprise_id": None}],
    },
    "team ours, a later authorization theirs": {
        "authorizations": [{"team_id": "T0FINANCE"}, {"team_id": "T0EVIL"}],
    },
    "team ours, view.app_installed_team_id theirs": {
        "view": {**HOME_VIEW, "app_installed_team_id": "T0EVIL"},
    },
    "team ours, team_id theirs": {"team_id": "T0EVIL"},
    "team.enterprise_id theirs": {"team": {"id": "T0FINANCE", "enterprise_id": "E0EVIL"}},
    "enterprise theirs": {"enterprise": {"id": "E0EVIL"}},
    "an authorization's enterprise theirs": {"authorizations": [{"enterprise_id": "E0EVIL"}]},
    "installed org-wide, it says": {"is_enterprise_install": True},
    "an authorization installed org-wide": {
        "authorizations": [{"team_id": "T0FINANCE", "is_enterprise_install": True}],
    },
}


@pytest.mark.parametrize("fields", STEERED.values(), ids=STEERED.keys())
def test_a_click_naming_another_workspace_anywhere_is_refused(
    app, jiebei, sessions, clock, slack, fields
) -> None:
    """Mallory's Acknowledge on an App Home, whichever team field says "ours": 403, the alert
    still open, the refusal audited."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    home = home_of(app, slack, BOB)
    answer = app.click(home, None, ACK_ACTION, user="U0MALLORY", **fields)
    assert answer.status == 403
    assert state_of(sessions, alert_id).state == "open"
    assert refusals(sessions, "slack_request")


def test_a_slack_connect_guest_from_another_workspace_is_served(
    app, jiebei, sessions, clock, slack
) -> None:
    """Bob's own workspace is elsewhere (`user.team_id`, `view.team_id`), the click is ours:
    it acts."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    home_of(app, slack, BOB)
    answer = app.interact(
        {
            "type": "block_actions",
            "user": {"id": BOB, "username": "bob", "team_id": "T0GUEST"},
            "team": {"id": "T0FINANCE"},
            "api_app_id": "A0LOANWATCH",
            "trigger_id": "1.2.trigger",
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {**HOME_VIEW, "team_id": "T0GUEST"},
            "actions": [{"type": "button", "action_id": ACK_ACTION, "value": str(alert_id)}],
        }
    )
    assert answer.status == 200
    assert state_of(sessions, alert_id).state == "acknowledged"
