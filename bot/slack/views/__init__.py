"""Modal submissions: the draw form and the resolve reason."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.views import draw, resolve


def register(app: App, settings: Settings) -> None:
    """Route each modal's callback id to its submission handler."""
    app.view(draw.CALLBACK)(draw.submit)
    app.view(resolve.RESOLVE_CALLBACK)(resolve.submit_resolve)
