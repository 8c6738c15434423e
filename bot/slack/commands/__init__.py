"""The slash command (`/loan` by default) and its subcommands."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack.commands.loan import loan


def register(app: App, settings: Settings) -> None:
    """Route the configured slash command to `loan`, which picks the subcommand."""
    app.command(settings.slash_command)(loan)
