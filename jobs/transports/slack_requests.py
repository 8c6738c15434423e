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

The message is worded in the person's language, as everything said to one person is
(docs/languages.md): the same `users.info` look-up asks for their locale
(`include_locale`), so knowing it costs no call of its own; a Chinese locale reads Chinese,
an English one English, and any other, or no look-up (`missing_scope`), the workspace's
(LOANWATCH_LANGUAGE, the worker's default language). A request to a channel is worded in the
workspace's language.
"""

from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from bot.i18n import default, from_locale, use
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
    if not USER_ID.fullmatch(person):  # a channel, not a person: posted there as it is
        with use(default()):
            text, blocks = REQUEST_MESSAGES[message.kind](dict(message.payload))
        return transport.post_once(message, person, text=text, blocks=blocks)
    locale = _refuse_if_gone(transport, person)
    with use(from_locale(locale, default())):
        text, blocks = REQUEST_MESSAGES[message.kind](dict(message.payload))
    try:
        opened = transport.call_reader("conversations_open", users=person)
    except SlackApiError as exc:
        if error_code(exc) in GONE:
            raise _gone(person, str(error_code(exc))) from exc
        raise
    return transport.post_once(message, str(opened["channel"]["id"]), text=text, blocks=blocks)


def _refuse_if_gone(transport: Poster, person: str) -> str | None:
    """The person's Slack locale (None when Slack does not say), unless they are gone."""
    try:
        found = transport.call_reader("users_info", user=person, include_locale=True)
    except SlackApiError as exc:
        code = error_code(exc)
        if code in GONE:
            raise _gone(person, str(code)) from exc
        if code == "missing_scope":
            return None  # conversations.open tells instead
        raise
    user = found.get("user") or {}
    if user.get("deleted"):
        raise _gone(person, "users.info says the account is deactivated")
    locale = user.get("locale")
    return locale if isinstance(locale, str) else None


def _gone(person: str, why: str) -> TransportError:
    return TransportError(f"{OWNER_GONE}: {person}, {why}", permanent=True)
