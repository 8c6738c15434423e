"""What an alert says about itself, in the language in use: its summary and its facts.

The checks word each finding in English (kept as `alerts.summary` and `alerts.facts`, which
the API, exports and tickets read) and keep how it was worded, so every surface can say it
again in its reader's language. Every surface words an alert's summary and facts through here.
"""

from collections.abc import Mapping

from bot.i18n import _


def summary_of(summary: str, wording: Mapping[str, object] | None = None) -> str:
    """The summary in the language in use (as kept, where it was kept without its wording)."""
    return summary


def facts_of(
    facts: Mapping[str, str], wording: Mapping[str, object] | None = None
) -> dict[str, str]:
    """The facts, labels and values, in the language in use."""
    return {_(label): value for label, value in facts.items()}
