"""`loanwatch check`, `alert` and `silence` as Alice uses them, on SQLite and PostgreSQL.

The cast: Alice runs the commands; Bravo is a delivery worker running beside them on the real
clock, delivering to a fake Slack (#loan-alerts, C0ALERTS) as Alice's commands do.
"""

import json
import logging
import shlex
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.clock import utcnow
from bot.db import transaction
from bot.ledger.observations import LimitStatus, record_limit_reading
from bot.models import OutboxMessage
from jobs.checks import CHECKS
from jobs.delivery import DeliveryWorker
from jobs.transports.slack import SlackTransport
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line
from tests.support.fake_slack import FakeSlack, Fault

ALERTS = "C0ALERTS"


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    """Run a loanwatch command line against the test database; returns (status, out, err)."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _alerts(loanwatch) -> list[dict]:
    status, out, _ = loanwatch("export alerts --format json")
    assert status == 0
    return json.loads(out)


def test_a_frozen_line_is_alerted_acknowledged_and_resolved_when_it_thaws(
    loanwatch, terminal_clock
) -> None:
    """Frozen reading → a critical alert → Alice acks → a healthy reading resolves it (on a
    December morning of a year whose holidays loanwatch knows)."""
    assert loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")[0] == 0
    assert loanwatch("limit add jiebei-main 0 --status frozen")[0] == 0

    status, out, _ = loanwatch("check")
    assert status == 0
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "1 opened" in out
    [alert] = _alerts(loanwatch)
    assert (alert["check"], alert["state"], alert["severity"]) == (
        "limit_frozen",
        "open",
        "critical",
    )

    status, out, _ = loanwatch(f"alert ack {alert['id']}")
    assert (status, out.strip()) == (0, f"alert {alert['id']} acknowledged by cli:alice")
    assert _alerts(loanwatch)[0]["acknowledged_by"] == "cli:alice"

    status, out, _ = loanwatch("check")
    assert "1 still firing" in out

    terminal_clock.advance(hours=1)
    assert loanwatch("limit add jiebei-main 200,000 --available 200,000")[0] == 0
    status, out, _ = loanwatch("check")
    assert "1 resolved" in out
    assert _alerts(loanwatch)[0]["state"] == "resolved"


def test_a_silence_keeps_a_new_alert_off_the_console(loanwatch) -> None:
    """During a facility's maintenance silence, the alert is recorded but nobody is told."""
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    status, out, _ = loanwatch('silence add --facility jiebei-main --for 2h --reason "maintenance"')
    assert status == 0
    assert "until" in out
    loanwatch("limit add jiebei-main 0 --status frozen")

    status, out, _ = loanwatch("check")
    assert "CRITICAL" not in out
    assert "1 silenced" in out
    assert _alerts(loanwatch)[0]["state"] == "open"
    assert "maintenance" in loanwatch("silence list")[1]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("alert ack 999", "999"),
        ("alert snooze 1 forever", "forever"),
        ('alert resolve 1 --reason ""', "reason"),
        ('silence add --for 2h --reason "x"', "exactly one of"),
        ('silence add --check no_such_check --for 2h --reason "x"', "no_such_check"),
        ("check --at yesterday", "not a time"),
        ("check --at 2026-13-01", 'as-of time "2026-13-01": 2026-13-01 is not a date'),
        ("check --at 0001-01-01T00:00", "is outside the dates loanwatch keeps"),
        ("check --at 2100-12-31T23:59-12:00", "(2101-01-01 19:59 in Asia/Shanghai) is outside"),
        ("check --at 2000-01-01T00:30+14:00", "(1999-12-31 18:30 in Asia/Shanghai) is outside"),
        ("alert ack ²", "not an alert id"),
        ("alert ack 99999999999", "not an alert id"),
        ("alert snooze ٣ 4h", "not an alert id"),
        ("alert resolve ² --reason paid", "not an alert id"),
        ("silence remove ²", "not a silence id"),
        ("silence remove 99999999999", "not a silence id"),
    ],
)
def test_bad_alert_commands_exit_2_with_one_line_and_change_nothing(loanwatch, command, message):
    """Unknown alerts, bad durations, blank reasons and unscoped silences are refused cleanly."""
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    loanwatch("check")
    before = loanwatch("export audit")[1]

    status, _, err = loanwatch(command)

    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("loanwatch: error:")
    assert message in err
    assert loanwatch("export audit")[1] == before


