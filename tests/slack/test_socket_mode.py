"""Socket Mode: a slash command arrives over a WebSocket; the envelope is acknowledged, handled."""

import json
import queue
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import func, select
from websockets.sync.server import ServerConnection, serve

from bot.models import Draw
from bot.slack.app import build_app
from tests.support.slack_app import ALICE, TEAM_CHANNEL, app_settings

APP_TOKEN = "xapp-1-test"


def test_a_slash_command_envelope_is_acknowledged_and_handled(
    database_url, sessions, jiebei, slack, clock
) -> None:
    """The fake hands out a ws:// URL; the command's envelope comes back acked with the answer."""
    answers: queue.Queue[dict] = queue.Queue()
    envelope = {
        "envelope_id": "env-draw-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "legacy",
            "team_id": "T0FINANCE",
            "api_app_id": "A0LOANWATCH",
            "channel_id": TEAM_CHANNEL,
            "user_id": ALICE,
            "command": "/loan",
            "text": "draw jiebei-main 10,000 12m over the socket",
            "response_url": slack.response_url("socket"),
            "trigger_id": "1.socket.trigger",
        },
    }

    def slack_side(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        connection.send(json.dumps(envelope))
        for raw in connection:
            answers.put(json.loads(raw))

    with serve(slack_side, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link/?ticket=1"
        settings = app_settings(database_url, slack.api_url, SLACK_SIGNING_SECRET=None)
        app = build_app(settings, sessions, clock=clock, socket_mode=True)
        handler = SocketModeHandler(app, APP_TOKEN)
        handler.connect()
        try:
            answer = answers.get(timeout=10)
        finally:
            handler.close()
            server.shutdown()

    assert answer["envelope_id"] == "env-draw-1"
    assert "First due *2027-01-01*" in answer["payload"]["text"]
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draw)) == 1


def test_over_socket_mode_a_command_for_another_workspace_is_refused(
    database_url, sessions, jiebei, slack, clock
) -> None:
    """No signature over the socket, but the same workspace and app binding: a draw for
    another team or app is refused (no answer, no draw); the installation's own is logged."""
    settings = app_settings(database_url, slack.api_url, SLACK_SIGNING_SECRET=None)
    app = build_app(settings, sessions, clock=clock, socket_mode=True)

    def envelope(team_id: str, app_id: str) -> SocketModeRequest:
        payload = {
            "team_id": team_id,
            "api_app_id": app_id,
            "channel_id": TEAM_CHANNEL,
            "user_id": ALICE,
            "command": "/loan",
            "text": "draw jiebei-main 10,000 12m",
            "trigger_id": f"{team_id}.{app_id}.trigger",
        }
        return SocketModeRequest(type="slash_commands", envelope_id=team_id, payload=payload)

    # What SocketModeHandler does with each envelope it receives.
    other_team = run_bolt_app(app, envelope("T0OTHER", "A0LOANWATCH"))
    other_app = run_bolt_app(app, envelope("T0FINANCE", "A0OTHER"))
    ours = run_bolt_app(app, envelope("T0FINANCE", "A0LOANWATCH"))
    assert other_team.status == other_app.status == 403
    assert ours.status == 200
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draw)) == 1
