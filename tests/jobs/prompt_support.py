"""The cast of the prompt-check tests: the ingest API, a worker (or two) and a fake Slack.

Readings are posted to the real API server; the worker is the real `run_worker` in a thread of
the test process, on a fake clock (`now` for the checks) and a debounce clock the test may hold
still (`real_clock`, which the marks' real stamps are compared with). The clock-driven cycle
runs once at start-up and then only after an hour, so anything told later came from a prompt
run.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.api.tokens import Scope, create_token
from bot.audit import Actor
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import CheckRun
from bot.settings import Settings
from jobs.transports import transport_from
from jobs.worker import run_worker
from tests.api.conftest import ApiClient, start_api
from tests.support.clock import Clock
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import ALERTS, app_settings

DANA = Actor("cli:dana", "cli")
# 2026-12-01 10:00 in Shanghai: the checks' time, which the test moves.
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def add_line(sessions: sessionmaker[Session], slug: str, now: datetime) -> int:
    """A 200,000 Jiebei line whose alerts go to #loan-alerts; its id."""
    with sessions.begin() as session:
        facility = add_facility(
            session,
            DANA,
            FacilityTerms(
                slug=slug,
                platform="jiebei",
                limit_amount=Decimal("200000.00"),
                daily_rate=Decimal("0.0004"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
                alert_channel=ALERTS,
            ),
            now=now,
        )
        session.flush()
        return facility.id


def frozen(slug: str, at: datetime) -> dict[str, Any]:
    """A reading that shows the line frozen: limit_frozen, critical."""
    return {
        "kind": "limit",
        "facility": slug,
        "limit": "0.00",
        "available": "0.00",
        "status": "frozen",
        "observed_at": at.isoformat(),
    }


def prompt_runs(sessions: sessionmaker[Session]) -> list[int]:
    """How many facilities each prompt run checked, oldest first (a cycle records None)."""
    with sessions() as session:
        return list(
            session.scalars(
                select(CheckRun.facilities)
                .where(CheckRun.facilities.is_not(None))
                .order_by(CheckRun.id)
            )
        )


def cycles(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(session.scalars(select(CheckRun).where(CheckRun.facilities.is_(None))).all())


def frozen_told(slack: FakeSlack, slug: str) -> list[str]:
    """The texts of the chat.postMessage calls that told `slug`'s line is frozen."""
    return [
        text
        for call in slack.calls_to("chat.postMessage")
        if slug in (text := call.args.get("text", "")) and "limit_frozen" in text
    ]


@dataclass
class World:
    """What a test talks to: the API's client, the fake Slack, the clocks."""

    api: ApiClient
    slack: FakeSlack
    clock: Clock
    real_clock: Callable[[], datetime]
    settings: Settings
    workers: list[threading.Thread] = field(default_factory=list)


@contextmanager
def world(
    database_url: str,
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    workers: int = 1,
    real_clock: Callable[[], datetime] | None = None,
    **settings: Any,
) -> Iterator[World]:
    """The API, `workers` workers and the fake Slack, running; the start-up cycle done."""
    real = real_clock or (lambda: datetime.now(UTC))
    stop = threading.Event()
    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        slack.add_channel(ALERTS, "loan-alerts")
        values = {
            "LOANWATCH_CHECK_INTERVAL_MINUTES": 60,
            "LOANWATCH_PROMPT_CHECK_DELAY_SECONDS": 0,
            "LOANWATCH_PROMPT_CHECK_MAX_WAIT_SECONDS": 0,
        } | settings
        config = app_settings(database_url, slack.api_url, **values)
        with sessions.begin() as session:
            _, token = create_token(session, DANA, "robot", Scope.WRITE, now=clock())
        serving = start_api(sessions, clock, "100000/minute")
        port, _api, _serving = next(serving)
        stack.callback(lambda: next(serving, None))
        running = World(ApiClient(port, token), slack, clock, real, config)
        for _ in range(workers):
            thread = threading.Thread(
                target=run_worker,
                args=(config, transport_from(config), stop),
                kwargs={
                    "clock": clock,
                    "real_clock": real,
                    "prompt_every": timedelta(seconds=0.1),
                },
                daemon=True,
            )
            thread.start()
            running.workers.append(thread)
        stack.callback(lambda: [t.join(timeout=30) for t in running.workers])
        stack.callback(stop.set)
        # The catch-up cycle at start-up, one per slot across the workers, has run.
        assert slack.wait_for(lambda: cycles(sessions) == 1, timeout=30)
        yield running
