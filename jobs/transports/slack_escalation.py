"""An escalation step in Slack: a line in the alert's thread, and for `dm` a direct message.

- The line mentions the person on call (`<@U…>`), the next one, a user group
  (`<!subteam^S…>`) or the channel (`<!here>`, posted as a thread reply also shown in the
  channel, so it reaches everyone there). Its words are `bot.oncall.words`'.
- `dm` opens the app's direct message with the person (`conversations.open`, scope im:write)
  and posts there first; a retry looks for its own post in that conversation's history (scope
  im:history) by the row's metadata, as every post does, so nobody gets the DM twice.
- The step of alerts told in one storm's grouped message (`bot.oncall.together`) goes in that
  message's thread: the claim gives the grouped message as the row's `alert_ref`, and holds the
  row until that message is posted (`jobs.outbox_claims`).
- Otherwise an alert whose message was never posted on its own gets the line as a message in
  the channel instead.
"""

from typing import Any, Protocol

from bot import i18n
from bot.oncall.words import EscalationNotice, dm_text, thread_line
from bot.slack.languages import UserLanguages
from jobs.transports.base import OutboxMessageView


class Poster(Protocol):
    """What this needs of the Slack transport (`jobs.transports.slack.SlackTransport`)."""

    def post_once(self, message: OutboxMessageView, channel: str, **content: Any) -> str: ...

    def thread_line(
        self, message: OutboxMessageView, channel: str, ts: str, line: str, broadcast: bool
    ) -> None: ...

    def call_reader(self, method: str, **args: Any) -> Any: ...


def _person(user: str | None) -> str:
    return f"<@{user}>" if user else i18n._("someone")


def _group(group: str) -> str:
    return f"<!subteam^{group}>"


def _language_of(transport: Poster, user: str) -> str:
    """The person's Slack language (`users.info` with `include_locale`); the workspace's when
    Slack does not say. A DM is one step of a ladder, so it is asked each time, not kept."""

    def lookup(user_id: str) -> str | None:
        answer = transport.call_reader("users_info", user=user_id, include_locale=True)
        locale = (answer.get("user") or {}).get("locale")
        return locale if isinstance(locale, str) else None

    return UserLanguages(lookup, i18n.default()).of(user)


def send_escalation(transport: Poster, message: OutboxMessageView, channel: str) -> str | None:
    """Deliver one escalation step; the alert's message reference, unchanged."""
    notice = EscalationNotice.from_payload(message.payload)
    if notice.action == "dm" and notice.user and not notice.missing:
        opened = transport.call_reader("conversations_open", users=notice.user)
        direct = opened["channel"]["id"]
        with i18n.use(_language_of(transport, notice.user)):
            text = dm_text(notice, _person, channel)
        transport.post_once(message, direct, text=text)
    with i18n.use(notice.language or i18n.default()):
        line = thread_line(notice, _person, _group, "<!here>")
    if message.alert_ref is None:
        transport.post_once(message, channel, text=line)
        return None
    channel_id, _, ts = message.alert_ref.partition(":")
    transport.thread_line(message, channel_id, ts, line, notice.action == "here")
    return message.alert_ref
