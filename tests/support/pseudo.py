"""The pseudo-locale's check: English a reader would see that did not go through the catalogs.

Under `bot.i18n.PSEUDO` every translated text comes out marked ⟦…⟧. Whatever English is left
outside the marks was written straight into a message, past the catalogs, and a Chinese reader
would get it in English:

    with use(PSEUDO):
        payload = alert_blocks(...)
    assert unmarked(texts_of(payload), allowed={"jb"}) == []

Data is not English to be translated: a test names its facilities, notes and people with
words in `allowed` (or in Chinese), and ids, amounts, dates, mentions and links are skipped.
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.i18n.catalogs import CLOSE, OPEN

# Words that are the same in every language: names of things, units, codes.
ALWAYS = frozenset(
    {"loanwatch", "Slack", "Alipay", "WeBank", "CNY", "RMB", "USD", "EUR", "CST", "UTC", "GMT"}
    | {"csv", "xlsx", "json", "https", "http", "www", "com", "ISO", "API", "URL", "CLI", "PDF"}
)
# Slack's own markup: mentions, channels, links (their label is checked), user groups.
_SLACK = re.compile(r"<[@#!][^>|]*(\|[^>]*)?>|<(https?|mailto):[^>|]*\|?")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
# Ids and codes that are data: U0ALICE, C0ALERTS, xoxb-…, #42, 2026-12-10T09:00.
_DATA = re.compile(r"\b(?:[UCGDWT][A-Z0-9]{5,}|[A-Z]{1,3}-?\d+[A-Z0-9-]*|\w*\d\w*)\b")


def outside_marks(text: str) -> str:
    """`text` without what is inside ⟦…⟧ (nested marks too: a translated text's placeholders
    may hold translated texts)."""
    kept, depth = [], 0
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def unmarked(texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Each English word outside the marks, with the text it is in; [] when all went through
    the catalogs."""
    allow = {word.lower() for word in (*ALWAYS, *allowed)}
    found = []
    for text in texts:
        rest = _DATA.sub(" ", _SLACK.sub(" ", outside_marks(text)))
        for word in _WORD.findall(rest):
            if word.lower() not in allow and not _allowed_part(word, allow):
                found.append(f"{word!r} in {text!r}")
    return found


def _allowed_part(word: str, allow: set[str]) -> bool:
    # A slug such as jiebei-main is allowed whole: each of its parts is then allowed too.
    return any(word.lower() in re.split(r"[-_.]", a) for a in allow if "-" in a or "_" in a)


# Keys whose values are for machines or are what a person typed back into a form.
_NOT_READ = frozenset(
    {"action_id", "block_id", "callback_id", "value", "url", "type", "private_metadata"}
    | {"initial_value", "initial_date", "initial_time", "metadata", "event_payload", "id"}
)


def texts_of(payload: Any) -> Iterator[str]:
    """Every text a person reads in a Slack payload (message, blocks, view, options): the
    `text` of each text object and message, titles, placeholders, fallback, alt text."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("text", "fallback", "alt_text", "pretext", "title") and isinstance(
                value, str
            ):
                yield value
            elif key not in _NOT_READ:
                yield from texts_of(value)
    elif isinstance(payload, list | tuple):
        for item in payload:
            yield from texts_of(item)
