"""The digest's numbers are the ledger's: each is computed again here from the stored schedule
(the installments a draw implied) and the draws themselves, not from the digest's own code."""

import re
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.digest.cashflow import Cashflow, cashflow
from bot.digest.numbers import Digest, FacilityLine, build_digest, concentration
from bot.digest.text import concentration_single, digest_text, section_lines
from bot.errors import InputError
from bot.ledger.facilities import get_facility
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.ledger.portfolio import position_lines
from bot.models import Draw, Facility, Installment, LimitReading
from bot.settings import Settings
from jobs.cycle import run_check_cycle
from tests.digest.conftest import ALICE, MONDAY_NINE, _draw, _facility

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)


def _ledger(session):
    """(facility slug → limit, principal drawn), and every unpaid installment, from the tables."""
    facilities = {f.id: f for f in session.scalars(select(Facility))}
    drawn: dict[str, Decimal] = defaultdict(Decimal)
    for draw in session.scalars(select(Draw)):
        drawn[facilities[draw.facility_id].slug] += draw.amount
    installments = [
        (facilities[i.facility_id].slug, i)
        for i in session.scalars(select(Installment).where(Installment.status == "scheduled"))
    ]
    return {f.slug: f.limit_amount for f in facilities.values()}, drawn, installments


def _measured_limits(session, limits):
    """Slug → the lower of the configured limit and the latest reading's (issue 11's rule)."""
    latest = {}
    for reading in session.scalars(select(LimitReading).order_by(LimitReading.observed_at)):
        latest[reading.facility_id] = reading.limit_amount
    slugs = {f.id: f.slug for f in session.scalars(select(Facility))}
    shown = {slugs[fid]: limit for fid, limit in latest.items()}
    return {slug: min(limit, shown.get(slug, limit)) for slug, limit in limits.items()}


def test_each_facility_shows_the_ledgers_limit_used_available_and_utilization(
    portfolio, session
) -> None:
    """Used is the principal drawn (nothing repaid yet); available and utilization follow,
    against the lower of the configured and the shown limit (jiebei-backup shows 0: frozen)."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)
    configured, drawn, _ = _ledger(session)
    limits = _measured_limits(session, configured)

    shown = {f.slug: (f.limit, f.used, f.available, f.utilization) for f in digest.facilities}
    expected = {
        slug: (
            limit,
            drawn[slug],
            max(limit - drawn[slug], Decimal(0)),
            (drawn[slug] * 100 / limit).quantize(Decimal("0.1"), ROUND_HALF_UP) if limit else None,
        )
        for slug, limit in limits.items()
    }
    assert shown == expected
    assert shown["jiebei-main"] == (
        Decimal("200000.00"),
        Decimal("60000.00"),
        Decimal("140000.00"),
        Decimal("30.0"),
    )
    # Most used first: the line a treasurer looks at first is on top.
    assert digest.facilities[0].slug == "jiebei-main"


def test_bills_due_in_the_next_seven_days_are_the_schedules_installments(
    portfolio, session
) -> None:
    """Every unpaid installment due up to six days on, with its amount, soonest first: those
    past their due date and still unpaid too (money still owed)."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)
    _, _, installments = _ledger(session)

    week = [
        (i.due_date, slug, i.amount)
        for slug, i in installments
        if i.due_date < TODAY + timedelta(days=7)
    ]
    assert [(u.due_date, u.slug, u.amount) for u in digest.due] == sorted(week)
    assert digest.due, "the fixture has installments due this week"


def test_open_alerts_come_by_severity_then_money_at_risk_largest_first(portfolio, session) -> None:
    """Critical before warning; within each, the most money at risk first; the money is the
    ledger's: a missing bill's installment amount, a frozen line's undrawn limit."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)
    limits, drawn, installments = _ledger(session)

    severities = [a.severity for a in digest.alerts]
    assert severities == sorted(severities, key=["critical", "warning"].index)
    for severity in ("critical", "warning"):
        risks = [a.at_risk for a in digest.alerts if a.severity == severity]
        assert risks == sorted(risks, reverse=True)
    frozen = next(a for a in digest.alerts if a.check == "limit_frozen")
    # A freeze shows a limit of 0, which is not a limit: the credit it withholds is the undrawn.
    assert frozen.at_risk == limits["jiebei-backup"] - drawn["jiebei-backup"]
    missing = next(
        a for a in digest.alerts if a.check == "bill_missing" and a.facility == "jiebei-main"
    )
    due_that_day = sum(
        i.amount
        for slug, i in installments
        if slug == "jiebei-main" and i.due_date == date(2026, 12, 10)
    )
    assert missing.at_risk == due_that_day == Decimal("4498.77")


def test_tickets_waiting_on_a_platform_are_listed(portfolio, session) -> None:
    """T-1, sent to Jiebei by hand, is waiting on Jiebei."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)

    assert [(t.label, t.facility, t.platform) for t in digest.tickets] == [
        ("T-1", "jiebei-main", "jiebei")
    ]


