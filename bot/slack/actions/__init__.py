"""Button clicks: on alert messages, ticket messages, the "log it again?" question and requests
(readings, bills, arrivals)."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.actions import alerts, draws, readings, requests, tickets


def register(app: App, settings: Settings) -> None:
    """Route each action id to its handler."""
    for handlers in (
        alerts.ACTIONS,
        draws.ACTIONS,
        tickets.ACTIONS,
        readings.ACTIONS,
        requests.ACTIONS,
    ):
        for action_id, handler in handlers.items():
            app.action(action_id)(handler)
