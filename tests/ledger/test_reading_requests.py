"""Reading requests in the ledger: the schedule as typed, and the wake-up that asks once per slot.

Dana owns jiebei-main's readings: she is asked at 10:00 Shanghai time on China's working days.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import record_limit_reading
from bot.ledger.reading_requests import READING_REQUEST_KIND, run_reading_requests, set_readings
from bot.ledger.reading_schedule import ReadingSchedule, parse_schedule
from bot.models import AuditRecord, Facility, OutboxMessage, ReadingRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
DANA = "U0DANA"
CALENDAR = BusinessCalendar()


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


# --- the schedule as typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("workdays 10:00", "workdays 10:00"),
        ("Daily 9:05", "daily 09:05"),
        ("thu,mon 09:30", "mon,thu 09:30"),
        ("Mon, Thu  09:30", "mon,thu 09:30"),
    ],
)
def test_a_schedule_is_stored_the_one_way_it_is_shown(typed: str, stored: str) -> None:
    """Case, spaces, a one-digit hour and the order of days do not matter."""
    assert str(parse_schedule(typed)) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("10:00", "is not a schedule; give 'workdays 10:00'"),
        ("weekly 10:00", "'weekly' is not a day"),
        ("workdays", "is not a schedule"),
        ("workdays ten", "has no time of day at the end"),
        ("daily 24:00", "24:00 is not a time of day"),
        ("mon,mon 09:00", "names mon twice"),
        ("mon,,thu 09:00", "'an empty day' is not a day"),
    ],
)
def test_a_schedule_that_is_not_one_is_refused_saying_why(typed: str, says: str) -> None:
    """Each refusal says what was wrong and how to write it."""
    with pytest.raises(InputError, match=None) as refused:
        parse_schedule(typed)
    assert says in str(refused.value)


def test_workdays_skip_holidays_and_keep_make_up_days() -> None:
    """Thursday 2026-10-01 (National Day) is skipped back to Wednesday 09-30; Saturday
    2026-10-10, a make-up working day, is a slot of its own."""
    workdays = ReadingSchedule("workdays", time(10, 0))
    assert workdays.latest_slot(shanghai(2026, 10, 1, 11, 0), SHANGHAI, CALENDAR) == shanghai(
        2026, 9, 30, 10, 0
    )
    assert workdays.latest_slot(shanghai(2026, 10, 10, 10, 0), SHANGHAI, CALENDAR) == shanghai(
        2026, 10, 10, 10, 0
    )


def test_named_days_skip_a_holiday_and_daily_does_not() -> None:
    """`mon,thu` on holiday Monday 2026-10-05: neither it nor Thursday 10-01 (a holiday too) is
    asked, so the latest slot is Monday 09-28's; `daily` asks on the holiday itself."""
    days = parse_schedule("mon,thu 09:30")
    assert days.latest_slot(shanghai(2026, 10, 5, 12, 0), SHANGHAI, CALENDAR) == shanghai(
        2026, 9, 28, 9, 30
    )
    daily = parse_schedule("daily 09:30")
    assert daily.latest_slot(shanghai(2026, 10, 5, 12, 0), SHANGHAI, CALENDAR) == shanghai(
        2026, 10, 5, 9, 30
    )


# --- the owner and the schedule on a facility --------------------------------------------------


@pytest.fixture
def jiebei(session: Session, alice: Actor) -> Facility:
    """jiebei-main, a ¥300,000 Jiebei line in Shanghai."""
    facility = add_facility(
        session,
        alice,
        FacilityTerms(slug="jiebei-main", platform="jiebei", limit_amount=Decimal(300000)),
        now=shanghai(2026, 11, 30, 9, 0),
    )
    session.flush()
    return facility


def test_setting_the_owner_and_schedule_is_audited(session, alice, jiebei) -> None:
    """`facility.readings` records what was and what is."""
    assert set_readings(
        session,
        alice,
        jiebei,
        owner=DANA,
        readings="workdays 10:00",
        now=shanghai(2026, 11, 30, 9, 0),
    )
    [record] = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "facility.readings")
    ).all()
    assert record.before["readings"] is None
    assert (record.after["readings"], record.after["reading_owner"]) == ("workdays 10:00", DANA)


def test_a_schedule_without_an_owner_or_a_bad_owner_is_refused(session, alice, jiebei) -> None:
    """Nobody to ask, or a name instead of a Slack id: refused, nothing set."""
    at = shanghai(2026, 11, 30, 9, 0)
    with pytest.raises(InputError, match="needs someone to ask"):
        set_readings(session, alice, jiebei, owner=None, readings="daily 10:00", now=at)
    with pytest.raises(InputError, match="is not a Slack user id"):
        set_readings(session, alice, jiebei, owner="dana", readings="daily 10:00", now=at)
    assert jiebei.readings is None


# --- the wake-up -------------------------------------------------------------------------------


def _requests(session: Session) -> list[ReadingRequest]:
    return list(session.scalars(select(ReadingRequest).order_by(ReadingRequest.id)))


def _dms(session: Session) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.kind == READING_REQUEST_KIND))
    )


