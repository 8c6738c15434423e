"""`/loan` answers show times in the zone the alert messages use: the facility's, else
LOANWATCH_TIMEZONE.

The cast: LOANWATCH_TIMEZONE is Asia/Shanghai (CST, UTC+8); hsbc-london is a line whose team
works in Europe/London (GMT in December, UTC+0). The clock says 2026-12-01 02:00 UTC. Bob is on
call, Alice is the treasurer; every request goes signed through the real server.
"""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.admin import open_admin_alert
from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.notices import PLAIN, AlertNotice, what_happened
from bot.audit import Actor
from bot.i18n import PSEUDO
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Alert, Facility, OutboxMessage
from bot.settings import Settings
from tests.support.clock import Clock
from tests.support.pseudo import unmarked
from tests.support.slack_app import ALERTS, ALICE, BOB, CHARLIE, DANA, SlackApp, app_settings


def london_line(sessions: sessionmaker[Session], clock: Clock) -> Facility:
    """hsbc-london: a bank line whose team works in London."""
    with sessions.begin() as session:
        facility = add_facility(
            session,
            Actor("cli:dana", "cli"),
            FacilityTerms(
                slug="hsbc-london",
                platform="hsbc",
                limit_amount=Decimal("500000.00"),
                daily_rate=Decimal("0.0001"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
                alert_channel=ALERTS,
                timezone="Europe/London",
            ),
            now=clock(),
        )
        session.flush()
        session.expunge(facility)
    return facility


def open_alert_on(sessions: sessionmaker[Session], facility_id: int, settings: Settings, now):
    """A bill_missing alert on the facility, as a run of the checks opens it."""
    finding = Finding(
        "bill_missing",
        facility_id,
        "2026-12-10",
        Severity.WARNING,
        "expected 899.75 due 2026-12-10, no bill seen",
        {"Expected": "899.75"},
    )
    with sessions.begin() as session:
        apply_findings(session, [finding], now=now, policy=settings.alert_policy())
        return session.scalars(select(Alert.id)).one()


def last_notice(sessions: sessionmaker[Session], alert_id: int) -> AlertNotice:
    """What the alert's latest message says, as the outbox keeps it for the worker."""
    with sessions() as session:
        row = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.alert_id == alert_id)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).one()
        return AlertNotice.from_payload(row.payload)


def test_a_snooze_answer_shows_the_end_in_the_facilitys_zone_as_its_alert_does(
    app: SlackApp, sessions, settings, clock
) -> None:
    """Bob snoozes a London alert for 4 h: the answer says 06:00 GMT, and so does the alert's
    message; not 14:00 CST, LOANWATCH_TIMEZONE's reading of the same moment."""
    london = london_line(sessions, clock)
    alert_id = open_alert_on(sessions, london.id, settings, clock())

    answer = app.command(f"snooze {alert_id} 4h", user=BOB)

    assert answer.text == f"Alert {alert_id} is snoozed until 2026-12-01 06:00 GMT."
    notice = last_notice(sessions, alert_id)
    assert what_happened(notice, PLAIN) == "snoozed by U0BOB until 2026-12-01 06:00 GMT"


def test_an_ack_answer_says_when_it_expires_in_the_facilitys_zone_as_its_alert_does(
    app: SlackApp, sessions, settings, clock
) -> None:
    """Bob acknowledges a London alert: it expires in 24 h, at 02:00 GMT, in the answer and in
    the alert's message alike."""
    london = london_line(sessions, clock)
    alert_id = open_alert_on(sessions, london.id, settings, clock())

    answer = app.command(f"ack {alert_id}", user=BOB)

    assert answer.text == f"You acknowledged alert {alert_id} until 2026-12-02 02:00 GMT."
    notice = last_notice(sessions, alert_id)
    assert what_happened(notice, PLAIN).endswith("until 2026-12-02 02:00 GMT")


def test_a_facility_silence_ends_in_its_zone_and_a_check_silence_in_loanwatch_timezone(
    app: SlackApp, sessions, clock
) -> None:
    """Alice silences the London line and a check for 2 h: the first ends 04:00 GMT, the
    second, which belongs to no facility, 12:00 CST; the list says the same."""
    london_line(sessions, clock)

    facility = app.command("silence hsbc-london 2h bank maintenance", user=ALICE)
    check = app.command("silence check:data_stale 2h importer down", user=ALICE)
    listed = app.command("silence list", user=CHARLIE)

    assert "until 2026-12-01 04:00 GMT" in facility.text
    assert "until 2026-12-01 12:00 CST" in check.text
    lines = listed.text.splitlines()
    assert "until 2026-12-01 04:00 GMT" in lines[0]
    assert "until 2026-12-01 12:00 CST" in lines[1]


