"""Follow-ups on Alice's clock: counted in Chinese business days, run by `check --at`.

2026's Mid-Autumn Festival is Friday 25 to Sunday 27 September and the National Day holiday runs
from Thursday 1 to Wednesday 7 October, with Saturday 10 October a make-up working day
(chinese_calendar, which bot/calendar.py reads): the last workday before National Day is
Wednesday 30 September, and the last Friday that is a workday before it is 18 September.
Jiebei is reached by email, followed up after 2 business days.
"""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.settings import Settings
from tests.tickets.conftest import ok

SHANGHAI = ZoneInfo("Asia/Shanghai")
MID_AUTUMN_FRIDAY = datetime(2026, 9, 25, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, a holiday
LAST_WORKDAY_BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)  # Wed 16:00


def _ticket(loanwatch) -> dict:
    [ticket] = json.loads(ok(loanwatch("export tickets --format json")))
    return ticket


def _check_at(loanwatch, clock, moment: str) -> str:
    clock.now = datetime.fromisoformat(moment).astimezone(UTC)
    return ok(loanwatch(f"check --at {moment}"))


def _platform_rows(database_url: str) -> list[dict]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.kind == "ticket.platform")
            .order_by(OutboxMessage.id)
        ).all()
    engine.dispose()
    return list(rows)


def test_a_ticket_opened_on_the_mid_autumn_friday_is_chased_around_national_day(
    loanwatch, clock, database_url
) -> None:
    """Opened Fri 25 Sep (a holiday itself): reminded Tue 29 Sep, then Thu 8 Oct (not in Golden
    Week), then Sat 10 Oct (a make-up workday), and overdue after that third follow-up."""
    # Set up on the day the ticket is opened: check --at before the ledger's latest entry
    # would be a replay.
    clock.now = MID_AUTUMN_FRIDAY
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch("ticket open jiebei-main --subject 额度显示为零"))
    assert _ticket(loanwatch)["next_follow_up_at"] == "2026-09-29T01:00:00+00:00"

    _check_at(loanwatch, clock, "2026-09-29T08:59:00+08:00")
    assert _ticket(loanwatch)["follow_ups"] == 0
    out = _check_at(loanwatch, clock, "2026-09-29T09:00:00+08:00")
    assert "reminder" in out
    assert (_ticket(loanwatch)["follow_ups"], _ticket(loanwatch)["next_follow_up_at"]) == (
        1,
        "2026-10-08T01:00:00+00:00",
    )

    for day in ("2026-10-01", "2026-10-04", "2026-10-07"):
        _check_at(loanwatch, clock, f"{day}T12:00:00+08:00")
        assert _ticket(loanwatch)["follow_ups"] == 1, f"reminded during the holiday, on {day}"

    _check_at(loanwatch, clock, "2026-10-08T09:00:00+08:00")
    assert _ticket(loanwatch)["next_follow_up_at"] == "2026-10-10T01:00:00+00:00"
    assert "OVERDUE" not in ok(loanwatch("ticket list"))
    _check_at(loanwatch, clock, "2026-10-10T09:30:00+08:00")
    assert _ticket(loanwatch)["follow_ups"] == 3
    assert "waiting (OVERDUE)" in ok(loanwatch("ticket list"))

    first, *follow_ups = _platform_rows(database_url)
    assert [r["follow_up"] for r in follow_ups] == [1, 2, 3]
    assert {r["thread_event_id"] for r in follow_ups} == {first["event_id"]}
    assert len({r["event_id"] for r in [first, *follow_ups]}) == 4
    assert "这是我方第3次跟进" in follow_ups[-1]["text"]


def test_a_reply_stops_the_follow_ups_and_a_manual_ticket_waits_for_sent(loanwatch, clock) -> None:
    """By hand, nothing is due until `ticket sent`; after a reply nothing is due again."""
    # Set up on the day the ticket is opened (a check before it would be a replay).
    clock.now = MID_AUTUMN_FRIDAY
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("ticket open jiebei-main --subject 额度显示为零"))
    _check_at(loanwatch, clock, "2026-10-12T09:00:00+08:00")
    assert _ticket(loanwatch)["follow_ups"] == 0
    assert "first follow-up due 2026-10-14 09:00 CST" in ok(loanwatch("ticket sent T-1"))
    ok(loanwatch("ticket reply T-1 已收到"))
    _check_at(loanwatch, clock, "2026-10-20T09:00:00+08:00")
    assert (_ticket(loanwatch)["state"], _ticket(loanwatch)["follow_ups"]) == ("answered", 0)


