"""Many limit readings recorded at once: what `record_limit_reading` does for each, set-based.

A batch from the ingest API carries up to a thousand readings. Recorded one by one, each
reading is a flush, an audit record and a refresh of its facility's summary; here the whole
batch is checked first, then written with one INSERT for the readings and one for their audit
records, and the summaries of the facilities touched are refreshed once
(`bot.ledger.summaries.refresh_summaries`: the readings go in past the ORM, so its flush hook
does not see them).

The outcome of each reading is the one it would have had recorded in order: new, seen before
(the same reading is stored already, or came earlier in the batch), or refused (a different
reading of the facility at that moment, or a time `observation_time` refuses). Nothing is
written when any reading is refused.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.db import among, insert_many
from bot.errors import InputError
from bot.ledger.check_marks import mark_checks_due
from bot.ledger.observations import LimitStatus, different_reading, observation_time
from bot.ledger.summaries import CHUNK, refresh_summaries
from bot.models import Facility, LimitReading

Key = tuple[int, datetime]
Shown = tuple[Decimal, Decimal | None, str]


@dataclass(frozen=True)
class LimitSeen:
    """One reading as a caller has it: what `record_limit_reading` takes."""

    facility: Facility
    limit_amount: Decimal
    available: Decimal | None
    status: LimitStatus
    observed_at: datetime | None


@dataclass
class LimitBatch:
    """Per reading (by the caller's index): new or seen before; or why it was refused."""

    new: dict[int, bool] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def record_limit_readings(
    session: Session,
    actor: audit.Actor,
    readings: Mapping[int, LimitSeen],
    *,
    now: datetime,
    write: bool = True,
) -> LimitBatch:
    """Record `readings` (in index order, as if one by one); nothing when any is refused, or
    when `write` is false (the caller refuses the batch for another reason)."""
    batch = LimitBatch()
    moments: dict[int, datetime] = {}
    for index, seen in readings.items():
        try:
            moments[index] = observation_time(seen.observed_at, now, seen.facility)
        except InputError as exc:
            batch.refused[index] = str(exc)
    session.flush()  # readings added through the ORM earlier in this transaction count too
    known = _stored(session, {(readings[i].facility.id, _utc(m)) for i, m in moments.items()})
    rows: list[dict[str, Any]] = []
    for index in sorted(moments):
        seen, moment = readings[index], moments[index]
        key = (seen.facility.id, _utc(moment))
        shown = (seen.limit_amount, seen.available, str(seen.status))
        if key not in known:
            known[key] = shown
            batch.new[index] = True
            rows.append(_row(seen, moment, actor, now))
        elif known[key] == shown:
            batch.new[index] = False
        else:
            batch.refused[index] = str(different_reading(seen.facility, moment))
    if batch.refused or not rows or not write:
        return batch
    _insert(session, actor, rows, now)
    return batch


def _stored(session: Session, keys: set[Key]) -> dict[Key, Shown]:
    """What is stored already at the (facility, moment) pairs of `keys`: the readings of those
    facilities between the first and last moment, kept where the pair is one of `keys`."""
    facility_ids = sorted({facility_id for facility_id, _ in keys})
    if not facility_ids:
        return {}
    moments = [moment for _, moment in keys]
    found: dict[Key, Shown] = {}
    for start in range(0, len(facility_ids), CHUNK):
        rows = session.execute(
            select(
                LimitReading.facility_id,
                LimitReading.observed_at,
                LimitReading.limit_amount,
                LimitReading.available,
                LimitReading.status,
            ).where(
                among(session, LimitReading.facility_id, facility_ids[start : start + CHUNK]),
                LimitReading.observed_at.between(min(moments), max(moments)),
            )
        )
        for facility_id, observed_at, limit_amount, available, status in rows:
            key = (facility_id, _utc(observed_at))
            if key in keys:
                found[key] = (limit_amount, available, status)
    return found


def _row(seen: LimitSeen, moment: datetime, actor: audit.Actor, now: datetime) -> dict[str, Any]:
    return {
        "facility_id": seen.facility.id,
        "observed_at": moment,
        "limit_amount": seen.limit_amount,
        "available": seen.available,
        "status": str(seen.status),
        "source": actor.source,
        "recorded_at": now,
    }


def _insert(
    session: Session, actor: audit.Actor, rows: list[dict[str, Any]], now: datetime
) -> None:
    """One INSERT for the readings, one for their audit records, one refresh of the summaries."""
    table = LimitReading.__table__
    inserted = insert_many(
        session,
        table,
        rows,
        returning=(table.c.id, table.c.facility_id, table.c.observed_at),
    )
    ids = {(facility_id, _utc(at)): reading_id for reading_id, facility_id, at in inserted}
    for row in rows:
        row["id"] = ids[(row["facility_id"], _utc(row["observed_at"]))]
    rows.sort(key=lambda row: row["id"])
    audit.record_inserted(session, actor, "limit.add", LimitReading, rows, at=now)
    touched = {row["facility_id"] for row in rows}
    refresh_summaries(session.connection(), readings=touched)
    mark_checks_due(session.connection(), touched)


def _utc(moment: datetime) -> datetime:
    """A moment as the database gives it back: UTC (SQLite's may come back without a zone)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
