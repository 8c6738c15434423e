"""The digest as the outbox carries it: JSON of plain values, and back to the same dataclasses.

The delivery worker renders the Slack message, the chart and the CSV from this payload alone (a
transport never reads the database), so what it sends is the digest as it was when written,
in the language chosen then (the channel's, `bot.languages`).
"""

import dataclasses
import types
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Union, get_args, get_origin, get_type_hints

from bot.digest.numbers import Digest
from bot.digest.text import digest_text
from bot.i18n import EN, current, use

DIGEST_KIND = "digest"


def digest_payload(digest: Digest, language: str | None = None) -> dict[str, Any]:
    """The outbox payload: the text (what the console prints, title first, in `language`), the
    digest, and the language its message, chart and CSV are worded in (`payload_language`)."""
    language = language or current()
    with use(language):
        text = digest_text(digest)
    return {"text": text, "digest": _plain(digest), "language": language}


def payload_language(payload: dict[str, Any]) -> str:
    """The language a digest's payload is to be worded in (one written before languages
    existed: English, as it was then)."""
    return str(payload.get("language") or EN)


def digest_from_payload(payload: dict[str, Any]) -> Digest:
    """The Digest a payload of :func:`digest_payload` carries."""
    return _typed(Digest, payload["digest"])


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _typed(hint: Any, value: Any) -> Any:
    """`value` (from JSON) as the type `hint` names: dataclasses, lists, Decimal, dates."""
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return _typed(inner[0], value)
    if origin is list:
        (item,) = get_args(hint)
        return [_typed(item, entry) for entry in value]
    if dataclasses.is_dataclass(hint):
        hints = get_type_hints(hint)
        # A field a payload written before it existed lacks takes its default.
        return hint(
            **{
                f.name: _typed(hints[f.name], value[f.name])
                for f in dataclasses.fields(hint)
                if f.name in value
            }
        )
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    return value