def test_concentration_warns_when_one_platform_holds_more_than_the_threshold(
    portfolio, session
) -> None:
    """Jiebei lends 70,000 of the 90,000 outstanding: 77.8 %, above 60 %; ICBC 22.2 % is not."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI, concentration_percent=60)
    _, drawn, _ = _ledger(session)
    total = sum(drawn.values())
    jiebei = drawn["jiebei-main"] + drawn["jiebei-backup"]

    shares = {s.platform: (s.outstanding, s.share, s.over) for s in digest.concentration}
    assert shares == {
        "jiebei": (jiebei, (jiebei * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP), True),
        "icbc": (drawn["icbc-loan"], Decimal("22.2"), False),
    }
    relaxed = build_digest(session, MONDAY_NINE, zone=SHANGHAI, concentration_percent=80)
    assert not any(s.over for s in relaxed.concentration)


def test_a_channels_digest_covers_only_the_facilities_that_post_there(portfolio, session) -> None:
    """#finance gets ICBC's line alone: its numbers, its alerts, no Jiebei ticket."""
    icbc = session.scalar(select(Facility).where(Facility.slug == "icbc-loan"))
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI, facility_ids={icbc.id})

    assert [f.slug for f in digest.facilities] == ["icbc-loan"]
    assert {a.facility for a in digest.alerts} == {"icbc-loan"}
    assert digest.tickets == []
    assert {line.facility for line in digest.cashflow.lines} == {"icbc-loan"}


def test_the_cash_flow_sums_each_weeks_installments_by_facility(portfolio, session) -> None:
    """13 Mondays from this week's; per week and facility the installments' principal, interest
    and amount; the available credit grows by the principal repaid."""
    flow = cashflow(session, TODAY, weeks=13, positions=position_lines(session))
    limits, drawn, installments = _ledger(session)

    mondays = [TODAY + timedelta(weeks=n) for n in range(13)]
    assert flow.weeks == mondays
    expected: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for slug, i in installments:
        # An installment past due and unpaid is owed now: in this week's.
        monday = max(i.due_date - timedelta(days=i.due_date.weekday()), mondays[0])
        if monday <= mondays[-1]:
            sums = expected[(monday, slug)]
            sums[0] += i.principal
            sums[1] += i.interest
            sums[2] += i.amount
    assert {
        (line.week_start, line.facility): [line.principal, line.interest, line.amount]
        for line in flow.lines
    } == dict(expected)
    measured = _measured_limits(session, limits)
    repaid: dict[str, Decimal] = defaultdict(Decimal)
    for (_, slug), sums in expected.items():
        repaid[slug] += sums[0]
    assert flow.available[-1] == sum(
        max(measured[s] - (drawn[s] - repaid[s]), Decimal(0)) for s in limits
    )
    assert flow.available == sorted(flow.available), "repaying only ever frees credit"


def test_a_cash_flow_of_no_weeks_is_refused(portfolio, session) -> None:
    """Zero weeks, or more than two years of them, is bad input."""
    for weeks in (0, 105):
        with pytest.raises(InputError, match="--weeks"):
            cashflow(session, TODAY, weeks=weeks, positions=[])


def test_an_overdue_unpaid_installment_is_in_the_cash_sections_as_overdue(
    portfolio, session
) -> None:
    """icbc-loan's 2026-11-12 installment (¥1,799.51) is unpaid, weeks past due: it leads the
    bills due, marked overdue, and is in this week's cash flow as overdue, with its amount."""
    digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)

    assert (digest.due[0].due_date, digest.due[0].slug, digest.due[0].amount) == (
        date(2026, 11, 12),
        "icbc-loan",
        Decimal("1799.51"),
    )
    [this_week] = [
        line
        for line in digest.cashflow.lines
        if line.week_start == TODAY and line.facility == "icbc-loan"
    ]
    assert this_week.overdue == Decimal("1799.51")
    # With the 12-12 installment due this Saturday: both are this week's.
    assert this_week.amount == Decimal("3599.02")
    text = digest_text(digest)
    assert "2026-11-12 icbc-loan: ¥1,799.51 overdue" in text
    # Every amount of the week's cash-flow line in one format, the money formatter's.
    money = r"¥[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}"
    week = (
        rf"  {TODAY.isoformat()}: due {money} \(of which ¥1,799\.51 overdue\), "
        rf"available after {money}"
    )
    assert re.search(rf"^{week}$", text, re.MULTILINE), text


