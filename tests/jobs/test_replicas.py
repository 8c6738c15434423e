"""Many replicas, proven: two `loanwatch web` and two `loanwatch worker` on one PostgreSQL.

The day is compressed onto the real clock. The four processes are real subprocesses and no fake
clock crosses a process boundary (the product has no test hook for one, on purpose), so the
day's events are those whose outcome does not depend on the time of day: limit readings that
show a line frozen, posted through the ingest API and turned into critical alerts by the
workers' prompt checks within seconds; `/loan status` and `/loan draw` typed by Alice;
Bob's clicks on Acknowledge; and the clock-driven check cycle, every minute
(LOANWATCH_CHECK_INTERVAL_MINUTES=1, its minimum), which runs at least twice.

Halfway one worker is killed with SIGKILL and one web stopped with SIGTERM; then the
PostgreSQL server (a private one: never the machine's shared server) is restarted with
`pg_ctl restart -m fast` while clicks are on their way, and the survivors must carry on by
themselves. At the end: each scheduled slot ran once and each claimed cycle is recorded once,
each alert has exactly one message, every click was answered and took effect (its message
updated once), and nothing is left pending.
"""

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.cli import main
from bot.db import make_engine, upgrade
from bot.models import (
    Alert,
    CheckRequest,
    CheckRun,
    Facility,
    OutboxMessage,
    ReadingRequest,
    SchedulerSlot,
)
from bot.sessions import session_factory
from bot.slack.blocks import ACK_ACTION
from tests.api.conftest import ApiClient
from tests.slack.test_processes import free_port
from tests.support.fake_slack import FakeSlack
from tests.support.private_postgres import PrivatePostgres
from tests.support.replicas import (
    Fleet,
    Replica,
    alert_posts,
    click,
    click_payload,
    command,
    updates_of,
    wait_for,
)
from tests.support.slack_app import ALERTS, BOB, ONCALL_GROUP, TEAM_CHANNEL

pytestmark = pytest.mark.postgres

LINES = [f"line-{n}" for n in range(1, 6)]  # each shows frozen once, in turn
DRAWN = "line-draws"  # Alice's draws; its readings stay healthy
SETTINGS = {
    "LOANWATCH_CHECK_INTERVAL_MINUTES": "1",
    "LOANWATCH_PROMPT_CHECK_DELAY_SECONDS": "0",
    "LOANWATCH_PROMPT_CHECK_MAX_WAIT_SECONDS": "0",
}
WAIT = 60  # seconds for anything the fleet does by itself; the machine may be loaded


@pytest.fixture
def database(tmp_path):
    """A private PostgreSQL server on a free port, with the loanwatch schema, and its URL."""
    with PrivatePostgres.started(free_port()) as server:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE loanwatch"))
        admin.dispose()
        upgrade(server.url("loanwatch"))
        yield server


def cli(capsys, url: str, *args: str) -> str:
    """`loanwatch ARGS` against the database, as an admin types it; what it printed."""
    capsys.readouterr()
    assert main(["--database-url", url, *args]) == 0
    return capsys.readouterr().out


def frozen(slug: str) -> dict:
    observed = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    return {
        "kind": "limit",
        "facility": slug,
        "limit": "0",
        "available": "0",
        "status": "frozen",
        "observed_at": observed,
    }


def post_reading(web: Replica, token: str, slug: str) -> int:
    """POST a frozen reading of `slug` to the ingest API, again while it answers 503 (the
    database is restarting) or the connection fails; how many tries it took."""
    tries = 0
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        tries += 1
        try:
            answer = ApiClient(web.port, token).post([frozen(slug)])
        except OSError:
            answer = None
        if answer is not None and answer.status == 200:
            return tries
        assert answer is None or answer.status == 503, answer.body
        time.sleep(0.5)
    raise AssertionError(f"the reading of {slug} was never taken")


