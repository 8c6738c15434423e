"""What a button carries, read back strictly: ids only (bot.slack.blocks, bot.slack.draw_replies).

Slack returns a button's value as the bot set it, so anything else (Unicode digits, an empty
value, an id no table can hold) is a button that is not loanwatch's or not of this version;
the handler says so to the clicker instead of failing.
"""

import re
from typing import Any

from bot.i18n import N_
from bot.typed import MAX_ID

ID = re.compile(r"[0-9]{1,10}")
NOT_OURS = N_(
    "This button is out of date or was not made by loanwatch, so nothing was done. "
    "Use the newest message, or the `/loan` command."
)


def row_id(value: Any) -> int | None:
    """The id a button's value carries, or None if it carries none."""
    if not isinstance(value, str) or not ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
