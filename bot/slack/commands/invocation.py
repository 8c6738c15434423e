"""One use of the slash command, as the subcommands see it."""

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient


@dataclass(frozen=True)
class Invocation:
    """Who typed what, where; `words` are the arguments after the subcommand."""

    command: str
    user_id: str
    channel_id: str
    subcommand: str
    words: list[str]
    trigger_id: str
    client: WebClient

    @classmethod
    def from_command(cls, command: dict[str, Any], client: WebClient) -> "Invocation":
        words = (command.get("text") or "").split()
        return cls(
            command=command.get("command", "/loan"),
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            subcommand=words[0].lower() if words else "",
            words=words[1:],
            trigger_id=command.get("trigger_id", ""),
            client=client,
        )

    def rest(self, start: int) -> str:
        """The words from `start` on, as one text (a note, a reason)."""
        return " ".join(self.words[start:]).strip()