def test_a_failing_check_still_delivers_the_rest_and_exits_1(
    loanwatch, monkeypatch, caplog, terminal_clock
):
    """bill_unexpected raises: the frozen line's alert still goes out, the admins are told which
    check failed, the summary names it, the log has its traceback, and the exit status is 1 (on
    a December morning of a year whose holidays loanwatch knows)."""

    def broken_check(session, *_args):
        session.execute(text("SELECT * FROM no_such_table"))
        return []

    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    monkeypatch.setitem(CHECKS, "bill_unexpected", broken_check)

    with caplog.at_level(logging.ERROR, logger="jobs.checks"):
        status, out, _ = loanwatch("check")

    assert status == 1
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "CRITICAL: check_failed" in out
    assert out.strip().splitlines()[-1].endswith("; checks failed: bill_unexpected")
    assert "no_such_table" in caplog.text
    assert [a["check"] for a in _alerts(loanwatch)] == ["limit_frozen", "check_failed"]


# --- `check --at`: the moment evaluated is not the delivery clock ---------------------------------


@pytest.fixture
def slack(monkeypatch) -> Iterator[FakeSlack]:
    """A fake Slack that the CLI delivers to: every alert its own message in #loan-alerts."""
    with FakeSlack() as fake:
        fake.add_channel(ALERTS, "loan-alerts")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", ALERTS)
        monkeypatch.setenv("LOANWATCH_STORM_THRESHOLD", "1000")
        yield fake


def frozen_lines(sessions: sessionmaker[Session], count: int, seen_at: datetime) -> None:
    """`count` Jiebei lines whose platform showed them frozen (limit 0) at `seen_at`."""
    with transaction(sessions) as session:
        for n in range(count):
            facility = jiebei_line(session, ALICE, seen_at - timedelta(days=1), slug=f"jiebei-{n}")
            record_limit_reading(
                session,
                ALICE,
                facility,
                limit_amount=Decimal("0"),
                status=LimitStatus.FROZEN,
                now=seen_at,
                observed_at=seen_at,
            )


def bravo(sessions: sessionmaker[Session], slack: FakeSlack, **options) -> DeliveryWorker:
    """A worker on the real clock (unless told otherwise) delivering to the same fake Slack."""
    transport = SlackTransport(
        "xoxb-test", slack.api_url, retry_interval=FixedValueRetryIntervalCalculator(0.0)
    )
    return DeliveryWorker(sessions, transport, worker_id="bravo", **options)


def posts_per_alert(slack: FakeSlack) -> Counter[int]:
    """How many top-level messages #loan-alerts shows for each alert id."""
    return Counter(
        m.metadata["event_payload"]["alert_id"] for m in slack.messages(ALERTS) if m.metadata
    )


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_check_at_a_past_moment_posts_each_alert_once_beside_a_running_worker(
    loanwatch, sessions, slack
) -> None:
    """`check --at` yesterday: its claims run on the real clock, so Bravo takes none of them."""
    before = utcnow()
    frozen_lines(sessions, 10, seen_at=before - timedelta(days=2))
    bravo_found: list[bool] = []
    stepped_in: list[str] = []

    def bravo_steps_in_while_alice_posts(method: str) -> Fault | None:
        if method == "chat.postMessage" and not stepped_in:
            stepped_in.append(method)
            bravo_found.append(bravo(sessions, slack).step())
        return None

    slack.faults = bravo_steps_in_while_alice_posts
    at = (before - timedelta(days=1)).isoformat()

    status, _, err = loanwatch(f"check --at {at}")
    after = utcnow()

    assert status == 0, err
    rows = outbox_rows(sessions)
    assert len(rows) >= 10  # each frozen line at least limit_frozen
    assert bravo_found == [False]  # nothing Alice's check claimed looked abandoned to Bravo
    assert posts_per_alert(slack) == Counter({row.alert_id: 1 for row in rows})
    for row in rows:
        assert row.state == "sent"
        assert before <= row.created_at <= row.next_attempt_at <= after
        assert row.sent_at is not None
        assert before <= row.sent_at <= after