def test_an_alert_on_no_facility_tells_its_times_in_loanwatch_timezone_everywhere(
    app: SlackApp, sessions, settings, clock
) -> None:
    """An admin alert (a check that failed) belongs to no facility: Bob's ack answer and the
    alert's message both say 10:00 CST tomorrow, not UTC."""
    with sessions.begin() as session:
        alert = open_admin_alert(
            session,
            check=Check.CHECK_FAILED,
            fingerprint="check_failed:-:bill_unexpected",
            summary="the check bill_unexpected raised an error",
            facts={"Check": "bill_unexpected"},
            now=clock(),
            policy=settings.alert_policy(),
        )
        session.flush()
        alert_id = alert.id

    answer = app.command(f"ack {alert_id}", user=BOB)

    assert answer.text == f"You acknowledged alert {alert_id} until 2026-12-02 10:00 CST."
    notice = last_notice(sessions, alert_id)
    assert what_happened(notice, PLAIN).endswith("until 2026-12-02 10:00 CST")


def test_status_shows_a_facilitys_latest_reading_in_the_facilitys_zone(
    app: SlackApp, sessions, clock
) -> None:
    """Bob records the London line's limit at 02:00 UTC: `status hsbc-london` says it was seen
    at 02:00 GMT, the time its alerts would give."""
    london_line(sessions, clock)
    app.command("limit hsbc-london 500000 available 500000", user=BOB)

    answer = app.command("status hsbc-london", user=CHARLIE)

    assert "Platform shows (at 2026-12-01 02:00 GMT)" in answer.text


def test_a_chinese_reader_reads_the_snooze_and_ack_times_in_chinese_in_the_facilitys_zone(
    app: SlackApp, slack, sessions, settings, clock
) -> None:
    """Bob reads Chinese: the London alert's snooze ends 12月1日（周二）06:00（GMT） and his ack
    lasts to 12月2日（周三）02:00（GMT）: London's clock, named, since a Chinese reader takes a
    time without its zone to be Beijing's; no English date left."""
    slack.locales[BOB] = "zh-CN"
    london = london_line(sessions, clock)
    alert_id = open_alert_on(sessions, london.id, settings, clock())

    snoozed = app.command(f"snooze {alert_id} 4h", user=BOB).text
    acked = app.command(f"ack {alert_id}", user=BOB).text

    assert snoozed == f"告警 {alert_id} 已暂缓至 12月1日（周二）06:00（GMT）。"
    assert acked == f"你已确认收到告警 {alert_id}，有效至 12月2日（周三）02:00（GMT）。"
    assert "2026-12" not in snoozed + acked


def test_a_silence_and_the_list_show_their_end_in_the_readers_form(
    app: SlackApp, slack, sessions, clock
) -> None:
    """Charlie reads Chinese: the silence Alice adds on the London line ends
    12月1日（周二）04:00（GMT） in `/loan silence list`, as in her answer to Alice, who reads
    English (04:00 GMT)."""
    slack.locales[CHARLIE] = "zh-CN"
    london_line(sessions, clock)

    added = app.command("silence hsbc-london 2h maintenance", user=ALICE).text
    listed = app.command("silence list", user=CHARLIE).text

    assert "until 2026-12-01 04:00 GMT" in added
    assert "12月1日（周二）04:00（GMT）" in listed
    assert "2026-12" not in listed


@pytest.fixture
def pseudo_app(database_url, slack, sessions, clock) -> Iterator[SlackApp]:
    """A workspace in the pseudo-locale; Bob's Slack is ja-JP, so he reads the workspace's."""
    slack.locales[BOB] = "ja-JP"
    settings = app_settings(database_url, slack.api_url, language=PSEUDO)
    with SlackApp.start(settings, sessions, clock=clock) as running:
        yield running


def test_every_time_in_the_alert_answers_goes_through_the_catalogs(
    pseudo_app: SlackApp, sessions, settings, clock
) -> None:
    alert_id = open_alert_on(sessions, london_line(sessions, clock).id, settings, clock())

    said = [
        pseudo_app.command(typed, user=BOB).text
        for typed in (f"snooze {alert_id} 4h", f"ack {alert_id}", "silence list")
    ]

    assert unmarked(said, {"06:00", "02:00"}) == []


def test_removing_a_silence_that_ended_says_when_in_the_readers_form(
    app: SlackApp, slack, sessions, clock
) -> None:
    """Alice silenced the London line for 2 h; three hours later removing it is refused, saying
    when it ended: 2026-12-01 04:00 UTC to an English reader, 12月1日（周二）04:00（UTC） to a
    Chinese one."""
    london_line(sessions, clock)
    app.command("silence hsbc-london 2h maintenance", user=ALICE)
    clock.now += timedelta(hours=3)

    english = app.command("silence remove 1", user=ALICE).text
    slack.locales[DANA] = "zh-CN"
    chinese = app.command("静默 remove 1", user=DANA).text

    assert "silence 1 is not active (it ended 2026-12-01 04:00 UTC)" in english
    assert "静默 1 已不在生效中：已于 12月1日（周二）04:00（UTC） 结束" in chinese
