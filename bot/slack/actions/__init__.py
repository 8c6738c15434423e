"""Button clicks: on alert messages, and on the "log it again?" question."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.actions import alerts, draws


def register(app: App, settings: Settings) -> None:
    """Route each action id to its handler."""
    for handlers in (alerts.ACTIONS, draws.ACTIONS):
        for action_id, handler in handlers.items():
            app.action(action_id)(handler)
