"""Alert notifications to Slack: one message per alert, updated in place, its story in a thread.

(A ticket's notices are shaped the same way, by jobs.transports.slack_tickets.)

What a row becomes:

- `alert.group` (a storm): one message (`group_message`) and the CSV of every alert it folds
  together, uploaded into that message's thread.
- `digest` (the daily digest): its message, chart and CSV (jobs.transports.slack_digest).
- `oncall.usergroup`: the on-call user group's members set (jobs.transports.slack_usergroups).
- `reading.request`, `bill.request`, `draw.request`: a request (or its reminder) in its
  person's direct message, with its buttons; not to someone gone from the workspace
  (jobs.transports.slack_requests).
- an alert kind with no message of its own yet (`alert_ref` None: its first notice, or an alert
  only ever told inside a group): a full message (`alert_message`); the worker keeps its
  reference as the alert's `message_ref`.
- an alert kind with a message: `chat.update` that message in place and a line in its thread.
  A message deleted in Slack is posted again (the alert's full message, the line in its
  thread), and the new one becomes the alert's `message_ref`.

Nothing twice. Every post carries message metadata naming its outbox row: the row's id, this
installation's id (one per database) and the row's random token. When an earlier try may have
posted already (a retry, or a row taken back from a worker whose lease ran out), the channel's
history (or the thread) is searched for a post naming all three, and a message found there is
used instead of posting again. So a crash, or an answer lost on the way back, between Slack
posting and the worker recording it leaves no duplicate for anyone to see; and a post of
another loanwatch in the same channel (staging beside production, or this database before a
backup was restored, its outbox ids starting again) is never taken for this row's own.
https://api.slack.com/metadata/using
"""

import http.client
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import BackoffRetryIntervalCalculator, RetryIntervalCalculator
from slack_sdk.web import SlackResponse

from bot.alerts.notices import ALERT_KINDS, NoticeKind
from bot.digest.payload import DIGEST_KIND
from bot.metrics.slack_api import TimedWebClient as WebClient
from bot.oncall.usergroups import USERGROUP_KIND
from bot.oncall.words import ESCALATION_KIND
from bot.slack.blocks import (
    MAX_TEXT,
    alert_message,
    group_csv,
    group_csv_filename,
    group_message,
    reposted_line,
    thread_line,
)
from bot.slack.mrkdwn import escape_within
from bot.slack.request_blocks import REQUEST_MESSAGES
from bot.tickets.notices import TicketNoticeKind
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.console import render_text
from jobs.transports.slack_digest import send_digest
from jobs.transports.slack_errors import (
    PRIVATE_CHANNEL,
    Remedy,
    RetryConnectionErrors,
    RetryServerErrors,
    Sleep,
    error_code,
    failure,
    rule,
)
from jobs.transports.slack_escalation import send_escalation
from jobs.transports.slack_requests import send_request
from jobs.transports.slack_tickets import send_ticket_notice
from jobs.transports.slack_usergroups import send_usergroup

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["EVENT_TYPE", "SlackTransport"]

EVENT_TYPE = "loanwatch_outbox"
# A row whose channel is a person (U…, W…) goes to the app's direct message with them.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
# Seconds per Web API call. The worker's lease (minutes) must stay well above this.
TIMEOUT = 10
# How far back a retry looks for its own post: pages of top-level messages, newest first.
HISTORY_PAGE = 100
HISTORY_PAGES = 10
THREAD_PAGE = 200
THREAD_PAGES = 5


