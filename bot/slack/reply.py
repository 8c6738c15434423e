"""What a subcommand answers: text (and blocks), for the person alone or for the channel."""

from dataclasses import dataclass, field
from typing import Any

from bot.i18n import _
from bot.slack.mrkdwn import escape


@dataclass(frozen=True)
class Reply:
    """An answer to a slash command; ephemeral unless `in_channel`."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    in_channel: bool = False
    # The answer given before to the same request (a retry): show it, do not announce it again.
    repeated: bool = False

    def ack_kwargs(self) -> dict[str, Any]:
        """Arguments for Bolt's `ack()`."""
        kwargs: dict[str, Any] = {
            "text": self.text,
            "response_type": "in_channel" if self.in_channel else "ephemeral",
        }
        if self.blocks:
            kwargs["blocks"] = self.blocks
        return kwargs


def problem(message: str, usage: str | None = None) -> Reply:
    """An ephemeral answer to bad input: what was wrong, and how to write it."""
    text = f":warning: {escape(message)}"
    if usage:
        text += "\n" + _("Usage: `{usage}`").format(usage=usage)
    return Reply(text)
