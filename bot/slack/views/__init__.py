"""Modal submissions: the draw form, the resolve reason, the ticket forms, a changed reading,
a bill's amount, and the Import statement shortcut with its form."""

from slack_bolt import App

from bot.settings import Settings
from bot.slack import import_words
from bot.slack.reading_blocks import CHANGED_CALLBACK
from bot.slack.request_blocks import DIFFERENT_CALLBACK
from bot.slack.views import draw, imports, readings, resolve, tickets


def register(app: App, settings: Settings) -> None:
    """Route each modal's callback id to its submission handler (and the shortcut to its form)."""
    app.view(draw.CALLBACK)(draw.submit)
    app.view(resolve.RESOLVE_CALLBACK)(resolve.submit_resolve)
    app.view(tickets.OPEN_CALLBACK)(tickets.submit_open)
    app.view(tickets.REPLY_CALLBACK)(tickets.submit_reply)
    app.view(tickets.NOTE_CALLBACK)(tickets.submit_note)
    app.view(tickets.CLOSE_CALLBACK)(tickets.submit_close)
    app.view(CHANGED_CALLBACK)(readings.submit_changed)
    app.view(DIFFERENT_CALLBACK)(readings.submit_different)
    app.shortcut(import_words.SHORTCUT_CALLBACK)(imports.open_form)
    # The form closes at once; the download and the import run after Slack had its answer.
    app.view(import_words.FORM_CALLBACK)(ack=imports.check_form, lazy=[imports.import_submitted])
