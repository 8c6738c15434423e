"""The daily digest in Slack: its message, then in its thread the 13-week cash-flow chart (a
PNG) and, for a portfolio too large to show whole, the CSV of the facilities the message leaves
out. Each part once: the message by its metadata, each file by its name in the thread."""

from collections.abc import Callable
from typing import Any, Protocol

from bot.digest.chart import cashflow_png
from bot.digest.payload import digest_from_payload, payload_language
from bot.digest.text import chart_filename, chart_title, rest_csv, rest_filename
from bot.i18n import use
from bot.slack.digest_blocks import digest_message, left_out
from jobs.transports.base import OutboxMessageView


class Poster(Protocol):
    """What the digest needs of the Slack transport."""

    def call(self, method_name: str, where: str, /, **args: Any) -> Any: ...

    def thread(self, channel: str, ts: str) -> Any: ...

    def post_once(self, message: OutboxMessageView, channel: str, **content: Any) -> str: ...


def send_digest(slack: Poster, message: OutboxMessageView, channel: str) -> str:
    """Post the digest's message and share its files in its thread, worded in the language
    chosen when it was written (its channel's); the message's reference."""
    with use(payload_language(dict(message.payload))):
        return _send(slack, message, channel)


def _send(slack: Poster, message: OutboxMessageView, channel: str) -> str:
    digest = digest_from_payload(dict(message.payload))
    text, blocks = digest_message(digest)
    ref = slack.post_once(message, channel, text=text, blocks=blocks)
    channel_id, ts = ref.split(":", 1)
    files: list[tuple[str, Callable[[], str | bytes]]] = [
        (
            chart_filename(digest.day),
            lambda: cashflow_png(digest.cashflow, title=chart_title(digest)),
        )
    ]
    if left_out(digest):
        files.append((rest_filename(digest.day), lambda: rest_csv(left_out(digest))))
    for filename, content in files:
        if message.maybe_sent and _file_in_thread(slack, channel_id, ts, filename):
            continue
        slack.call(
            "files_upload_v2",
            channel_id,
            channel=channel_id,
            thread_ts=ts,
            content=content(),
            filename=filename,
            title=filename,
        )
    return ref


def _file_in_thread(slack: Poster, channel: str, ts: str, filename: str) -> bool:
    return any(
        filename in (shared.get("name"), shared.get("title"))
        for reply in slack.thread(channel, ts)
        for shared in reply.get("files") or []
    )
