"""The buttons on a ticket's message (and the Close on "close it?" in its thread).

Record reply, Add note and Close open a form (bot.slack.views.tickets); Mark as sent acts at
once. Each checks the role first; the ticket's message and thread change when the worker sends
the notice the domain call wrote, so everyone sees the same thing.
"""

from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.i18n import _
from bot.slack import ticket_words as words
from bot.slack.actions.alerts import allowed, whisper
from bot.slack.actions.values import row_id
from bot.slack.context import actor, loanwatch_of
from bot.slack.roles import Role
from bot.slack.ticket_blocks import CLOSE_ACTION, NOTE_ACTION, REPLY_ACTION, SENT_ACTION
from bot.slack.views.tickets import CLOSE_CALLBACK, NOTE_CALLBACK, REPLY_CALLBACK, text_form
from bot.tickets.changes import CLOSE, RECORD_REPLY, refuse_closed
from bot.tickets.changes import mark_sent as mark_ticket_sent
from bot.tickets.timeline import get_ticket

_FORMS = {
    REPLY_ACTION: (REPLY_CALLBACK, Role.OPERATOR, words.REPLY),
    NOTE_ACTION: (NOTE_CALLBACK, Role.OPERATOR, words.NOTE),
    CLOSE_ACTION: (CLOSE_CALLBACK, Role.TREASURER, words.CLOSE),
}
_DOING = {REPLY_CALLBACK: RECORD_REPLY, CLOSE_CALLBACK: CLOSE}


def ask(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Record reply, Add note, Close: the form for that ticket (a closed one is said so)."""
    ack()
    lw = loanwatch_of(context)
    callback, needed, what = _FORMS[action["action_id"]]
    if not allowed(lw, client, body, what, needed):
        return
    number = row_id(action.get("value"))
    if number is None:
        whisper(client, body, _(words.NOT_A_TICKET_BUTTON))
        return
    try:
        with lw.reading() as session:
            ticket = get_ticket(session, number)
            if callback != NOTE_CALLBACK:  # a closed ticket still takes notes
                refuse_closed(session, ticket, _DOING[callback])
    except InputError as exc:
        whisper(client, body, words.problem(str(exc)))
        return
    client.views_open(
        trigger_id=body["trigger_id"], view=text_form(lw, body["user"]["id"], callback, number)
    )


def mark_sent(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Mark as sent: someone sent the text and records by hand; the follow-up clock starts."""
    ack()
    lw = loanwatch_of(context)
    if not allowed(lw, client, body, words.SENT):
        return
    number = row_id(action.get("value"))
    if number is None:
        whisper(client, body, _(words.NOT_A_TICKET_BUTTON))
        return
    try:
        with lw.transaction() as session:
            mark_ticket_sent(
                session,
                actor(body["user"]["id"]),
                number,
                now=lw.clock(),
                calendar=lw.calendar,
                default_channel=lw.settings.default_alert_channel,
            )
    except InputError as exc:
        whisper(client, body, words.problem(str(exc)))


ACTIONS = {
    REPLY_ACTION: ask,
    NOTE_ACTION: ask,
    CLOSE_ACTION: ask,
    SENT_ACTION: mark_sent,
}
