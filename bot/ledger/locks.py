"""One writer at a time per facility: what a writer reads of a facility's observations before
it decides new, seen before or correction must not change until it commits.

On PostgreSQL two requests recording the same bill at once would each read "no such bill" and
each add one; :func:`lock_facilities` makes the second wait for the first's commit and then read
what it wrote. The rows are locked `FOR NO KEY UPDATE`, in id order (two writers of the same
facilities never hold one each and wait for the other's), a mode that does not block inserting
rows that refer to the facility. SQLite runs one writing transaction at a time: there the
transaction is made a writing one at once (bot.db begins it IMMEDIATE at its first savepoint),
so that a second writer waits before it reads rather than failing when it writes.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Facility


def lock_facilities(session: Session, facility_ids: Iterable[int]) -> None:
    """Hold the facilities' rows until the end of the session's transaction."""
    ids = sorted(set(facility_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        with session.begin_nested():
            pass  # BEGIN IMMEDIATE (bot.db), if the transaction has not begun yet
        return
    session.execute(
        select(Facility.id)
        .where(Facility.id.in_(ids))
        .order_by(Facility.id)
        .with_for_update(key_share=True)
    ).all()
