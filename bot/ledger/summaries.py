"""Keep the summaries the checks read (`bot.models.summaries`) in step with every write.

:func:`keep_summaries` installs an ORM hook on a session factory (the application's,
`bot.sessions.session_factory`, the only one): after each flush, the summaries fed by what the
flush wrote (facilities, draws, installments, repayment allocations, bills, limit readings) are
recomputed from the base tables, in the same transaction. Recomputing rather than adding deltas
means a summary is only ever as wrong as the base tables themselves.

Two writers on one facility at once (an import and a Slack command, say) are serialized by a
row lock on the facility (PostgreSQL; SQLite allows one writer at a time anyway), and each
recomputes after taking it, so the second sees the first's rows.

Rows written with Core statements (`insert(Bill)`, COPY) bypass the hook: call
:func:`refresh_summaries` for what you wrote, or :func:`rebuild_summaries` after a bulk load.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker
from sqlalchemy.orm.attributes import get_history

from bot.db import among
from bot.ledger.summary_rows import all_facility_rows, facility_rows, reading_rows
from bot.models import (
    Bill,
    BillDay,
    Draw,
    Facility,
    FacilitySummary,
    Installment,
    InstallmentStatus,
    LimitReading,
    RepaymentAllocation,
)
from bot.models.types import Money

ZERO = Decimal("0.00")
# Facilities or days per IN (…) list: well under SQLite's limit on bound parameters.
CHUNK = 500

Day = tuple[int, date]


def keep_summaries(sessions: sessionmaker[Session]) -> None:
    """Keep the summaries in step with every flush of a session `sessions` makes.

    Installed on the factory, not on every Session: a hook that importing this module
    registered for the whole process would hide where the summaries come from.
    """
    event.listen(sessions, "after_flush", _after_flush)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    facilities: set[int] = set()
    days: set[Day] = set()
    draws: set[int] = set()
    readings: set[int] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, Installment | Bill):
            days.update(_days_of(row))
        elif isinstance(row, LimitReading):
            readings.add(row.facility_id)
        elif isinstance(row, Draw):
            facilities.add(row.facility_id)
        elif isinstance(row, RepaymentAllocation):
            draws.add(row.draw_id)
        elif isinstance(row, Facility):
            facilities.add(row.id)
    if facilities or days or draws or readings:
        refresh_summaries(
            session.connection(), facilities=facilities, days=days, draws=draws, readings=readings
        )


def _days_of(row: Installment | Bill) -> set[Day]:
    """The facility days a changed installment or bill feeds: where it is now and was before."""
    days = {(row.facility_id, row.due_date)}
    previously = get_history(row, "due_date").deleted or ()
    days.update((row.facility_id, old) for old in previously if old is not None)
    return days


def refresh_summaries(
    connection: Connection,
    *,
    facilities: Iterable[int] = (),
    days: Iterable[Day] = (),
    draws: Iterable[int] = (),
    readings: Iterable[int] = (),
) -> None:
    """Recompute the summaries of `facilities`, of the facilities of `draws`, and of `days`;
    for facilities whose readings alone changed (`readings`), what they show of those."""
    facility_ids = set(facilities)
    draw_ids = sorted(set(draws))
    for start in range(0, len(draw_ids), CHUNK):
        facility_ids.update(
            connection.scalars(
                select(Draw.facility_id).where(Draw.id.in_(draw_ids[start : start + CHUNK]))
            )
        )
    by_facility: dict[int, set[date]] = defaultdict(set)
    for facility_id, day in days:
        by_facility[facility_id].add(day)
    only_readings = set(readings) - facility_ids
    _lock(connection, sorted(facility_ids | only_readings | by_facility.keys()))
    _refresh_facilities(connection, sorted(facility_ids))
    _refresh_readings(connection, sorted(only_readings))
    for facility_id, facility_days in sorted(by_facility.items()):
        _refresh_days(connection, facility_id, sorted(facility_days))


def _lock(connection: Connection, facility_ids: list[int]) -> None:
    """Lock the facilities, in id order, until the transaction ends.

    The facility's own row, so a writer that already holds it (`get_facility(for_update=True)`)
    is simply waited for; a lock on the summary instead deadlocked with such a writer, whose
    next flush waited for the summary while this one's foreign-key check on `bill_days` waited
    for the facility. FOR NO KEY UPDATE: rows that only reference the facility (an alert, a
    bill) are not held up by it.
    """
    for start in range(0, len(facility_ids), CHUNK):
        connection.execute(
            select(Facility.id)
            .where(among(connection, Facility.id, facility_ids[start : start + CHUNK]))
            .order_by(Facility.id)
            .with_for_update(key_share=True)
        ).all()


def _refresh_facilities(connection: Connection, facility_ids: list[int]) -> None:
    """Replace the facilities' summaries with ones computed afresh: two statements a chunk,
    whatever the number of facilities (a batch of readings touches up to a thousand)."""
    for start in range(0, len(facility_ids), CHUNK):
        chunk = facility_ids[start : start + CHUNK]
        rows = facility_rows(connection, chunk)
        connection.execute(
            delete(FacilitySummary).where(among(connection, FacilitySummary.facility_id, chunk))
        )
        connection.execute(
            insert(FacilitySummary).from_select([c.key for c in rows.selected_columns], rows)
        )


def _refresh_readings(connection: Connection, facility_ids: list[int]) -> None:
    """Recompute what the facilities' summaries show of their readings, after readings alone
    were written: nothing else a summary holds (outstanding, limit, thresholds, when the
    ledger last moved) depends on them. One UPDATE a chunk; a facility with no summary yet
    gets a whole one."""
    for start in range(0, len(facility_ids), CHUNK):
        chunk = facility_ids[start : start + CHUNK]
        newest = reading_rows(connection, chunk).subquery("newest")
        shown = [c.name for c in newest.c if c.name != "facility_id"]
        updated = connection.execute(
            update(FacilitySummary)
            .where(
                among(connection, FacilitySummary.facility_id, chunk),
                FacilitySummary.facility_id == newest.c.facility_id,
            )
            .values({name: newest.c[name] for name in shown})
        ).rowcount
        if updated < len(chunk):
            summarized = set(
                connection.scalars(
                    select(FacilitySummary.facility_id).where(
                        among(connection, FacilitySummary.facility_id, chunk)
                    )
                )
            )
            _refresh_facilities(connection, sorted(set(chunk) - summarized))


def _refresh_days(connection: Connection, facility_id: int, days: list[date]) -> None:
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        connection.execute(
            delete(BillDay).where(BillDay.facility_id == facility_id, BillDay.day.in_(chunk))
        )
        rows = connection.execute(
            _day_totals(
                and_(Installment.facility_id == facility_id, Installment.due_date.in_(chunk)),
                and_(Bill.facility_id == facility_id, Bill.due_date.in_(chunk)),
            )
        ).all()
        if rows:
            connection.execute(insert(BillDay), [row._asdict() for row in rows])


def _day_totals(installments_where: Any, bills_where: Any) -> Any:
    """BillDay rows for the days the two conditions pick out, computed from the base tables.

    One grouped pass over each table, stacked and grouped again by day, so a day with only
    installments or only bills gets a row too (no FULL JOIN needed).
    """
    money = Money()
    expects_bill = and_(
        Installment.status != InstallmentStatus.SUPERSEDED, Installment.amount > ZERO
    )
    expected = (
        select(
            Installment.facility_id.label("facility_id"),
            Installment.due_date.label("day"),
            func.count().label("installments"),
            func.sum(case((Installment.status == InstallmentStatus.SCHEDULED, 1), else_=0)).label(
                "open"
            ),
            func.sum(Installment.amount).label("expected"),
            literal(0).label("bills"),
            literal(ZERO, money).label("billed"),
            literal(None, Bill.observed_at.type).label("billed_seen_at"),
        )
        .where(installments_where, expects_bill)
        .group_by(Installment.facility_id, Installment.due_date)
    )
    # Every version counts in `bills` (so a day whose bill was removed or corrected stays a
    # candidate the checks look at as of an earlier moment), only current ones in `billed`;
    # `billed_seen_at` is the day's last change: a version seen, recorded or replaced.
    current = Bill.superseded_at.is_(None)
    known = case((Bill.recorded_at > Bill.observed_at, Bill.recorded_at), else_=Bill.observed_at)
    changed = case((Bill.superseded_at > known, Bill.superseded_at), else_=known)
    billed = (
        select(
            Bill.facility_id,
            Bill.due_date,
            literal(0),
            literal(0),
            literal(ZERO, money),
            func.count(),
            func.sum(case((current, Bill.amount), else_=literal(ZERO, money))),
            func.max(changed),
        )
        .where(bills_where)
        .group_by(Bill.facility_id, Bill.due_date)
    )
    both = union_all(expected, billed).subquery("both_sides")
    return select(
        both.c.facility_id,
        both.c.day,
        func.sum(both.c.installments).label("installments"),
        func.sum(both.c.open).label("open"),
        func.sum(both.c.expected).label("expected"),
        func.sum(both.c.bills).label("bills"),
        func.sum(both.c.billed).label("billed"),
        func.max(both.c.billed_seen_at).label("billed_seen_at"),
    ).group_by(both.c.facility_id, both.c.day)


def rebuild_summaries(connection: Connection) -> None:
    """Recompute every summary from the base tables: after a bulk load, or to repair drift.

    Each table is read in one pass (the readings ranked per facility by a window function,
    draws and repayments grouped), so the cost follows the size of the tables whatever the
    planner's statistics say: right after a bulk load there are none yet.

    Safe while loanwatch runs: it first takes every facility's lock, in id order, as a writer
    takes its facility's, so writers wait for it (and it for them) instead of deadlocking.
    """
    connection.execute(
        select(Facility.id).order_by(Facility.id).with_for_update(key_share=True)
    ).all()
    connection.execute(delete(BillDay))
    connection.execute(
        insert(BillDay).from_select(
            [c.name for c in BillDay.__table__.columns], _day_totals(true(), true())
        )
    )
    connection.execute(delete(FacilitySummary))
    connection.execute(
        insert(FacilitySummary).from_select(
            [c.name for c in FacilitySummary.__table__.columns], all_facility_rows()
        )
    )


__all__ = ["rebuild_summaries", "refresh_summaries"]
