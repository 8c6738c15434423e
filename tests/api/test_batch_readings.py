"""A batch's limit readings go in together (bot.ledger.limit_batch): each still has the outcome
it would have had posted alone, its audit record, and the checks' summaries follow."""

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select

from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.ledger.summaries import rebuild_summaries
from bot.models import AuditRecord, FacilitySummary, LimitReading
from tests.api.conftest import DANA
from tests.api.test_observations import bill, limit, written
from tests.ledger.cast import log_draw


def summaries(sessions) -> list[tuple]:
    with sessions() as session:
        return [
            (s.facility_id, s.reading_at, s.reading_limit, s.reading_status, s.previous_limit)
            for s in session.scalars(select(FacilitySummary).order_by(FacilitySummary.facility_id))
        ]


def add_huabei(sessions, clock) -> None:
    with sessions.begin() as session:
        add_facility(
            session,
            DANA,
            FacilityTerms(
                slug="huabei-main",
                platform="huabei",
                limit_amount=Decimal("50000.00"),
                daily_rate=Decimal("0.0005"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
            ),
            now=clock(),
        )


def test_the_same_reading_twice_in_one_batch_is_new_then_seen_before(api, jiebei, sessions) -> None:
    answer = api.writer.post([limit(), limit(amount="200000")])
    assert answer.status == 200, answer.body
    assert [r["outcome"] for r in answer.body["results"]] == ["new", "seen_before"]
    assert written(sessions) == (1, 0)


def test_a_different_reading_at_the_same_moment_in_one_batch_is_refused(
    api, jiebei, sessions
) -> None:
    """As if posted one after the other: the second contradicts the first, so nothing is kept."""
    frozen = limit(amount="0.00", available="0.00", status="frozen")
    answer = api.writer.post([limit(), bill(), frozen])
    assert answer.status == 422, answer.body
    assert [p["index"] for p in answer.body["problems"]] == [2]
    reason = answer.body["problems"][0]["reason"]
    assert "observations 0 and 2 of this batch are different readings of jiebei-main" in reason
    assert written(sessions) == (0, 0)


def test_a_reading_that_contradicts_a_stored_one_is_refused(api, jiebei, sessions) -> None:
    assert api.writer.post([limit()]).status == 200
    answer = api.writer.post([limit(observed_at="2026-12-01T09:40:00+08:00"), limit("1.00")])
    assert answer.status == 422, answer.body
    assert [p["index"] for p in answer.body["problems"]] == [1]
    assert written(sessions) == (1, 0)


def test_a_refused_bill_keeps_the_good_readings_out_too(api, jiebei, sessions) -> None:
    answer = api.writer.post(
        [limit(), bill("0.00"), limit(observed_at="2026-12-01T09:40:00+08:00")]
    )
    assert answer.status == 422, answer.body
    assert [p["index"] for p in answer.body["problems"]] == [1]
    assert written(sessions) == (0, 0)


def test_readings_of_two_facilities_in_one_batch_leave_the_summaries_a_rebuild_computes(
    api, jiebei, sessions, clock
) -> None:
    """Several readings of a facility in one batch, out of order: its summary shows the newest
    and the one before it, as the checks would compute from the readings themselves."""
    add_huabei(sessions, clock)
    answer = api.writer.post(
        [
            limit(observed_at="2026-12-01T09:40:00+08:00", amount="180000.00"),
            limit(facility="huabei-main", amount="50000.00", available="1000.00"),
            limit(observed_at="2026-12-01T09:50:00+08:00", amount="0.00", status="frozen"),
            limit(observed_at="2026-12-01T09:20:00+08:00"),
        ]
    )
    assert answer.status == 200, answer.body
    assert answer.body["counts"]["new"] == 4
    kept = summaries(sessions)
    by_facility = {row[0]: row for row in kept}
    assert by_facility[jiebei.id][2:] == (Decimal("0.00"), "frozen", Decimal("180000.00"))
    with sessions.begin() as session:
        rebuild_summaries(session.connection())
    assert summaries(sessions) == kept


def whole_summaries(sessions) -> list[tuple]:
    """Every column of every summary."""
    columns = FacilitySummary.__table__.columns
    with sessions() as session:
        rows = session.execute(select(*columns).order_by(FacilitySummary.facility_id))
        return [tuple(row) for row in rows]


def test_a_batch_of_readings_changes_only_what_the_summary_shows_of_readings(
    api, jiebei, sessions, clock
) -> None:
    """The batch recomputes the newest two readings alone; outstanding principal, the limit and
    when the ledger last moved stay as they were, which is what a rebuild computes too."""
    with sessions.begin() as session:
        log_draw(session, DANA, jiebei, "50000.00", 12, date(2026, 11, 20), now=clock())
    assert api.writer.post([limit(observed_at="2026-12-01T09:10:00+08:00")]).status == 200
    answer = api.writer.post([limit(), limit(observed_at="2026-12-01T09:20:00+08:00")])
    assert answer.status == 200, answer.body
    kept = whole_summaries(sessions)
    (row,) = kept
    assert row[1:3] == (clock().replace(hour=1, minute=30), Decimal("200000.00"))
    assert row[7] == Decimal("50000.00")  # outstanding
    with sessions.begin() as session:
        rebuild_summaries(session.connection())
    assert whole_summaries(sessions) == kept


def test_a_facility_without_a_summary_gets_a_whole_one_from_a_batch_of_readings(
    api, jiebei, sessions, clock
) -> None:
    """A summary lost (rows written past the ORM with no rebuild): the batch writes it anew."""
    with sessions.begin() as session:
        log_draw(session, DANA, jiebei, "50000.00", 12, date(2026, 11, 20), now=clock())
    with sessions.begin() as session:
        session.execute(delete(FacilitySummary))
    add_huabei(sessions, clock)
    answer = api.writer.post([limit(), limit(facility="huabei-main", amount="50000.00")])
    assert answer.status == 200, answer.body
    kept = whole_summaries(sessions)
    assert len(kept) == 2
    with sessions.begin() as session:
        rebuild_summaries(session.connection())
    assert whole_summaries(sessions) == kept


def test_each_reading_of_a_batch_has_its_audit_record(api, jiebei, sessions) -> None:
    answer = api.writer.post([limit(), limit(observed_at="2026-12-01T09:40:00+08:00")])
    assert answer.status == 200, answer.body
    with sessions() as session:
        ids = sorted(str(i) for i in session.scalars(select(LimitReading.id)))
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "limit.add").order_by(AuditRecord.id)
        ).all()
    assert sorted(r.entity_id for r in records) == ids
    assert {r.entity for r in records} == {"limit_readings"}
    assert {r.after["limit_amount"] for r in records} == {"200000.00"}
