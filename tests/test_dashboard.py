"""The dashboard is the ledger's own view, read with a session and a clock: what each facility
owes, what falls due in the team's week, and one facility's latest reading."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.dashboard import dashboard
from bot.ledger.observations import record_limit_reading
from bot.ledger.portfolio import positions
from tests.ledger.cast import jiebei_line, log_draw

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-28 00:30 in Shanghai is still the 27th in UTC: "this week" must be Shanghai's.
SHANGHAI_SATURDAY = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


def portfolio(session, alice, now):
    """Jiebei owes 10,000 from a draw whose first installment is due 2026-12-04; the other line
    owes 3,000, first due 2026-11-27."""
    main = jiebei_line(session, alice, now)
    other = jiebei_line(session, alice, now, slug="jiebei-other")
    log_draw(session, alice, main, "10000.00", 12, date(2026, 11, 4), now=now)
    log_draw(session, alice, other, "3000.00", 3, date(2026, 10, 27), now=now)
    session.flush()
    return main, other


def test_the_dashboard_shows_what_the_ledger_says_each_facility_owes(session, alice) -> None:
    """Limit, used and available per facility are the ledger's positions, slug by slug."""
    portfolio(session, alice, SHANGHAI_SATURDAY)

    board = dashboard(session, SHANGHAI_SATURDAY)

    shown = [(p.slug, p.limit_amount, p.outstanding, p.available) for p in board.positions]
    ledger = [
        (p.facility.slug, p.facility.limit_amount, p.outstanding, p.available)
        for p in positions(session)
    ]
    assert shown == ledger
    assert shown[0] == ("jiebei-main", D("200000.00"), D("10000.00"), D("190000.00"))


def test_due_this_week_is_the_next_seven_days_of_the_teams_week(session, alice) -> None:
    """From Saturday the 28th in Shanghai, 4 December is this week and 27 November is past."""
    portfolio(session, alice, SHANGHAI_SATURDAY)

    board = dashboard(session, SHANGHAI_SATURDAY, zone=SHANGHAI)

    assert [(u.due_date, u.slug, u.amount) for u in board.due_this_week] == [
        (date(2026, 12, 4), "jiebei-main", D("899.75"))
    ]


def test_one_facilitys_dashboard_shows_only_it_and_its_latest_reading(session, alice) -> None:
    """The other line's position is left out, and the newer of two readings is shown."""
    main, _ = portfolio(session, alice, SHANGHAI_SATURDAY)
    for hours_ago, limit in ((5, "200000.00"), (1, "150000.00")):
        record_limit_reading(
            session,
            alice,
            main,
            limit_amount=D(limit),
            observed_at=SHANGHAI_SATURDAY - timedelta(hours=hours_ago),
            now=SHANGHAI_SATURDAY,
        )

    board = dashboard(session, SHANGHAI_SATURDAY, facility=main)

    assert [p.slug for p in board.positions] == ["jiebei-main"]
    assert board.latest_reading is not None
    assert board.latest_reading.limit_amount == D("150000.00")