class SlackTransport:
    """Delivers outbox rows to Slack through the Web API (`send(view) -> "CHANNEL_ID:TS"`)."""

    name = "slack"

    def __init__(
        self,
        token: str,
        base_url: str = "https://slack.com/api/",
        *,
        timeout: int = TIMEOUT,
        retry_interval: RetryIntervalCalculator | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        # Posts and uploads get NO retry handlers: if Slack posted but its answer was lost, an
        # immediate retry here would post a second message. The worker's next attempt searches
        # for the post by its metadata first instead. WebClient retries connection errors by
        # default, so the empty list is needed; leaving the argument out is not enough.
        self._poster = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
        # Reads, chat.update and conversations.join cannot duplicate anything: retrying a
        # dropped connection or a 500 at once is safe. (Not 429: its wait belongs to the
        # worker, which reschedules the row instead of sleeping.) The one wait they take goes
        # through `sleep`, so a test can see that nothing else here ever sleeps.
        interval = retry_interval or BackoffRetryIntervalCalculator(backoff_factor=0.5)
        self._reader = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,
            retry_handlers=[
                RetryConnectionErrors(sleep, interval),
                RetryServerErrors(sleep, interval),
            ],
        )

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SlackTransport":
        """The transport for SLACK_BOT_TOKEN and SLACK_API_URL."""
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set; Slack delivery needs the bot token")
        return cls(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)

    # --- the Transport protocol ---------------------------------------------------------------

    def send(self, message: OutboxMessageView) -> str | None:
        """Post or update the message in Slack; return "CHANNEL_ID:TS" of the alert's message."""
        channel = message.channel
        if not channel:
            raise TransportError(
                f"outbox {message.id} ({message.kind}) has no channel to go to: set "
                "LOANWATCH_DEFAULT_ALERT_CHANNEL (or the facility's channel) to a channel "
                "the bot is in",
                permanent=True,
            )
        try:
            if message.kind in REQUEST_MESSAGES:  # channel: the person, looked up first
                return send_request(self, message)
            channel = self._direct_if_user(channel)
            if message.kind == NoticeKind.GROUP:
                return self._send_group(message, channel)
            if message.kind == ESCALATION_KIND:
                return send_escalation(self, message, channel)
            if message.kind == DIGEST_KIND:
                return send_digest(self, message, channel)
            if message.kind == USERGROUP_KIND:  # channel: the user group's id
                return send_usergroup(self, message)
            if message.kind in ALERT_KINDS:
                if message.alert_ref is None:
                    text, blocks = alert_message(message.payload)
                    return self._post_once(message, channel, text=text, blocks=blocks)
                return self._update_alert(message, message.alert_ref, channel)
            if message.kind == TicketNoticeKind.NOTICE:
                return send_ticket_notice(self, message, channel)
            # Anything else the outbox may carry is posted as the console would print it.
            # Payload text can carry what people typed; escaped, it pings nobody.
            text = escape_within(render_text(message), MAX_TEXT)
            return self._post_once(message, channel, text=text)
        except SlackApiError as exc:
            raise failure(exc, channel) from exc
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            # Timeouts, dropped connections, refused uploads: transient.
            raise TransportError(f"Slack could not be reached: {exc!r}") from exc

    # --- what each kind of row becomes --------------------------------------------------------

    def _direct_if_user(self, channel: str) -> str:
        """A user id (an admin alert with no default channel goes to the first admin) is the
        app's direct message with that person (`conversations.open`, scope im:write)."""
        if not USER_ID.fullmatch(channel):
            return channel
        return str(self.call_reader("conversations_open", users=channel)["channel"]["id"])

    def _send_group(self, message: OutboxMessageView, channel: str) -> str:
        """The storm's message, then its CSV in the message's thread (each once)."""
        text, blocks = group_message(message.payload)
        ref = self._post_once(message, channel, text=text, blocks=blocks)
        channel_id, ts = _split(ref)
        filename = group_csv_filename(message.payload)
        if message.maybe_sent and self._file_in_thread(channel_id, ts, filename):
            return ref
        self._call(
            self._poster.files_upload_v2,
            channel_id,
            channel=channel_id,
            thread_ts=ts,
            content=group_csv(message.payload),
            filename=filename,
            # The title is what a thread shows, and what a retry looks for.
            title=filename,
        )
        return ref

    def _update_alert(self, message: OutboxMessageView, alert_ref: str, channel: str) -> str:
        """The alert's message updated in place, and what happened as a line in its thread.

        A message someone deleted in Slack (`message_not_found` from the update, or from the
        thread line: `thread_not_found`) is posted again where a first notice goes, and that new
        message becomes the alert's (the worker records the reference returned), so the notices
        that follow update it and add their lines to its thread instead of dying.
        """
        channel_id, ts = _split(alert_ref)
        text, blocks = alert_message(message.payload)
        try:
            self._call(
                self._reader.chat_update,
                channel_id,
                channel=channel_id,
                ts=ts,
                text=text,
                blocks=blocks,
            )
            # A reminder (still firing after an ack expired, a snooze or silence ended) is also
            # shown in the channel: a line inside a thread notifies nobody.
            reminder = message.kind == NoticeKind.REMINDER
            self._thread_line(message, channel_id, ts, thread_line(message.payload), reminder)
        except SlackApiError as exc:
            if rule(exc).remedy is not Remedy.REPOST:
                raise
            return self._post_again(message, channel)
        return alert_ref

    def _post_again(self, message: OutboxMessageView, channel: str) -> str:
        """The alert's whole message posted anew (its old one was deleted), the line in its thread.

        On a retry, the message and the line an earlier try posted are found by their metadata,
        as for a first notice, so neither shows twice.
        """
        text, blocks = alert_message(message.payload)
        ref = self._post_once(message, channel, text=text, blocks=blocks)
        channel_id, ts = _split(ref)
        self._thread_line(message, channel_id, ts, reposted_line(message.payload), False)
        return ref

    def _thread_line(
        self, message: OutboxMessageView, channel: str, ts: str, line: str, broadcast: bool
    ) -> None:
        """`line` in the thread of message `ts`, unless an earlier try of this row put it there."""
        if message.maybe_sent and self._reply_in_thread(message, channel, ts):
            return
        self._call(
            self._poster.chat_postMessage,
            channel,
            channel=channel,
            thread_ts=ts,
            text=line,
            metadata=_metadata(message),
            reply_broadcast=broadcast,
        )

    def _post_once(self, message: OutboxMessageView, channel: str, **content: Any) -> str:
        """Post a top-level message, unless an earlier try already did; its "CHANNEL_ID:TS"."""
        if message.maybe_sent:
            found = self._posted_before(message, channel)
            if found is not None:
                return found
        answer = self._call(
            self._poster.chat_postMessage,
            channel,
            channel=channel,
            metadata=_metadata(message),
            unfurl_links=False,
            unfurl_media=False,
            **content,
        )
        return f"{answer['channel']}:{answer['ts']}"

    # --- what a ticket's notice uses (jobs.transports.slack_tickets) ------------------------

    def call(self, method_name: str, where: str, /, **args: Any) -> SlackResponse:
        """A Web API call by name: updates through the retrying client, posts through the other."""
        client = self._reader if method_name == "chat_update" else self._poster
        return self._call(getattr(client, method_name), where, **args)

    def thread(self, channel: str, ts: str) -> Iterator[dict[str, Any]]:
        return self._thread(channel, ts)

    def history(self, channel: str) -> Iterator[dict[str, Any]]:
        return self._pages(
            self._reader.conversations_history, HISTORY_PAGE, HISTORY_PAGES, channel=channel
        )

    def metadata(self, message: OutboxMessageView) -> dict[str, Any]:
        return _metadata(message)

    def posted_by(self, found: Mapping[str, Any], message: OutboxMessageView) -> bool:
        return _posted_by(found, message)

    # --- for the escalation steps (jobs.transports.slack_escalation) ---------------------------

    def post_once(self, message: OutboxMessageView, channel: str, **content: Any) -> str:
        """A top-level post of this row, once (see `_post_once`)."""
        return self._post_once(message, channel, **content)

    def thread_line(
        self, message: OutboxMessageView, channel: str, ts: str, line: str, broadcast: bool
    ) -> None:
        """A line of this row in a thread, once (see `_thread_line`)."""
        self._thread_line(message, channel, ts, line, broadcast)

    def call_reader(self, method: str, **args: Any) -> SlackResponse:
        """A Web API call that cannot duplicate anything (retried on dropped connections)."""
        return getattr(self._reader, method)(**args)

    # --- looking for what an earlier try posted -----------------------------------------------

    def _posted_before(self, message: OutboxMessageView, channel: str) -> str | None:
        """The "CHANNEL:TS" of a top-level message this row posted, from the recent history."""
        for found in self._pages(
            self._reader.conversations_history,
            HISTORY_PAGE,
            HISTORY_PAGES,
            channel=channel,
        ):
            # A reminder's line shown in the channel too (a thread broadcast) is in the history
            # with the row's metadata, but it is a reply, not the alert's message.
            reply = found.get("thread_ts") not in (None, found.get("ts"))
            if _posted_by(found, message) and not reply:
                return f"{channel}:{found['ts']}"
        return None

    def _reply_in_thread(self, message: OutboxMessageView, channel: str, ts: str) -> bool:
        return any(
            _posted_by(reply, message)
            for reply in self._thread(channel, ts)
            if reply.get("ts") != ts
        )

    def _file_in_thread(self, channel: str, ts: str, filename: str) -> bool:
        return any(
            filename in (shared.get("name"), shared.get("title"))
            for reply in self._thread(channel, ts)
            for shared in reply.get("files") or []
        )

    def _thread(self, channel: str, ts: str) -> Iterator[dict[str, Any]]:
        return self._pages(
            self._reader.conversations_replies, THREAD_PAGE, THREAD_PAGES, channel=channel, ts=ts
        )

    def _pages(
        self, method: Callable[..., SlackResponse], limit: int, pages: int, **args: Any
    ) -> Iterator[dict[str, Any]]:
        """Messages, page after page (Slack's cursor), with their metadata, up to `pages` pages."""
        cursor: str | None = None
        for _ in range(pages):
            answer = self._call(
                method,
                args["channel"],
                include_all_metadata=True,
                limit=limit,
                cursor=cursor,
                **args,
            )
            yield from answer.get("messages") or []
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return

    # --- calling Slack ------------------------------------------------------------------------

    def _call(
        self, method: Callable[..., SlackResponse], where: str, /, **args: Any
    ) -> SlackResponse:
        """Call `method`; on not_in_channel join the channel `where` and call once more."""
        try:
            return method(**args)
        except SlackApiError as exc:
            if rule(exc).remedy is not Remedy.JOIN:
                raise
        self._join(where)
        return method(**args)

    def _join(self, channel: str) -> None:
        try:
            self._reader.conversations_join(channel=channel)
        except SlackApiError as exc:
            if error_code(exc) == PRIVATE_CHANNEL:
                raise TransportError(
                    f"loanwatch is not in channel {channel}, which is private, so it cannot join "
                    f"by itself: invite @loanwatch to the private channel {channel} "
                    f"(`/invite @loanwatch` there)",
                    permanent=True,
                ) from exc
            raise


