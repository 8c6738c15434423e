"""A ticket's notices in Slack: one message per ticket, updated in place, a line per change.

What a `ticket.notice` row becomes (words and blocks: bot.slack.ticket_blocks):

- The ticket's message, posted with its first notice (`ticket_ref` None) in the thread of the
  alert it was opened from (`thread_ref`), else in the facility's channel; the worker keeps its
  reference as `tickets.message_ref`. Later notices `chat.update` it in place; one deleted in
  Slack is posted again and becomes the ticket's message.
- A line about the change in the thread it lives in; the opening also shares the usage
  records there (`files_upload_v2`), the same CSV the platform is mailed.
- Each linked alert's message is updated to show the ticket's state ("Ticket T-3 · waiting
  on Jiebei").

Nothing twice: every post carries the row's metadata plus which part it is (`message` or
`line`), and a retry looks for them (and for the file, by name) in the thread first.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from bot import i18n
from bot.slack.blocks import alert_message
from bot.slack.ticket_blocks import csv_filename, ticket_line, ticket_message
from bot.tickets.text.usage import csv_bytes
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.slack_errors import Remedy, rule


class Poster(Protocol):
    """What of the Slack transport a ticket's notice uses (jobs.transports.slack)."""

    def call(self, method_name: str, where: str, /, **args: Any) -> Any: ...

    def thread(self, channel: str, ts: str) -> Any: ...

    def history(self, channel: str) -> Any: ...

    def metadata(self, message: OutboxMessageView) -> dict[str, Any]: ...

    def posted_by(self, found: Mapping[str, Any], message: OutboxMessageView) -> bool: ...


def send_ticket_notice(slack: Poster, message: OutboxMessageView, channel: str) -> str:
    """The ticket's message (posted or updated), the thread's line, the CSV, the alerts, in
    its channel's language (the notice's, else the workspace's); returns the ticket message's
    "CHANNEL_ID:TS"."""
    with i18n.use(message.payload.get("language") or i18n.default()):
        return _send(slack, message, channel)


def _send(slack: Poster, message: OutboxMessageView, channel: str) -> str:
    payload = message.payload
    thread = _split(payload["thread_ref"]) if payload.get("thread_ref") else None
    text, blocks = ticket_message(payload)
    ref = message.ticket_ref
    if ref is not None:
        where, ts = _split(ref)
        try:
            slack.call("chat_update", where, channel=where, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if rule(exc).remedy is not Remedy.REPOST:
                raise
            ref = None  # deleted in Slack: posted again below
    if ref is None:
        ref = _post(slack, message, channel, thread, "message", text=text, blocks=blocks)
    where, ts = _split(ref)
    thread_ts = thread[1] if thread is not None and thread[0] == where else ts
    line, line_blocks = ticket_line(payload)
    _post(slack, message, where, (where, thread_ts), "line", text=line, blocks=line_blocks)
    filename = csv_filename(payload)
    if filename is not None:
        _share_csv(slack, message, where, thread_ts, filename)
    _show_on_alerts(slack, payload.get("alert_messages") or [])
    return ref


def _post(
    slack: Poster,
    message: OutboxMessageView,
    channel: str,
    thread: tuple[str, str] | None,
    part: str,
    **content: Any,
) -> str:
    """Post `part` of the row (in `thread`, if given), unless an earlier try did; "CHANNEL:TS"."""
    where = thread[0] if thread is not None else channel
    if message.maybe_sent:
        earlier = slack.thread(*thread) if thread is not None else slack.history(where)
        for found in earlier:
            if _ours(slack, found, message, part):
                return f"{where}:{found['ts']}"
    metadata = slack.metadata(message)
    metadata["event_payload"]["part"] = part
    answer = slack.call(
        "chat_postMessage",
        where,
        channel=where,
        thread_ts=thread[1] if thread is not None else None,
        metadata=metadata,
        unfurl_links=False,
        unfurl_media=False,
        **content,
    )
    return f"{answer['channel']}:{answer['ts']}"


def _ours(slack: Poster, found: Mapping[str, Any], message: OutboxMessageView, part: str) -> bool:
    theirs = (found.get("metadata") or {}).get("event_payload") or {}
    return slack.posted_by(found, message) and theirs.get("part") == part


def _share_csv(
    slack: Poster, message: OutboxMessageView, channel: str, thread_ts: str, filename: str
) -> None:
    """The usage records in the thread, once."""
    if message.maybe_sent and any(
        filename in (shared.get("name"), shared.get("title"))
        for reply in slack.thread(channel, thread_ts)
        for shared in reply.get("files") or []
    ):
        return
    payload = message.payload
    slack.call(
        "files_upload_v2",
        channel,
        channel=channel,
        thread_ts=thread_ts,
        content=csv_bytes(payload["columns"], payload["rows"]),
        filename=filename,
        title=filename,
    )


def _show_on_alerts(slack: Poster, alerts: list[Mapping[str, Any]]) -> None:
    """Each linked alert's message, re-shown with the ticket's state (a deleted one is left)."""
    for told in alerts:
        where, ts = _split(told["ref"])
        text, blocks = alert_message(told["notice"])
        try:
            slack.call("chat_update", where, channel=where, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if rule(exc).remedy is not Remedy.REPOST:
                raise


def _split(ref: str) -> tuple[str, str]:
    """ "CHANNEL_ID:TS" → (channel id, ts)."""
    channel, _, ts = str(ref).partition(":")
    if not channel or not ts:
        raise TransportError(
            f"{ref!r} is not a Slack message reference (CHANNEL:TS)", permanent=True
        )
    return channel, ts
