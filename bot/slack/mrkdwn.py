"""Text for Slack's mrkdwn: escape what people typed, mention people, fit within limits.

Slack treats `&`, `<` and `>` as control characters: `<!channel>` pings a channel and
`<@U123>` a person. Text a person or a platform wrote is escaped before it goes into mrkdwn,
so a note can say `<!channel>` without pinging anyone.
https://api.slack.com/reference/surfaces/formatting#escaping
"""

import re

from bot.typed import ELLIPSIS, shorten

__all__ = ["ELLIPSIS", "escape", "escape_within", "mention", "truncate"]


# Only these three; entity-encoding anything else shows the entity (`&#39;`) to the reader.
ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

# A Slack user id (`U…`, or `W…` on Enterprise Grid), as a Slack actor is named; the `slack:`
# prefix is accepted too, since the lifecycle tests name Slack actors `slack:U0BOB`.
USER_ID = re.compile(r"^(?:slack:)?([UW][A-Z0-9]{2,})$")


def escape(text: str) -> str:
    """Text with Slack's control characters as entities, so it formats and pings nothing."""
    return "".join(ENTITIES.get(char, char) for char in text)


def mention(actor: str | None) -> str:
    """`<@U123>` for a Slack user id, else the actor's name escaped (`cli:alice`, `system`)."""
    if actor is None:
        return "someone"
    match = USER_ID.match(actor)
    return f"<@{match.group(1)}>" if match else escape(actor)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; a cut text ends in "…"."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return shorten(text, limit)


def escape_within(text: str, limit: int) -> str:
    """`escape(text)` in at most `limit` characters, never cutting an entity in half.

    Escaping can make a text five times longer (`&` → `&amp;`), so cutting first and escaping
    after can overflow, and cutting after can leave `&am…`, which Slack shows as is.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    room = limit - len(ELLIPSIS)
    pieces: list[str] = []
    for char in text:
        piece = ENTITIES.get(char, char)
        room -= len(piece)
        if room < 0:
            break
        pieces.append(piece)
    return "".join(pieces) + ELLIPSIS
