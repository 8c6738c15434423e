"""The checks' summaries stay equal to what the base tables say, whatever writes them.

`facility_summaries` and `bill_days` are derived data the checks read instead of the whole
history; a summary that lags the ledger would hide an alert. So every test here compares the
summaries as the writes left them with a rebuild from scratch, and pins a few values by hand.
"""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.db import alembic_config, make_engine, upgrade
from bot.ledger.facilities import get_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.ledger.repayments import record_repayment
from bot.ledger.summaries import rebuild_summaries
from bot.models import BillDay, Facility, FacilitySummary
from bot.sessions import session_factory
from tests.ledger.cast import jiebei_line, log_draw
from tests.support.databases import postgres_database

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def summaries(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Both tables' rows, in key order."""
    return {
        "facility_summaries": [
            tuple(row)
            for row in session.execute(
                select(*FacilitySummary.__table__.columns).order_by(FacilitySummary.facility_id)
            )
        ],
        "bill_days": [
            tuple(row)
            for row in session.execute(
                select(*BillDay.__table__.columns).order_by(BillDay.facility_id, BillDay.day)
            )
        ],
    }


def rebuilt(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """What a rebuild from the base tables gives, without keeping it."""
    session.flush()
    with session.begin_nested() as savepoint:
        rebuild_summaries(session.connection())
        result = summaries(session)
        savepoint.rollback()
    return result


def in_step(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """The summaries as the writes left them; fails unless a rebuild gives the same."""
    session.flush()
    kept = summaries(session)
    assert kept == rebuilt(session)
    return kept


def reading(session: Session, alice: Actor, facility: Facility, seen: str, limit: str) -> None:
    moment = at(seen)
    record_limit_reading(
        session,
        alice,
        facility,
        limit_amount=D(limit),
        available=D(limit),
        status=LimitStatus.ACTIVE,
        observed_at=moment,
        now=moment + timedelta(hours=1),
    )


def bill(
    session: Session, alice: Actor, facility: Facility, due: str, amount: str, **kw: Any
) -> None:
    record_bill(
        session,
        alice,
        facility,
        due_date=date.fromisoformat(due),
        amount=D(amount),
        paid=kw.get("paid", False),
        now=kw.get("seen", at("2026-11-20 09:00")),
    )


def summary_of(session: Session, facility: Facility) -> FacilitySummary:
    found = session.get(FacilitySummary, facility.id, populate_existing=True)
    assert found is not None
    return found


def day_of(session: Session, facility: Facility, day: str) -> BillDay:
    found = session.get(BillDay, (facility.id, date.fromisoformat(day)), populate_existing=True)
    assert found is not None, f"no bill_days row for {day}"
    return found


def test_summaries_follow_every_kind_of_write(session: Session, alice: Actor) -> None:
    """Facility, draws, readings out of order, bills seen twice, repayments and a prepayment."""
    line = jiebei_line(session, alice, at("2026-11-01 09:00"))
    other = jiebei_line(session, alice, at("2026-11-01 09:00"), slug="jiebei-other")
    assert summary_of(session, line).reading_at is None
    assert summary_of(session, line).outstanding == D("0.00")
    in_step(session)

    draw = log_draw(
        session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
    )
    log_draw(session, alice, line, "5000.00", 6, date(2026, 11, 10), now=at("2026-11-10 12:05"))
    log_draw(session, alice, other, "3000.00", 3, date(2026, 11, 12), now=at("2026-11-12 12:00"))
    assert summary_of(session, line).outstanding == D("15000.00")
    first_due = draw.installments[0].due_date.isoformat()
    day = day_of(session, line, first_due)
    assert (day.installments, day.open, day.bills) == (2, 2, 0)
    in_step(session)

    # Newest first, then an older one: the older one becomes "previous" only if it is newer
    # than the previous one already kept.
    reading(session, alice, line, "2026-11-20 09:00", "200000.00")
    reading(session, alice, line, "2026-11-18 09:00", "180000.00")
    reading(session, alice, line, "2026-11-19 09:00", "190000.00")
    kept = summary_of(session, line)
    assert (kept.reading_at, kept.reading_limit) == (at("2026-11-20 09:00"), D("200000.00"))
    assert (kept.previous_at, kept.previous_limit) == (at("2026-11-19 09:00"), D("190000.00"))
    in_step(session)

    expected = day.expected
    bill(session, alice, line, first_due, str(expected))
    bill(session, alice, line, "2027-01-03", "12.34")  # a day with no installments
    day = day_of(session, line, first_due)
    assert (day.bills, day.billed) == (1, expected)
    orphan = day_of(session, line, "2027-01-03")
    assert (orphan.installments, orphan.bills) == (0, 1)
    # Seen paid: the bill was still first seen on 11-20 (when it was seen paid is the bill's).
    bill(session, alice, line, first_due, str(expected), paid=True, seen=at("2026-12-10 09:00"))
    day = day_of(session, line, first_due)
    assert day.billed_seen_at == at("2026-11-20 09:00")
    in_step(session)
    # Corrected, then corrected back: every version counts in `bills`, the current one in
    # `billed`, and the day changed when the last correction was seen.
    bill(session, alice, line, first_due, "1.00", seen=at("2026-12-11 09:00"))
    bill(session, alice, line, first_due, str(expected), seen=at("2026-12-12 09:00"))
    day = day_of(session, line, first_due)
    assert (day.bills, day.billed, day.billed_seen_at) == (3, expected, at("2026-12-12 09:00"))
    in_step(session)

    record_repayment(
        session, alice, line, expected, paid_on=date(2026, 12, 10), now=at("2026-12-10 18:00")
    )
    day = day_of(session, line, first_due)
    assert day.open == 0
    assert summary_of(session, line).outstanding < D("15000.00")
    in_step(session)

    # Early repayment: the unpaid installments are superseded and a new schedule written.
    record_repayment(
        session, alice, line, D("8000.00"), paid_on=date(2026, 12, 20), now=at("2026-12-20 18:00")
    )
    in_step(session)
    session.commit()
    in_step(session)


def test_the_applications_sessions_keep_the_summaries_and_no_other_session_does(
    engine: Engine, alice: Actor
) -> None:
    """Sessions from the application's factory keep the summaries; the hook is on no other."""
    with session_factory(engine)() as session, session.begin():
        line = jiebei_line(session, alice, at("2026-11-01 09:00"))
        log_draw(
            session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
        )
        assert summary_of(session, line).outstanding == D("10000.00")
        line_id = line.id

    with sessionmaker(engine)() as session, session.begin():
        line = session.get_one(Facility, line_id)
        log_draw(session, alice, line, "5000.00", 6, date(2026, 11, 10), now=at("2026-11-10 12:05"))
        assert summary_of(session, line).outstanding == D("10000.00")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migration_fills_the_summaries_for_what_is_already_there(
    kind: str, alice: Actor, tmp_path: Path
) -> None:
    """Upgrading a database that has a ledger gives the summaries a rebuild would."""
    if kind == "postgresql":
        # A database of its own: the test takes it down a migration and back.
        with postgres_database() as url:
            _downgrade_and_upgrade(url, alice)
    else:
        url = f"sqlite:///{tmp_path / 'history.db'}"
        upgrade(url)
        _downgrade_and_upgrade(url, alice)


def _downgrade_and_upgrade(url: str, alice: Actor) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        line = jiebei_line(session, alice, at("2026-11-01 09:00"))
        draw = log_draw(
            session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
        )
        reading(session, alice, line, "2026-11-20 09:00", "200000.00")
        reading(session, alice, line, "2026-11-21 09:00", "150000.00")
        bill(session, alice, line, draw.installments[0].due_date.isoformat(), "899.75")
        bill(session, alice, line, "2027-01-03", "12.34")
        record_repayment(
            session,
            alice,
            line,
            D("899.75"),
            paid_on=date(2026, 12, 10),
            now=at("2026-12-10 18:00"),
        )
    with sessions() as session:
        before = summaries(session)
    assert len(before["facility_summaries"]) == 1
    assert len(before["bill_days"]) == 13
    config = alembic_config(url)
    command.downgrade(config, "0005")
    command.upgrade(config, "head")
    with sessions() as session:
        assert summaries(session) == before
    engine.dispose()


@pytest.mark.postgres
def test_two_writers_on_one_facility_leave_the_newest_reading_in_its_summary(
    postgres_url: str, alice: Actor
) -> None:
    """An older reading committed last must not replace a newer one recorded meanwhile.

    The first transaction records the 11:00 reading and waits before committing; the second
    records 10:00 and commits after it. Each recomputes the summary from the readings it can
    see, so without the lock on the summary the second would write "latest: 10:00".
    """
    engine = make_engine(postgres_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    with sessions() as session, session.begin():
        facility_id = jiebei_line(session, alice, at("2026-11-01 09:00")).id

    first_recorded, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def record(
        seen: str, before_commit: threading.Event | None, after: threading.Event | None
    ) -> None:
        try:
            with sessions() as session, session.begin():
                facility = session.get_one(Facility, facility_id)
                if after is not None:
                    after.wait(10)
                    second_started.set()
                reading(session, alice, facility, seen, "200000.00")
                if before_commit is not None:
                    before_commit.set()
                    second_started.wait(10)
                    # Give the second writer time to reach the summary and wait on its lock.
                    threading.Event().wait(0.5)
        except BaseException as exc:
            errors.append(exc)

    newer = threading.Thread(target=record, args=("2026-11-20 11:00", first_recorded, None))
    older = threading.Thread(target=record, args=("2026-11-20 10:00", None, first_recorded))
    newer.start()
    older.start()
    newer.join(30)
    older.join(30)
    assert errors == []

    with sessions() as session:
        kept = session.get_one(FacilitySummary, facility_id)
        assert (kept.reading_at, kept.previous_at) == (
            at("2026-11-20 11:00"),
            at("2026-11-20 10:00"),
        )
        assert summaries(session) == rebuilt(session)
    engine.dispose()


@pytest.mark.postgres
def test_a_writer_waits_for_one_holding_the_facility_instead_of_deadlocking(
    postgres_url: str, alice: Actor
) -> None:
    """An import holding the facility (FOR UPDATE) and a bill marked paid meanwhile both commit.

    The bill's summary needs the facility; it waits for the import to finish rather than
    holding a lock the import's next write would wait for.
    """
    engine = make_engine(postgres_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    with sessions() as session, session.begin():
        line = jiebei_line(session, alice, at("2026-11-01 09:00"))
        draw = log_draw(
            session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00")
        )
        due = draw.installments[0].due_date.isoformat()
        bill(session, alice, line, due, "899.75")
        slug = line.slug

    import_holds_facility = threading.Event()
    errors: list[BaseException] = []

    def importer() -> None:
        try:
            with sessions() as session, session.begin():
                facility = get_facility(session, slug, for_update=True)
                import_holds_facility.set()
                threading.Event().wait(0.7)  # the bill's writer is waiting on the facility now
                reading(session, alice, facility, "2026-12-02 09:00", "200000.00")
                session.flush()
        except BaseException as exc:
            errors.append(exc)

    def bill_paid() -> None:
        try:
            import_holds_facility.wait(10)
            with sessions() as session, session.begin():
                facility = get_facility(session, slug)
                bill(
                    session, alice, facility, due, "899.75", paid=True, seen=at("2026-12-02 09:00")
                )
                session.flush()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=importer), threading.Thread(target=bill_paid)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with sessions() as session:
        assert summaries(session) == rebuilt(session)
    engine.dispose()


def test_a_rebuild_repairs_summaries_that_drifted(
    session: Session, alice: Actor, engine: Engine
) -> None:
    """Rows written past the ORM (a bulk load) are summarized once the summaries are rebuilt."""
    line = jiebei_line(session, alice, at("2026-11-01 09:00"))
    log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-11-10 12:00"))
    session.flush()
    session.execute(FacilitySummary.__table__.delete())
    session.execute(BillDay.__table__.delete())
    assert summaries(session) == {"facility_summaries": [], "bill_days": []}
    rebuild_summaries(session.connection())
    kept = summaries(session)
    assert len(kept["bill_days"]) == 12
    assert summary_of(session, line).outstanding == D("10000.00")