def test_check_at_a_future_moment_while_slack_is_down_retries_on_the_real_clock(
    loanwatch, sessions, slack, monkeypatch
) -> None:
    """`check --at` next month, Slack down: retries are due in seconds, not next month."""
    monkeypatch.setenv("LOANWATCH_DELIVERY_BACKOFF_SECONDS", "1")
    monkeypatch.setenv("LOANWATCH_DELIVERY_BACKOFF_MAX_SECONDS", "1")
    before = utcnow()
    frozen_lines(sessions, 3, seen_at=before - timedelta(days=2))
    slack.faults = lambda method: Fault(500) if method == "chat.postMessage" else None
    at = (before + timedelta(days=30)).isoformat()

    status, _, err = loanwatch(f"check --at {at}")
    after = utcnow()

    assert status == 0, err
    rows = outbox_rows(sessions)
    assert rows
    assert slack.messages(ALERTS) == []
    for row in rows:
        assert (row.state, row.last_error is not None) == ("pending", True)
        assert before <= row.created_at <= after
        assert row.next_attempt_at <= after + timedelta(seconds=1)
    # Alice acknowledges one alert meanwhile: its update queues behind the alert's first post.
    assert loanwatch(f"alert ack {rows[0].alert_id}")[0] == 0

    slack.faults = None
    a_moment_later = bravo(sessions, slack, clock=lambda: utcnow() + timedelta(seconds=2))
    while a_moment_later.step():
        pass

    rows = outbox_rows(sessions)
    assert [row.state for row in rows] == ["sent"] * len(rows)
    assert posts_per_alert(slack) == Counter({row.alert_id: 1 for row in rows[:-1]})
    (acked,) = [
        m
        for m in slack.messages(ALERTS)
        if m.metadata["event_payload"]["alert_id"] == rows[0].alert_id
    ]
    assert "Acknowledged by" in str(acked.blocks)


# --- `check --at` before the latest run: a replay that changes nothing -----------------------


def a_line_that_shrank_then_froze(sessions: sessionmaker[Session], now: datetime) -> None:
    """Jiebei-main, set up four days ago: ¥200,000 three days ago, cut to ¥100,000 two days ago,
    frozen yesterday."""
    readings = [("200000", "200000", LimitStatus.ACTIVE, 3), ("100000", "100000", None, 2)]
    readings.append(("0", "0", LimitStatus.FROZEN, 1))
    with transaction(sessions) as session:
        line = jiebei_line(session, ALICE, now - timedelta(days=4))
        for limit, available, status, days_ago in readings:
            seen_at = now - timedelta(days=days_ago)
            record_limit_reading(
                session,
                ALICE,
                line,
                limit_amount=Decimal(limit),
                available=Decimal(available),
                status=status or LimitStatus.ACTIVE,
                now=seen_at,
                observed_at=seen_at,
            )


def test_check_at_a_moment_before_the_latest_check_is_a_replay_that_changes_nothing(
    loanwatch, sessions
) -> None:
    """Alice checks now (the line is frozen), then replays two days ago: the replay prints what
    the checks found then (the limit cut, not the freeze) and says it changed nothing; the
    freeze's alert stays open, and no alert, notification or audit record is written."""
    now = utcnow()
    a_line_that_shrank_then_froze(sessions, now)
    assert loanwatch("check")[0] == 0
    alerts, audit = _alerts(loanwatch), loanwatch("export audit")[1]
    outbox = [(row.id, row.state) for row in outbox_rows(sessions)]
    assert "limit_frozen" in [a["check"] for a in alerts]

    then = (now - timedelta(days=2) + timedelta(hours=1)).isoformat()
    status, out, _ = loanwatch(f"check --at {then}")

    assert status == 0
    head, *found = out.strip().splitlines()
    assert head.startswith(f"replay as of {then}, before the latest check (as of ")
    assert "nothing was changed" in head
    assert any("limit_dropped" in line and "jiebei-main" in line for line in found)
    assert not any("limit_frozen" in line for line in found)
    assert _alerts(loanwatch) == alerts
    assert loanwatch("export audit")[1] == audit
    assert [(row.id, row.state) for row in outbox_rows(sessions)] == outbox


