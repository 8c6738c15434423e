"""Requests are bound to the installation: its workspace and its app."""

import json
import logging
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import select

from bot.models import Alert, AuditRecord
from bot.slack.app import build_app
from bot.slack.binding import InstallationLookup
from bot.slack.blocks import ACK_ACTION
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import counts, open_alerts
from tests.slack.test_draw_flow import draws
from tests.support.fake_slack import FaultPlan
from tests.support.slack_app import ALERTS, ALICE, BOB, DANA

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
