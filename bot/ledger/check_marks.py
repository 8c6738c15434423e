"""Which facilities' checks are due now: marked in the transaction that records what changed.

The clock-driven cycle checks every facility every few minutes. So that a frozen line seen at
10:01 is told at 10:01 and not at the next cycle, every write of an observation (a limit
reading, a bill, a payout) or of what the ledger expects of one (a draw, its confirmation, a
repayment) marks its facility as *checks due*, in the same transaction: `check_requests`, one
row per facility. The worker's prompt run (`jobs/prompt.py`) claims the marks once they have
been quiet for a moment, runs the checks for those facilities only and deletes the marks in
its own transaction, so a write that rolls back leaves no mark and a run that fails leaves its
marks for the next.

Where the marks are made, once for every surface (API, Slack, CLI, imports, reading requests):

- :func:`keep_check_marks` installs an ORM hook on the application's session factory
  (`bot.sessions.session_factory`, next to the summaries' hook): after each flush, the
  facilities of the observation rows it wrote are marked.
- Writes past the ORM call :func:`mark_checks_due` themselves: the batch of limit readings
  (`bot.ledger.limit_batch`), and a reading request's answer (`bot.ledger.reading_answers`:
  "Can't see it" is a conditional UPDATE, and is what `platform_unavailable` reads).

A mark is stamped with the real time of the write (`bot.clock.utcnow`), not the `now` a ledger
call is handed: the debounce waits for real seconds of quiet, as the worker's own clock counts
them. A facility marked again before it is checked keeps one row: `requested_at` moves to the
latest write, `first_requested_at` stays at the oldest one not yet checked.
"""

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, event, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from bot.clock import utcnow
from bot.models import Bill, CheckRequest, Draw, DrawConfirmation, LimitReading, Repayment
from bot.models.types import UTCDateTime

# The rows whose write makes their facility's checks due: what the platforms show, and what the
# ledger expects of it.
OBSERVED = (LimitReading, Bill, DrawConfirmation, Draw, Repayment)


def keep_check_marks(sessions: sessionmaker[Session]) -> None:
    """Mark the facilities of the observations every flush of a `sessions` session writes."""
    event.listen(sessions, "after_flush", _after_flush)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    facility_ids = {
        row.facility_id
        for row in chain(session.new, session.dirty, session.deleted)
        if isinstance(row, OBSERVED) and row.facility_id is not None
    }
    if facility_ids:
        mark_checks_due(session.connection(), facility_ids)


def mark_checks_due(connection: Connection | Session, facility_ids: Iterable[int]) -> None:
    """Mark `facility_ids` as checks due, in the caller's transaction (one statement).

    In facility order, so two writers marking overlapping facilities take the rows' locks in
    the same order.
    """
    ids = sorted(set(facility_ids))
    if not ids:
        return
    if isinstance(connection, Session):
        connection = connection.connection()
    at = utcnow()
    if connection.dialect.name == "postgresql":
        # One array parameter, however many facilities (a batch of readings marks a thousand).
        insert = postgresql.insert(CheckRequest)
        rows = select(
            func.unnest(bindparam("facility_ids", ids, type_=ARRAY(Integer))),
            literal(at, UTCDateTime()),
            literal(at, UTCDateTime()),
        )
        connection.execute(_upsert(insert.from_select(_COLUMNS, rows), insert))
        return
    insert = sqlite.insert(CheckRequest)
    connection.execute(
        _upsert(insert, insert),
        [{"facility_id": i, "requested_at": at, "first_requested_at": at} for i in ids],
    )


_COLUMNS = ["facility_id", "requested_at", "first_requested_at"]


def _upsert(statement: Any, insert: Any) -> Any:
    """A mark already there keeps its `first_requested_at` and takes the new `requested_at`."""
    return statement.on_conflict_do_update(
        index_elements=[CheckRequest.facility_id],
        set_={"requested_at": insert.excluded.requested_at},
    )