def test_check_at_before_the_latest_entry_is_a_replay_when_no_check_ever_ran(
    loanwatch, sessions
) -> None:
    """No check has run yet; Alice asks as of two days ago, before the freeze was recorded
    (yesterday): a replay, which says so and changes nothing. The next real check still opens
    the freeze's alert."""
    now = utcnow()
    a_line_that_shrank_then_froze(sessions, now)
    audit = loanwatch("export audit")[1]
    then = (now - timedelta(days=2) + timedelta(hours=1)).isoformat()

    status, out, _ = loanwatch(f"check --at {then}")

    assert status == 0
    head, *found = out.strip().splitlines()
    assert head.startswith(f"replay as of {then}, before the latest entry (recorded ")
    assert any("limit_dropped" in line and "jiebei-main" in line for line in found)
    assert _alerts(loanwatch) == []
    assert loanwatch("export audit")[1] == audit
    assert outbox_rows(sessions) == []
    assert loanwatch("check")[0] == 0
    assert "limit_frozen" in [a["check"] for a in _alerts(loanwatch)]


def test_check_at_after_everything_recorded_is_real_when_no_check_ever_ran(
    loanwatch, sessions
) -> None:
    """No check has run yet; a check as of an hour from now, after every entry, is real: the
    freeze's alert opens."""
    now = utcnow()
    a_line_that_shrank_then_froze(sessions, now)

    status, out, _ = loanwatch(f"check --at {(now + timedelta(hours=1)).isoformat()}")

    assert status == 0
    assert out.strip().splitlines()[-1].startswith("checked at ")
    assert "limit_frozen" in [a["check"] for a in _alerts(loanwatch)]


def test_a_plain_check_after_a_check_at_next_month_is_real(loanwatch, sessions) -> None:
    """A check run as of next month (as the demo and tests drive time) does not make the plain
    `check` after it a replay: the frozen line's alert opens, for real."""
    now = utcnow()
    a_line_that_shrank_then_froze(sessions, now - timedelta(days=10))
    assert loanwatch(f"check --at {(now + timedelta(days=30)).isoformat()}")[0] == 0
    assert loanwatch("limit add jiebei-main 0 --status frozen")[0] == 0

    status, out, _ = loanwatch("check")

    assert status == 0
    assert out.strip().splitlines()[-1].startswith("checked at ")
    assert [a["state"] for a in _alerts(loanwatch) if a["check"] == "limit_frozen"] == ["open"]


def test_snooze_says_until_when_as_slack_does_in_local_time_to_the_minute(
    loanwatch, terminal_clock
) -> None:
    """Snoozed at 10:00 (Shanghai) for 1h: "until 2026-12-01 11:00 CST", as /loan snooze says,
    not an ISO time in UTC with microseconds."""
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    loanwatch("check")
    [alert] = _alerts(loanwatch)

    status, out, _ = loanwatch(f"alert snooze {alert['id']} 1h")

    assert (status, out.strip()) == (0, f"alert {alert['id']} snoozed until 2026-12-01 11:00 CST")


def test_check_at_before_a_check_that_found_nothing_is_a_replay(
    loanwatch, terminal_clock, monkeypatch
) -> None:
    """Alice drew on 07-01 and repaid it all the next day. A check as of 10-16 finds nothing
    and so touches no alert; a check as of 08-03 after it (and after every entry) is still a
    replay: it names the 10-16 check as the latest and changes nothing (a real run as of a past
    moment would open and resolve alerts for the past state). No readings: the freshness window
    is longer than the test."""
    monkeypatch.setenv("LOANWATCH_STALE_AFTER_HOURS", "100000")
    terminal_clock.now = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    assert loanwatch("facility add jb --platform jiebei --limit 100000 --daily-rate 0.05%")[0] == 0
    assert loanwatch("draw add jb 10000 --months 1 --on 2026-07-01")[0] == 0
    terminal_clock.now = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
    status, out, err = loanwatch("repay add jb 10005 --on 2026-07-02")
    assert status == 0, out + err
    status, out, _ = loanwatch("check --at 2026-10-16T10:30+08:00")
    assert status == 0
    assert ": 0 findings; alerts 0 opened" in out
    audit = loanwatch("export audit")[1]

    status, out, _ = loanwatch("check --at 2026-08-03T10:30+08:00")

    assert status == 0
    head = out.strip().splitlines()[0]
    assert head.startswith(
        "replay as of 2026-08-03T10:30:00+08:00, before the latest check "
        "(as of 2026-10-16T10:30:00+08:00)"
    ), out
    assert _alerts(loanwatch) == []
    assert loanwatch("export audit")[1] == audit
