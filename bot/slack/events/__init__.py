"""Events: App Home, and files shared for an armed `/loan import`."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.events.files import acknowledge, file_shared
from bot.slack.events.home import home_opened


def register(app: App, settings: Settings) -> None:
    """Publish the dashboard whenever someone opens the app's Home tab; import a shared file
    for whoever armed an import (after the event is acknowledged: a download may be slow)."""
    app.event("app_home_opened")(home_opened)
    app.event("file_shared")(ack=acknowledge, lazy=[file_shared])
