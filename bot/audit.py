"""Who changed what, from where: every change to the ledger writes an audit record with it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Mapper, Session

from bot.db import insert_many
from bot.models import AuditRecord, Base


@dataclass(frozen=True)
class Actor:
    """The person or process behind a change: `cli:alice`, a Slack user id, `system`."""

    name: str
    source: str  # cli, slack, import, system


SYSTEM = Actor("system", "system")


def snapshot(row: Base) -> dict[str, Any]:
    """A row's column values as JSON-safe data (amounts as strings, dates as ISO-8601)."""
    return {key: _json_safe(getattr(row, key)) for key in _column_keys(inspect(row).mapper)}


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: Base,
    *,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    flush: bool = True,
) -> AuditRecord:
    """Write one audit record in the caller's transaction.

    It flushes first so a new entity has its id; a caller recording many rows it has already
    flushed passes `flush=False` and saves a round trip each.
    """
    if flush:
        session.flush()
    entry = AuditRecord(
        at=at,
        actor=actor.name,
        source=actor.source,
        action=action,
        entity=type(entity).__tablename__,
        entity_id=str(inspect(entity).identity[0]) if inspect(entity).identity else None,
        before=before,
        after=after if after is not None else snapshot(entity),
    )
    session.add(entry)
    return entry


def record_inserted(
    session: Session,
    actor: Actor,
    action: str,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    at: datetime,
) -> None:
    """One audit record per row inserted without the ORM (`bot.db.insert_many`), in one INSERT.

    Each is the record :func:`record` writes for a new entity: no `before`, and `after` the
    row's column values (a column a row leaves out is None), as :func:`snapshot` shows them.
    """
    mapper = inspect(model)
    keys = _column_keys(mapper)
    (id_key,) = (mapper.get_property_by_column(c).key for c in mapper.primary_key)
    entries = [
        {
            "at": at,
            "actor": actor.name,
            "source": actor.source,
            "action": action,
            "entity": model.__tablename__,
            "entity_id": str(row[id_key]),
            "before": None,
            "after": {key: _json_safe(row.get(key)) for key in keys},
        }
        for row in rows
    ]
    insert_many(session, AuditRecord.__table__, entries)


@cache
def _column_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(attr.key for attr in mapper.column_attrs)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    return value
