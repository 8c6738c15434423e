"""A click that meets the database restarting is answered 503, so it is sent again, not lost."""

import psycopg
from sqlalchemy.exc import OperationalError

from bot.alerts import actions
from bot.models import Alert
from bot.slack.blocks import ACK_ACTION
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import open_alerts
from tests.support.slack_app import ALERTS, BOB


def test_a_click_during_a_database_restart_is_503_and_its_retry_takes(
    app, jiebei, sessions, settings, clock, slack, monkeypatch
) -> None:
    """Bob's Acknowledge meets PostgreSQL shutting down: 503, nothing said to him, nothing
    kept; Slack's retry a moment later acknowledges the alert."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    acknowledge = actions.acknowledge

    def restarting(*args, **kwargs):
        raise OperationalError(
            "UPDATE alerts", {}, psycopg.OperationalError("the database system is shutting down")
        )

    monkeypatch.setattr(actions, "acknowledge", restarting)
    message = posted_alert(slack, alert_id)
    answer = app.click(message, ALERTS, ACK_ACTION, user=BOB, response_url=slack.response_url())
    assert answer.status == 503
    assert slack.responses == []
    assert slack.calls_to("chat.postEphemeral") == []

    monkeypatch.setattr(actions, "acknowledge", acknowledge)
    again = app.click(message, ALERTS, ACK_ACTION, user=BOB, response_url=slack.response_url())
    assert again.status == 200
    with sessions() as session:
        assert session.get(Alert, alert_id).acknowledged_by == BOB
