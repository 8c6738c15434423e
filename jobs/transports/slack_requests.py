"""A request (a reading, a bill, an arrival; or its reminder) in Slack: a direct message to
its person, with buttons.

1. The person is looked up first (`users.info`, scope users:read): one whose account was
   deactivated (`deleted: true`) or is unknown (`user_not_found`) is not written to. Nor is one
   `conversations.open` (scope im:write) refuses as gone (`user_not_found`, `user_disabled`,
   `user_not_visible`, `cannot_dm_bot`). Either way the row fails for good with an error that
   starts with `bot.ledger.request_owners.OWNER_GONE`, which the dead-letter handler turns into
   one `owner_gone` admin alert and a dropped row (docs/requests.md, "Owner gone").
2. Then the message (`bot.slack.request_blocks.REQUEST_MESSAGES`, by kind: the question, or
   the reminder of it) is posted to the app's direct message with them, once: a retry looks for
   its own post in that conversation's history by the row's metadata, as every post does.

An app installed without users:read (`missing_scope`) skips the look-up, and
`conversations.open` still tells a person who is gone.
"""

from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from bot.ledger.request_owners import OWNER_GONE
from bot.oncall.rotations import USER_ID
from bot.slack.request_blocks import REQUEST_MESSAGES
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.slack_errors import error_code

# What Slack answers for a person who cannot be written to any more.
# https://api.slack.com/methods/conversations.open#errors
GONE = frozenset({"user_not_found", "user_disabled", "user_not_visible", "cannot_dm_bot"})


class Poster(Protocol):
    """What this needs of the Slack transport (`jobs.transports.slack.SlackTransport`)."""

    def post_once(self, message: OutboxMessageView, channel: str, **content: Any) -> str: ...

    def call_reader(self, method: str, **args: Any) -> Any: ...


def send_request(transport: Poster, message: OutboxMessageView) -> str:
    """Post the request's message to its person's direct message; its "CHANNEL:TS"."""
    person = str(message.channel)
    text, blocks = REQUEST_MESSAGES[message.kind](dict(message.payload))
    if not USER_ID.fullmatch(person):  # a channel, not a person: posted there as it is
        return transport.post_once(message, person, text=text, blocks=blocks)
    _refuse_if_gone(transport, person)
    try:
        opened = transport.call_reader("conversations_open", users=person)
    except SlackApiError as exc:
        if error_code(exc) in GONE:
            raise _gone(person, str(error_code(exc))) from exc
        raise
    return transport.post_once(message, str(opened["channel"]["id"]), text=text, blocks=blocks)


def _refuse_if_gone(transport: Poster, person: str) -> None:
    try:
        found = transport.call_reader("users_info", user=person)
    except SlackApiError as exc:
        code = error_code(exc)
        if code in GONE:
            raise _gone(person, str(code)) from exc
        if code == "missing_scope":
            return  # conversations.open tells instead
        raise
    if (found.get("user") or {}).get("deleted"):
        raise _gone(person, "users.info says the account is deactivated")


def _gone(person: str, why: str) -> TransportError:
    return TransportError(f"{OWNER_GONE}: {person}, {why}", permanent=True)
