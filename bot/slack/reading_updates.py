"""After an answer to a reading request: every message of it loses its buttons.

A request may have two messages (the question and its reminder, `bot.ledger.request_reminders`)
and App Home lists it too. Whichever was tapped, each message the request was delivered as
(its outbox rows' references) is updated in place: its own question kept, the buttons gone,
a line saying what was recorded. The tapped message is updated even if it is not among them;
an answer given in App Home republishes the person's Home. A message that cannot be updated
(deleted in Slack) is logged and skipped: the answer is recorded already. A reminder written
but not sent yet is dropped.
"""

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ledger.request_reminders import drop_unsent, request_messages
from bot.slack import reading_blocks as words
from bot.slack.context import Loanwatch
from bot.slack.events.home import publish_home
from bot.slack.request_blocks import REQUEST_MESSAGES

log = logging.getLogger(__name__)


def show_answered(
    lw: Loanwatch,
    client: WebClient,
    request_id: int,
    line: str,
    *,
    tapped: tuple[str | None, str | None, str],
    home_of: str | None = None,
) -> None:
    """Update the request's messages to say `line`; `tapped` is the (channel, ts, question) of
    the message tapped (channel and ts None from App Home); `home_of` the person whose Home
    was tapped, republished."""
    with lw.transaction() as session:
        drop_unsent(session, request_id, reason=f"request {request_id} was answered before it")
        messages = request_messages(session, [request_id]).get(request_id, [])
        shown = {
            tuple(m.transport_ref.split(":", 1)): REQUEST_MESSAGES[m.kind](dict(m.payload))[0]
            for m in messages
            if m.transport_ref and ":" in m.transport_ref
        }
    channel, ts, question = tapped
    if channel and ts:
        shown[(channel, ts)] = question or shown.get((channel, ts), "")
    for (where, when), text in shown.items():
        said, blocks = words.answered_message(text, line)
        try:
            client.chat_update(channel=where, ts=when, text=said, blocks=blocks)
        except SlackApiError as exc:
            log.warning(
                "reading request %s: message %s:%s not updated: %s", request_id, where, when, exc
            )
    if home_of is not None:
        publish_home(lw, client, home_of)