def test_a_ticket_opened_on_the_last_workday_before_national_day_waits_out_the_holiday(
    loanwatch, clock, database_url
) -> None:
    """Opened Wed 30 Sep, the last workday before the holiday: two business days are Thu 8 and
    Fri 9 October, so the first reminder comes on Fri 9 Oct at 09:00, nothing during Golden
    Week nor on the 8th; the next counts the make-up Saturday 10th and Monday 12th."""
    calendar = Settings(_env_file=None).calendar()  # type: ignore[call-arg]
    opened_on = LAST_WORKDAY_BEFORE_NATIONAL_DAY.astimezone(SHANGHAI).date()
    assert calendar.is_business_day(opened_on)
    assert not any(calendar.is_business_day(date(2026, 10, d)) for d in range(1, 8))

    # Set up on the day the ticket is opened: check --at before the ledger's latest entry
    # would be a replay.
    clock.now = LAST_WORKDAY_BEFORE_NATIONAL_DAY
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch("ticket open jiebei-main --subject 额度显示为零"))
    assert _ticket(loanwatch)["next_follow_up_at"] == "2026-10-09T01:00:00+00:00"

    for moment in ("2026-10-01T09:00", "2026-10-05T09:00", "2026-10-07T18:00", "2026-10-08T09:00",
                   "2026-10-09T08:59"):  # fmt: skip
        _check_at(loanwatch, clock, f"{moment}:00+08:00")
        assert _ticket(loanwatch)["follow_ups"] == 0, f"reminded too early, at {moment}"
    out = _check_at(loanwatch, clock, "2026-10-09T09:00:00+08:00")
    assert "reminder" in out
    ticket = _ticket(loanwatch)
    assert (ticket["follow_ups"], ticket["next_follow_up_at"]) == (1, "2026-10-12T01:00:00+00:00")
    _first, follow_up = _platform_rows(database_url)
    assert "这是我方第1次跟进" in follow_up["text"]


def test_a_reopened_email_ticket_is_waiting_and_chased_again(
    loanwatch, clock, database_url
) -> None:
    """Closed, then reopened on Mon 12 Oct: waiting on the platform again with its clock
    restarted, so Wed 14 Oct's check sends follow-up 1 in the first message's thread; a manual
    ticket reopened is to be sent again by hand."""
    # Set up on the day the ticket is opened: check --at before the ledger's latest entry
    # would be a replay.
    clock.now = MID_AUTUMN_FRIDAY
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch("ticket open jiebei-main --subject 额度显示为零"))
    ok(loanwatch("ticket reply T-1 已处理"))
    ok(loanwatch("ticket close T-1 --resolution fixed"))
    clock.now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # Mon 10:00 in Shanghai
    out = ok(loanwatch('ticket reopen T-1 "the limit shows zero again"'))
    assert "T-1 reopened; next follow-up due 2026-10-14 09:00 CST" in out
    ticket = _ticket(loanwatch)
    assert (ticket["state"], ticket["follow_ups"]) == ("waiting", 0)
    _check_at(loanwatch, clock, "2026-10-14T08:59:00+08:00")
    assert _ticket(loanwatch)["follow_ups"] == 0
    assert "reminder" in _check_at(loanwatch, clock, "2026-10-14T09:00:00+08:00")
    assert _ticket(loanwatch)["follow_ups"] == 1
    first, follow_up = _platform_rows(database_url)
    assert (follow_up["follow_up"], follow_up["thread_event_id"]) == (1, first["event_id"])

    ok(loanwatch("platform contact jiebei --via manual"))
    ok(loanwatch("ticket open jiebei-main --subject 账单缺失"))
    ok(loanwatch("ticket sent T-2"))
    ok(loanwatch("ticket close T-2 --resolution fixed"))
    out = ok(loanwatch('ticket reopen T-2 "still missing"'))
    assert "send it again by hand, then `loanwatch ticket sent T-2`" in out
    [_, manual] = json.loads(ok(loanwatch("export tickets --format json")))
    assert (manual["state"], manual["next_follow_up_at"]) == ("open", None)
    assert "first follow-up due" in ok(loanwatch("ticket sent T-2"))
