"""Imports waiting for a file: `/loan import FAC [--mapping NAME]` now, the file shared next.

A person arms an import (which facility, which format or mapping, where they asked); the next
file they share takes it, once. Both live in `command_requests` (bot/models/requests.py), whose
unique key is what makes each step happen once whatever Slack retries:

- the armed import is the row `import:<request key>` (action `import_armed`), pending until a
  file takes it or it is WAIT old; arming again replaces the person's earlier one;
- a file taking it writes the row `import-file:<delivery key>` (action `import_file`, the
  event's id in Slack), in the same transaction that marks the armed row done and records the
  rows. A retried delivery finds its key taken; a second file finds nothing armed.

Rows older than KEEP are removed when someone arms an import.

These functions only read and write those rows; the caller's transaction commits them with the
import itself, so an import that fails leaves the armed request as it was.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.i18n import _
from bot.ledger.facilities import get_facility
from bot.ledger.mappings import get_mapping
from bot.ledger.statements import FORMATS
from bot.models import CommandRequest

ARMED = "import_armed"
TAKEN = "import_file"
PENDING, DONE, REPLACED = "pending", "done", "replaced"
# How long an armed import waits for its file.
WAIT = timedelta(minutes=10)
# Slack retries an event within minutes; after a week its key is no longer needed.
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class ImportTarget:
    """Where a file goes and how it is read: a built-in format, or a saved mapping."""

    facility: str
    fmt: str = "auto"
    mapping: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"facility": self.facility, "format": self.fmt, "mapping": self.mapping}


@dataclass(frozen=True)
class Armed:
    """An import waiting for its file: what it imports to, where it was asked, until when."""

    id: int
    user_id: str
    target: ImportTarget
    channel: str
    expires_at: datetime


def check_target(session: Session, target: ImportTarget) -> ImportTarget:
    """The facility and the mapping (or format) exist; InputError naming what does not."""
    if target.fmt not in FORMATS:
        raise InputError(
            _('unknown format "{format}"; formats are {formats}').format(
                format=target.fmt, formats=", ".join(FORMATS)
            )
        )
    if target.mapping and target.fmt != "auto":
        raise InputError(_("a mapping says how to read the file; leave out the format"))
    get_facility(session, target.facility)
    if target.mapping:
        get_mapping(session, target.mapping)
    return target


def arm(
    session: Session,
    user_id: str,
    key: str,
    target: ImportTarget,
    *,
    channel: str,
    now: datetime,
) -> Armed:
    """Arm an import for `user_id` (their earlier one is replaced); `key` is the request's own
    (a retried request finds its row and arms nothing new)."""
    check_target(session, target)
    existing = session.scalar(select(CommandRequest).where(CommandRequest.key == f"import:{key}"))
    if existing is not None:
        return _armed(existing)
    session.execute(
        delete(CommandRequest).where(
            CommandRequest.action.in_((ARMED, TAKEN)), CommandRequest.created_at < now - KEEP
        )
    )
    session.execute(
        update(CommandRequest)
        .where(
            CommandRequest.user_id == user_id,
            CommandRequest.action == ARMED,
            CommandRequest.state == PENDING,
        )
        .values(state=REPLACED)
    )
    row = CommandRequest(
        key=f"import:{key}"[:200],
        user_id=user_id,
        action=ARMED,
        args={**target.as_json(), "channel": channel},
        state=PENDING,
        result=None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _armed(row)


def waiting(session: Session, user_id: str, *, now: datetime) -> Armed | None:
    """The import `user_id` armed within WAIT and no file has taken yet, if any."""
    row = session.scalar(
        select(CommandRequest)
        .where(
            CommandRequest.user_id == user_id,
            CommandRequest.action == ARMED,
            CommandRequest.state == PENDING,
            CommandRequest.created_at > now - WAIT,
        )
        .order_by(CommandRequest.created_at.desc(), CommandRequest.id.desc())
        .limit(1)
    )
    return None if row is None else _armed(row)


def seen(session: Session, delivery: str) -> bool:
    """True if the delivery (a file_shared event) has taken an armed import already."""
    key = f"import-file:{delivery}"[:200]
    return session.scalar(select(CommandRequest.id).where(CommandRequest.key == key)) is not None


def take(
    session: Session,
    armed: Armed,
    delivery: str,
    file_id: str,
    *,
    result: str,
    now: datetime,
) -> bool:
    """Mark `armed` taken by this delivery of `file_id`; False if another delivery took it or
    this one was handled before (then nothing here is written)."""
    if seen(session, delivery):
        return False
    done = session.execute(
        update(CommandRequest)
        .where(CommandRequest.id == armed.id, CommandRequest.state == PENDING)
        .values(state=DONE, result=result[:2000])
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        CommandRequest(
            key=f"import-file:{delivery}"[:200],
            user_id=armed.user_id,
            action=TAKEN,
            args={"armed": armed.id, "file": file_id},
            state=DONE,
            result=None,
            created_at=now,
        )
    )
    # The unique key is checked here, inside the import's transaction: a retry that got this far
    # at the same moment fails at its flush and rolls its own import back.
    session.flush()
    return True


def _armed(row: CommandRequest) -> Armed:
    args = row.args
    target = ImportTarget(
        facility=str(args["facility"]),
        fmt=str(args.get("format") or "auto"),
        mapping=args.get("mapping"),
    )
    channel = str(args.get("channel") or "")
    return Armed(row.id, row.user_id, target, channel, row.created_at + WAIT)
