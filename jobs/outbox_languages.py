"""The language each claimed outbox row is written in (docs/languages.md).

A message to a channel speaks the language of the facility it is about, else its channel's,
else the workspace's (`bot.languages.channel_language`). The worker words each row inside
`use(view.language)`; a row for a platform (`email:…`, `webhook:…`) carries None and is worded
by its transport in the platform contact's language, and a webhook's JSON stays English.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.languages import channel_language
from bot.models import Facility

# Channels with a scheme (`email:jiebei`) are not Slack channels: their transport decides.
_PLATFORM_SCHEMES = ("email:", "webhook:")


def row_languages(
    session: Session, rows: Iterable[tuple[int, str | None, Any]], default: str
) -> dict[int, str | None]:
    """Outbox row id → the language its message is written in (None: its transport's choice).

    `rows` are (id, channel, payload). The facility a row is about is its payload's `facility`
    (an alert's notice), or the one facility all of a storm's alerts are on.
    """
    rows = list(rows)
    slugs = {slug for _, _, payload in rows if (slug := _facility_of(payload))}
    languages: dict[str, str | None] = {}
    if slugs:
        found = session.execute(
            select(Facility.slug, Facility.language).where(Facility.slug.in_(slugs))
        )
        languages = {row.slug: row.language for row in found}
    chosen: dict[int, str | None] = {}
    for row_id, channel, payload in rows:
        if channel and channel.startswith(_PLATFORM_SCHEMES):
            chosen[row_id] = None
            continue
        facility = _facility_of(payload)
        chosen[row_id] = channel_language(
            session,
            channel,
            facility_language=languages.get(facility) if facility else None,
            default=default,
        )
    return chosen


def _facility_of(payload: Any) -> str | None:
    if not isinstance(payload, Mapping):
        return None
    slug = payload.get("facility")
    if isinstance(slug, str) and slug:
        return slug
    alerts = payload.get("alerts")
    if isinstance(alerts, list):
        slugs = {a.get("facility") for a in alerts if isinstance(a, Mapping)}
        if len(slugs) == 1 and isinstance(only := slugs.pop(), str) and only:
            return only
    return None