# --- small pieces --------------------------------------------------------------------------------


def _metadata(message: OutboxMessageView) -> dict[str, Any]:
    """The metadata every post carries: which outbox row of which installation (and alert)."""
    event_payload: dict[str, Any] = {"outbox_id": message.id}
    if message.installation_id is not None:
        event_payload["installation_id"] = message.installation_id
    if message.token is not None:
        event_payload["token"] = message.token
    alert_id = message.payload.get("alert_id")
    if alert_id is not None:
        event_payload["alert_id"] = alert_id
    return {"event_type": EVENT_TYPE, "event_payload": event_payload}


def _posted_by(found: Mapping[str, Any], message: OutboxMessageView) -> bool:
    """Whether a message in Slack is this outbox row's post: same id, installation and token.

    The id alone is not enough: another database posting to the same channel, or this one
    after a backup was restored, has rows with the same ids.

    A row written before the token existed (migration 0008) has none, and neither have the
    posts made for it then: they name the outbox id alone. Such a row takes a post with its id
    and no token, as before, unless the post names another installation.
    """
    metadata = found.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return False
    mine = _metadata(message)["event_payload"]
    theirs = metadata.get("event_payload") or {}
    if message.token is None:
        return (
            str(theirs.get("outbox_id")) == str(mine["outbox_id"])
            and theirs.get("token") is None
            and theirs.get("installation_id") in (None, mine.get("installation_id"))
        )
    return all(
        str(theirs.get(key)) == str(mine.get(key))
        for key in ("outbox_id", "installation_id", "token")
    )


def _split(ref: str) -> tuple[str, str]:
    """ "CHANNEL_ID:TS" → (channel id, ts)."""
    channel, _, ts = ref.partition(":")
    if not channel or not ts:
        raise TransportError(
            f"{ref!r} is not a Slack message reference (CHANNEL:TS)", permanent=True
        )
    return channel, ts
