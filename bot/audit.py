"""Who changed what, from where: every change to the ledger writes an audit record with it."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from bot.models import AuditRecord, Base


@dataclass(frozen=True)
class Actor:
    """The person or process behind a change: `cli:alice`, a Slack user id, `system`."""

    name: str
    source: str  # cli, slack, import, system


SYSTEM = Actor("system", "system")


def snapshot(row: Base) -> dict[str, Any]:
    """A row's column values as JSON-safe data (amounts as strings, dates as ISO-8601)."""
    return {
        attr.key: _json_safe(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs
    }


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


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