class Day:
    """What the test plays and counts: the alerts it expects, the clicks it sent."""

    def __init__(self, fleet: Fleet, sessions, token: str) -> None:
        self.fleet, self.sessions, self.token = fleet, sessions, token
        self.slack = fleet.slack
        self.alerts: dict[str, int] = {}
        self.clicks: list[int] = []  # tries each click took
        self.commands: list[int] = []
        self.readings: list[int] = []

    def freeze(self, web: Replica, slug: str) -> None:
        self.readings.append(post_reading(web, self.token, slug))

    def posted(self, slug: str):
        """Wait for the limit_frozen alert of `slug` and its message in #loan-alerts."""

        def alert_id() -> int | None:
            with self.sessions() as session:
                return session.scalar(
                    select(Alert.id)
                    .join(Facility, Facility.id == Alert.facility_id)
                    .where(Facility.slug == slug, Alert.check == "limit_frozen")
                )

        self.alerts[slug] = wait_for(f"the alert of {slug}", alert_id, WAIT)
        message = wait_for(f"the message of {slug}'s alert", lambda: self.message(slug), WAIT)

        def recorded() -> bool:
            # A worker records the message as the alert's a moment after Slack has it; a click
            # before that is refused as not from the alert's own message (no person is as quick).
            with self.sessions() as session:
                ref = session.get(Alert, self.alerts[slug]).message_ref
            return ref == f"{ALERTS}:{message.ts}"

        wait_for(f"{slug}'s message recorded as its alert's", recorded, WAIT)
        return message

    def message(self, slug: str):
        wanted = self.alerts[slug]
        found = [
            m
            for m in self.slack.messages(ALERTS)
            if ((m.metadata or {}).get("event_payload") or {}).get("alert_id") == wanted
        ]
        return found[0] if found else None

    def acknowledge(self, web: Replica, slug: str) -> None:
        sent = click(web, click_payload(self.message(slug), ACK_ACTION, user=BOB))
        self.clicks.append(sent.tries)
        # Bob is told something privately only when his click did nothing.
        told = [c.args.get("text") for c in self.slack.calls_to("chat.postEphemeral")]
        assert told == [], told

    def type(self, web: Replica, text: str) -> str:
        sent = command(web, text)
        self.commands.append(sent.tries)
        return sent.answer.text

    def pending(self) -> list[str]:
        """What the fleet still owes: outbox rows not sent, marks not checked."""
        with self.sessions() as session:
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.claimed_by).where(
                    OutboxMessage.state != "sent"
                )
            ).all()
            marks = session.scalars(select(CheckRequest.facility_id)).all()
        return [f"outbox {row}" for row in rows] + [f"mark of facility {m}" for m in marks]

    def drained(self, what: str) -> None:
        """Wait until nothing is pending; else fail saying what still is."""
        try:
            wait_for(what, lambda: not self.pending(), WAIT)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; still pending: {self.pending()}") from None

    def acknowledged_and_shown(self, slug: str) -> bool:
        with self.sessions() as session:
            alert = session.get(Alert, self.alerts[slug])
            owner = alert.acknowledged_by if alert else None
        message = self.message(slug)
        return owner == BOB and message is not None and "<@U0BOB>" in str(message.blocks)


def test_two_webs_and_two_workers_survive_kills_and_a_database_restart(database, tmp_path, capsys):
    """A day on two webs and two workers, one of each killed halfway and PostgreSQL restarted:
    every slot ran once, every alert has one message, every click took effect, nothing waits."""
    started = time.monotonic()
    url = database.url("loanwatch")
    for slug in [*LINES, DRAWN]:
        cli(capsys, url, "facility", "add", slug, "--platform", "jiebei", "--limit", "200,000")
        cli(capsys, url, "limit", "add", slug, "200,000", "--available", "200,000")
    token = cli(capsys, url, "token", "create", "robot", "--scope", "observations:write").strip()
    engine = make_engine(url)
    sessions = session_factory(engine)
    with FakeSlack() as slack:
        slack.add_channel(ALERTS, "loan-alerts")
        slack.add_channel(TEAM_CHANNEL, "finance")
        slack.usergroups[ONCALL_GROUP] = [BOB]
        fleet = Fleet(url, slack, tmp_path, SETTINGS)
        try:
            figures = play_the_day(fleet, Day(fleet, sessions, token), database)
        finally:
            fleet.stop_all()
            engine.dispose()
    figures["duration"] = f"{time.monotonic() - started:.0f} s"
    with capsys.disabled():
        print("\nmany replicas:", ", ".join(f"{k} {v}" for k, v in figures.items()))
    for name in ("web-b", "worker-b"):
        replica = fleet.replicas[name]
        assert replica.process.returncode == 0, replica.output()


