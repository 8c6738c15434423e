"""Events: App Home."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.events.home import home_opened


def register(app: App, settings: Settings) -> None:
    """Publish the dashboard whenever someone opens the app's Home tab."""
    app.event("app_home_opened")(home_opened)