@pytest.fixture
def owned(session, alice, jiebei) -> Facility:
    """Dana is asked at 10:00 on working days, set Monday 2026-11-30 11:00, after that day's
    slot; the platform showed ¥216,689.32 available at 10:04 that day."""
    set_readings(
        session,
        alice,
        jiebei,
        owner=DANA,
        readings="workdays 10:00",
        now=shanghai(2026, 11, 30, 11, 0),
    )
    record_limit_reading(
        session,
        alice,
        jiebei,
        limit_amount=Decimal(300000),
        available=Decimal("216689.32"),
        now=shanghai(2026, 11, 30, 10, 4),
    )
    return jiebei


def test_the_owner_is_asked_at_the_minute_and_once(session, owned) -> None:
    """09:59 nothing; 10:00 one DM to Dana with the last reading; 10:01 nothing more."""
    assert run_reading_requests(session, now=shanghai(2026, 12, 1, 9, 59), calendar=CALENDAR) == []
    asked = shanghai(2026, 12, 1, 10, 0)
    [sent] = run_reading_requests(session, now=asked, calendar=CALENDAR)
    assert (sent.facility, sent.slot, sent.owner) == ("jiebei-main", asked, DANA)
    assert run_reading_requests(session, now=asked + timedelta(minutes=1), calendar=CALENDAR) == []
    [dm] = _dms(session)
    assert dm.channel == DANA
    assert dm.payload["last"] == {
        "limit": "300000.00",
        "available": "216689.32",
        "status": "active",
        "observed_at": shanghai(2026, 11, 30, 10, 4).isoformat(),
    }


def test_a_pause_asks_for_the_latest_slot_only(session, owned) -> None:
    """No run from Monday to Thursday 11:00: one request, Thursday's, not a burst of four."""
    sent = run_reading_requests(session, now=shanghai(2026, 12, 3, 11, 0), calendar=CALENDAR)
    assert [s.slot for s in sent] == [shanghai(2026, 12, 3, 10, 0)]
    assert len(_dms(session)) == 1


def test_no_slot_before_the_schedule_was_set_is_asked(session, alice, jiebei) -> None:
    """Set Tuesday at 11:00 with `workdays 10:00`: nothing that day; Wednesday at 10:00."""
    set_readings(
        session, alice, jiebei, owner=DANA, readings="workdays 10:00", now=shanghai(2026, 12, 1, 11)
    )
    assert run_reading_requests(session, now=shanghai(2026, 12, 1, 12, 0), calendar=CALENDAR) == []
    assert run_reading_requests(session, now=shanghai(2026, 12, 2, 10, 0), calendar=CALENDAR)


def test_a_holiday_asks_nothing(session, alice, jiebei) -> None:
    """Set before National Day: Thursday 2026-10-01 10:00 sends nothing (Wednesday's was sent)."""
    set_readings(
        session, alice, jiebei, owner=DANA, readings="workdays 10:00", now=shanghai(2026, 9, 30, 9)
    )
    assert run_reading_requests(session, now=shanghai(2026, 9, 30, 10, 0), calendar=CALENDAR)
    assert run_reading_requests(session, now=shanghai(2026, 10, 1, 10, 0), calendar=CALENDAR) == []


def test_two_workers_send_one_request(
    sessions: sessionmaker[Session], alice: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second worker that read "not asked yet" before the first committed fails on the
    (facility, slot) key and sends nothing: one row for the slot, one DM."""
    with sessions.begin() as session:
        facility = add_facility(
            session,
            alice,
            FacilityTerms(slug="jiebei-main", platform="jiebei", limit_amount=Decimal(300000)),
            now=shanghai(2026, 11, 30, 9, 0),
        )
        set_readings(
            session,
            alice,
            facility,
            owner=DANA,
            readings="workdays 10:00",
            now=shanghai(2026, 11, 30, 9, 0),
        )
    at = shanghai(2026, 12, 1, 10, 0)
    with sessions.begin() as first:
        assert run_reading_requests(first, now=at, calendar=CALENDAR)
    monkeypatch.setattr("bot.ledger.reading_requests.latest_asked", lambda _: {})
    with sessions.begin() as second:
        assert run_reading_requests(second, now=at, calendar=CALENDAR) == []
    with sessions() as session:
        assert len(_requests(session)) == 1
        assert len(_dms(session)) == 1


def test_the_refusals_of_a_schedule_are_in_the_readers_language(session, alice, jiebei) -> None:
    """A Chinese reader is told in Chinese; under the pseudo-locale nothing bypasses the
    catalogs."""
    from bot.i18n import PSEUDO, ZH, use
    from tests.support.pseudo import unmarked

    at = shanghai(2026, 11, 30, 9, 0)
    with use(ZH), pytest.raises(InputError) as nobody:
        set_readings(session, alice, jiebei, owner=None, readings="daily 10:00", now=at)
    with use(ZH), pytest.raises(InputError) as name:
        set_readings(session, alice, jiebei, owner="dana", readings="daily 10:00", now=at)
    assert str(nobody.value) == (
        "设置额度读数计划须指定向谁询问：请用 --owner U… 为 jiebei-main 指定负责人"
    )
    assert str(name.value).startswith("负责人 'dana' 不是 Slack 用户 ID（形如 U0123ABCD）")
    for owner in (None, "dana"):
        with use(PSEUDO), pytest.raises(InputError) as refused:
            set_readings(session, alice, jiebei, owner=owner, readings="daily 10:00", now=at)
        allowed = {"jiebei-main", "dana", "owner", "U0123ABCD", "Slack"}
        assert unmarked([str(refused.value)], allowed=allowed) == []
