"""The reasons loanwatch gives when it resolves an alert itself, written once.

An alert's `resolve_reason` is kept in English (the API, exports, the audit trail and tickets
read it). The reasons loanwatch writes come from the wordings here; a reader is shown one in
their language by :func:`said`, which knows a kept reason by its wording and says it again
with the same values (a draw's number, a year). A reason a person typed is theirs and is
shown as they typed it.

    reason(MONEY_ARRIVED, draw=3)             # "money arrived: draw #3 confirmed" (kept)
    said("money arrived: draw #3 confirmed")  # zh: "借款 #3 已确认到账"
"""

import re
from functools import cache
from typing import Final

from bot.i18n import EN, N_, _, use

CONDITION_CLEARED: Final = N_("the condition cleared")
MONEY_ARRIVED: Final = N_("money arrived: draw #{draw} confirmed")
RAN_CLEAN: Final = N_("the check ran clean again")
PROMPT_RAN_CLEAN: Final = N_("its prompt checks ran clean again")
HOLIDAYS_KNOWN: Final = N_("{year}'s holidays are known now")
NO_DUE_DATE_NEAR: Final = N_("no due date in {year} is near yet")
DELIVERED_AFTER_ALL: Final = N_("outbox message {message} was delivered after all")
DELIVERED_TO: Final = N_("a notification to {where} was delivered")
OUTBOX_DROPPED: Final = N_("outbox message {message} dropped by {who}: {why}")

REASONS: Final = (
    CONDITION_CLEARED,
    MONEY_ARRIVED,
    RAN_CLEAN,
    PROMPT_RAN_CLEAN,
    HOLIDAYS_KNOWN,
    NO_DUE_DATE_NEAR,
    DELIVERED_AFTER_ALL,
    DELIVERED_TO,
    OUTBOX_DROPPED,
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def reason(wording: str, **values: object) -> str:
    """The reason as kept: `wording` (one of REASONS) in English, with its values."""
    with use(EN):
        return _(wording).format(**values)


def said(kept: str | None) -> str | None:
    """A kept reason in the reader's language: one loanwatch wrote, said again; any other as
    it was typed."""
    if not kept:
        return kept
    for wording in REASONS:
        found = _pattern(wording).fullmatch(kept)
        if found is not None:
            return _(wording).format(**found.groupdict())
    return kept


@cache
def _pattern(wording: str) -> re.Pattern[str]:
    """`wording` as a pattern its kept English matches, each placeholder a named group."""
    parts = _PLACEHOLDER.split(wording)  # text, name, text, name, …, text
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)