def test_a_cut_limit_is_the_one_the_digest_the_money_at_risk_and_the_chart_use(
    sessions, database_url
) -> None:
    """jiebei-cut is configured at ¥540,000 with ¥100,000 drawn; the platform now shows
    ¥324,000. The digest says limit ¥324,000 and available ¥224,000 (not ¥440,000), the
    limit_dropped alert puts ¥224,000 at risk, and the chart's available credit never climbs
    above the cut limit: once everything is repaid it is ¥324,000, not ¥540,000."""
    settings = Settings(_env_file=None, DATABASE_URL=database_url)
    with transaction(sessions) as session:
        _facility(session, "jiebei-cut", "jiebei", "540000.00")
        _draw(session, "jiebei-cut", "100000.00", date(2026, 11, 10), 3)
        record_limit_reading(
            session, ALICE, get_facility(session, "jiebei-cut"),
            limit_amount=Decimal("324000.00"), available=Decimal("224000.00"),
            status=LimitStatus.ACTIVE, now=MONDAY_NINE,
        )  # fmt: skip
    with transaction(sessions) as session:
        run_check_cycle(session, now=MONDAY_NINE, settings=settings, calendar=settings.calendar())
    with transaction(sessions) as session:
        digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI, weeks=26)

    [line] = digest.facilities
    assert (line.limit, line.available, line.utilization) == (
        Decimal("324000.00"), Decimal("224000.00"), Decimal("30.9"),
    )  # fmt: skip
    assert "limit ¥324,000.00 · used ¥100,000.00 · available ¥224,000.00" in digest_text(digest)
    [dropped] = [a for a in digest.alerts if a.check == "limit_dropped"]
    assert dropped.at_risk == Decimal("224000.00")
    assert max(digest.cashflow.available) == digest.cashflow.available[-1] == Decimal("324000.00")


def test_a_limit_cut_below_what_is_owed_leaves_nothing_available(sessions, database_url) -> None:
    """Shown ¥50,000 against ¥100,000 owed: available ¥0.00 in the digest and on the chart
    until enough is repaid, never a negative amount."""
    with transaction(sessions) as session:
        _facility(session, "jiebei-cut", "jiebei", "540000.00")
        _draw(session, "jiebei-cut", "100000.00", date(2026, 11, 10), 3)
        record_limit_reading(
            session, ALICE, get_facility(session, "jiebei-cut"),
            limit_amount=Decimal("50000.00"), available=Decimal("0.00"),
            status=LimitStatus.ACTIVE, now=MONDAY_NINE,
        )  # fmt: skip
    with transaction(sessions) as session:
        digest = build_digest(session, MONDAY_NINE, zone=SHANGHAI)

    assert digest.facilities[0].available == Decimal("0.00")
    assert digest.cashflow.available[0] == Decimal("0.00")
    assert min(digest.cashflow.available) >= 0


def _owed(platform: str, amount: str, currency: str = "CNY") -> FacilityLine:
    return FacilityLine(
        platform, platform, platform, currency, Decimal("1000000.00"), Decimal(amount)
    )


def _empty_digest() -> Digest:
    return Digest(
        as_of=MONDAY_NINE, day=TODAY, channel=None, facilities=[], due=[], alerts=[],
        tickets=[], concentration=[], concentration_percent=60,
        cashflow=Cashflow([], [], "CNY", []),
    )  # fmt: skip


def test_concentration_is_ordered_by_the_amount_owed_not_the_rounded_share() -> None:
    """zz-bank lends ¥1,000.01 and aa-bank ¥1,000.00: both round to 50.0 %, and the larger
    lender comes first."""
    shares = concentration([_owed("aa-bank", "1000.00"), _owed("zz-bank", "1000.01")], 60)

    assert [(s.platform, s.share) for s in shares] == [
        ("zz-bank", Decimal("50.0")),
        ("aa-bank", Decimal("50.0")),
    ]


def test_a_single_platform_is_one_warning_that_all_credit_is_there() -> None:
    """Everything owed is at Jiebei: the digest says so once, in words, not "100.0 % ⚠ above
    60 %"."""
    digest = replace(
        _empty_digest(),
        concentration=concentration([_owed("jiebei", "70000.00")], 60),
    )

    lines = section_lines(digest)["concentration"]

    assert lines == [concentration_single("jiebei", "¥70,000.00")]
    assert "100.0 %" not in lines[0]
    assert "above" not in lines[0]
    assert lines[0].count("⚠") == 1