def play_the_day(fleet: Fleet, day: Day, database: PrivatePostgres) -> dict:
    """Morning on all four, kills at noon, the database restart, the afternoon on the rest;
    then what must hold. Returns the figures."""
    web_a, web_b = fleet.start("web-a", "web"), fleet.start("web-b", "web")
    worker_a, worker_b = fleet.start("worker-a", "worker"), fleet.start("worker-b", "worker")
    for replica in (web_a, web_b, worker_a, worker_b):
        fleet.serving(replica)

    # Morning: both webs take requests, both workers work.
    assert "line-1" in day.type(web_a, "status")
    day.freeze(web_a, "line-1")
    day.freeze(web_b, "line-2")
    assert "1,000.00" in day.type(web_b, f"draw {DRAWN} 1,000 3m")
    for slug in ("line-1", "line-2"):
        day.posted(slug)
    day.acknowledge(web_a, "line-1")
    day.acknowledge(web_b, "line-2")

    # Noon: a worker dies hard, a web is stopped the proper way. The worker is killed between
    # sends: one killed in the middle of a send leaves its rows `sending` until their lease
    # (five minutes) runs out, longer than this test (jobs/delivery.py says so).
    day.drained("the morning's notifications sent")
    worker_a.process.kill()
    web_a.process.send_signal(signal.SIGTERM)  # it drains and exits 0
    assert web_a.process.wait(timeout=30) == 0, web_a.output()
    day.freeze(web_b, "line-3")
    day.freeze(web_b, "line-4")
    for slug in ("line-3", "line-4"):
        day.posted(slug)

    # The database restarts while Bob's clicks and a reading are on their way.
    with ThreadPoolExecutor(1) as pool:
        restart = pool.submit(database.restart)
        for slug in ("line-3", "line-4"):
            day.acknowledge(web_b, slug)
        day.freeze(web_b, "line-5")
        restart.result(timeout=120)
    restarted_at = datetime.now(UTC)

    # Afternoon, on what is left.
    assert "2,000.00" in day.type(web_b, f"draw {DRAWN} 2,000 6m")
    day.posted("line-5")
    day.acknowledge(web_b, "line-5")
    assert "line-5" in day.type(web_b, "status")

    settle(day, restarted_at)
    return verify(day, worker_a, database)


def settle(day: Day, restarted_at: datetime) -> None:
    """Wait until the fleet has done everything it owes: a check cycle after the restart,
    every click shown, every notification sent, every mark checked."""

    def cycle_after_restart() -> bool:
        with day.sessions() as session:
            return bool(
                session.scalar(
                    select(func.count())
                    .select_from(SchedulerSlot)
                    .where(
                        SchedulerSlot.job == "checks",
                        SchedulerSlot.claimed_at > restarted_at,
                        SchedulerSlot.finished_at.is_not(None),
                    )
                )
            )

    wait_for("a check cycle after the restart", cycle_after_restart, 2 * WAIT)
    for slug in LINES:
        wait_for(
            f"{slug}'s alert acknowledged and shown",
            lambda s=slug: day.acknowledged_and_shown(s),
            WAIT,
        )

    day.drained("the outbox sent and every mark checked")


def verify(day: Day, killed: Replica, database: PrivatePostgres) -> dict:
    """What must hold after the day; the figures for the report."""
    killed_name = killed.output().split("worker ", 1)[1].split(" started", 1)[0]
    with day.sessions() as session:
        slots = session.execute(
            select(
                SchedulerSlot.job,
                SchedulerSlot.slot,
                SchedulerSlot.claimed_by,
                SchedulerSlot.finished_at,
            )
        ).all()
        cycles = session.scalars(select(CheckRun.at).where(CheckRun.facilities.is_(None))).all()
        alerts = session.execute(select(Alert.id, Alert.check, Alert.state)).all()
        open_requests = session.scalar(
            select(func.count()).select_from(ReadingRequest).where(ReadingRequest.state == "open")
        )
    unfinished = [s for s in slots if s.finished_at is None and s.claimed_by != killed_name]
    assert unfinished == [], f"claimed slots never finished: {unfinished}"
    interval = timedelta(minutes=1)
    per_slot: dict[datetime, int] = {}
    for at in cycles:
        start = at - (at - datetime(1970, 1, 1, tzinfo=UTC)) % interval
        per_slot[start] = per_slot.get(start, 0) + 1
    finished = {s.slot for s in slots if s.job == "checks" and s.finished_at is not None}
    assert per_slot == {slot: 1 for slot in finished}, (per_slot, finished)
    assert len(finished) >= 2, f"only {len(finished)} check cycles ran"

    frozen_lines = sorted(i for i, check, state in alerts if check == "limit_frozen")
    assert frozen_lines == sorted(day.alerts.values()), alerts
    assert {state for _, check, state in alerts if check == "limit_frozen"} == {"acknowledged"}
    # Every alert, the admins' too (2027's holidays are not published yet: `holidays_unknown`).
    posts = alert_posts(day.slack)
    assert posts == {alert_id: 1 for alert_id, _, _ in alerts}, (posts, alerts)
    for slug in LINES:
        assert updates_of(day.slack, day.message(slug).ts) == 1, slug
    assert open_requests == 0
    return {
        "slots run": f"{len(finished)} check cycles, {len(slots) - len(finished)} other",
        "alerts": len(alerts),
        "messages": sum(posts.values()),
        "clicks": f"{len(day.clicks)} ({sum(day.clicks) - len(day.clicks)} sent again)",
        "commands": f"{len(day.commands)} ({sum(day.commands) - len(day.commands)} sent again)",
        "readings": f"{len(day.readings)} ({sum(day.readings) - len(day.readings)} sent again)",
        "restarts survived": database.restarts,
    }
