"""Prompt checks: a reading that freezes a line reaches Slack within seconds, not at the next
cycle; a burst is checked once; two workers check it once; only its facility is decided; a run
that fails leaves its marks for the next one."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.alerts.notices import NoticeKind
from bot.alerts.policy import AlertState
from bot.calendar import BusinessCalendar
from bot.cli import main
from bot.ledger.facilities import get_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.ledger.reading_answers import answer_unavailable
from bot.ledger.terms_history import keep_terms
from bot.models import Alert, CheckRequest, OutboxMessage, ReadingRequest
from bot.thresholds import Thresholds
from jobs import prompt
from jobs.checks import run_checks
from jobs.cycle import run_check_cycle
from jobs.prompt import PromptOptions, prompt_step
from tests.jobs.prompt_support import (
    DANA,
    START,
    add_line,
    frozen,
    frozen_told,
    prompt_runs,
    world,
)
from tests.support.clock import Clock
from tests.support.slack_app import app_settings

NOW_OPTIONS = PromptOptions(delay=timedelta(0), max_wait=timedelta(0))


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def test_a_frozen_line_posted_to_the_api_reaches_slack_without_waiting_for_the_cycle(
    database_url, sessions, clock
) -> None:
    """The worker's cycle has run and the next is an hour away; a frozen reading posted to the
    API is told in #loan-alerts within seconds, by a run that checked that facility alone."""
    add_line(sessions, "jiebei-main", clock())
    with world(database_url, sessions, clock) as running:
        assert frozen_told(running.slack, "jiebei-main") == []
        clock.advance(minutes=1)
        answer = running.api.post([frozen("jiebei-main", clock())])
        assert answer.status == 200, answer.body

        told = running.slack.wait_for(lambda: frozen_told(running.slack, "jiebei-main"), 30)

    assert len(told) == 1
    assert prompt_runs(sessions) == [1]


def test_a_burst_of_readings_is_checked_once_after_it(database_url, sessions, clock) -> None:
    """Five readings of one line, a minute apart on the platform, posted one by one while the
    debounce clock stands still: nothing runs until the writes have been quiet for the delay,
    then one run checks them together and one message goes out."""
    add_line(sessions, "jiebei-main", clock())
    debounce = Clock(datetime.now(UTC))
    with world(
        database_url,
        sessions,
        clock,
        real_clock=debounce,
        LOANWATCH_PROMPT_CHECK_DELAY_SECONDS=2,
        LOANWATCH_PROMPT_CHECK_MAX_WAIT_SECONDS=60,
    ) as running:
        for _ in range(5):
            clock.advance(minutes=1)
            assert running.api.post([frozen("jiebei-main", clock())]).status == 200
        assert prompt_runs(sessions) == []
        debounce.now = datetime.now(UTC) + timedelta(seconds=3)

        told = running.slack.wait_for(lambda: frozen_told(running.slack, "jiebei-main"), 30)

    assert len(told) == 1
    assert prompt_runs(sessions) == [1]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_check_a_facility_once_and_tell_it_once(database_url, sessions, clock) -> None:
    """Two workers look every 0.1 s with no delay: the reading's facility is claimed by one of
    them, checked once, told once."""
    add_line(sessions, "jiebei-main", clock())
    with world(database_url, sessions, clock, workers=2) as running:
        clock.advance(minutes=1)
        assert running.api.post([frozen("jiebei-main", clock())]).status == 200
        told = running.slack.wait_for(lambda: frozen_told(running.slack, "jiebei-main"), 30)
        # Both workers look again several times before the world stops.
        running.slack.wait_for(lambda: False, 1.0)

    assert len(told) == 1
    assert prompt_runs(sessions) == [1]


def test_a_prompt_run_decides_no_alert_of_another_facility(database_url, sessions, clock) -> None:
    """icbc's line is frozen (its alert open); then icbc's platform shows it active again, but
    only jiebei's marks are due: jiebei's alert opens, icbc's stays open for the run that
    checks icbc, and the cycle, to resolve."""
    settings = app_settings(database_url, "http://127.0.0.1:9/api/")
    calendar = settings.calendar()
    jiebei = add_line(sessions, "jiebei-main", clock())
    icbc = add_line(sessions, "icbc-loan", clock())
    with sessions.begin() as session:
        line = get_facility(session, "icbc-loan")
        _reading(session, line, clock(), LimitStatus.FROZEN)
        run_check_cycle(session, now=clock(), settings=settings, calendar=calendar)
    clock.advance(minutes=5)
    with sessions.begin() as session:
        _reading(session, get_facility(session, "icbc-loan"), clock(), LimitStatus.ACTIVE)
        _reading(session, get_facility(session, "jiebei-main"), clock(), LimitStatus.FROZEN)
        session.execute(CheckRequest.__table__.delete().where(CheckRequest.facility_id == icbc))

    report = _step(sessions, clock, settings)

    assert report is not None
    assert report.facility_ids == [jiebei]
    with sessions() as session:
        alerts = {a.facility_id: a.state for a in session.scalars(select(Alert))}
    assert alerts == {icbc: AlertState.OPEN, jiebei: AlertState.OPEN}


def test_a_scoped_run_finds_for_its_facilities_what_a_whole_run_finds(sessions) -> None:
    """Two frozen lines, one of whose terms change later: run as of before the change (the
    checks then read the terms in force, a stand-in for the facilities), the run scoped to
    that line finds its findings of the whole run, and none of the other's."""
    lines = [add_line(sessions, slug, START) for slug in ("a-line", "b-line")]
    with sessions.begin() as session:
        for slug in ("a-line", "b-line"):
            _reading(session, get_facility(session, slug), START, LimitStatus.FROZEN)
        keep_terms(session, DANA, get_facility(session, "a-line"), now=START + timedelta(days=1))
    now = START + timedelta(hours=1)
    with sessions() as session:
        whole = run_checks(session, now, Thresholds(), BusinessCalendar())
        scoped = run_checks(session, now, Thresholds(), BusinessCalendar(), facility_ids={lines[0]})

    assert {f.facility_id for f in whole} == set(lines)
    assert scoped == [f for f in whole if f.facility_id == lines[0]]


def test_a_run_that_fails_leaves_the_marks_for_the_next(
    database_url, sessions, clock, monkeypatch
) -> None:
    """The run loses its database connection after the checks: nothing it did is kept and the
    mark is still there, as it was (no pause); the next run checks the facility and opens the
    alert."""
    settings = app_settings(database_url, "http://127.0.0.1:9/api/")
    jiebei = add_line(sessions, "jiebei-main", clock())
    with sessions.begin() as session:
        _reading(session, get_facility(session, "jiebei-main"), clock(), LimitStatus.FROZEN)

    def crash(*args, **kwargs):
        raise OperationalError(
            "SELECT 1", {}, RuntimeError("the database went away"), connection_invalidated=True
        )

    monkeypatch.setattr(prompt, "apply_findings", crash)
    with pytest.raises(OperationalError, match="went away"):
        _step(sessions, clock, settings)
    assert _marked(sessions) == [jiebei]
    assert prompt_runs(sessions) == []

    monkeypatch.undo()
    report = _step(sessions, clock, settings)

    assert report is not None
    assert report.summary.opened == 1
    assert _marked(sessions) == []
    assert prompt_runs(sessions) == [1]


def test_every_kind_of_observation_marks_its_facility(database_url, sessions, clock) -> None:
    """A reading and a bill (as Slack and imports record them), a "Can't see it" answer and
    `loanwatch limit add` each mark their facility, in their own transaction; a write rolled
    back marks none."""
    slugs = ("a-line", "b-line", "c-line", "d-line", "e-line")
    ids = [add_line(sessions, slug, clock()) for slug in slugs]
    with sessions.begin() as session:
        _reading(session, get_facility(session, "a-line"), clock(), LimitStatus.ACTIVE)
        record_bill(
            session,
            DANA,
            get_facility(session, "b-line"),
            due_date=START.date() + timedelta(days=9),
            amount=Decimal("4498.77"),
            paid=False,
            now=clock(),
        )
        request = ReadingRequest(
            facility_id=ids[2], slot=clock(), owner="U0DANA", state="open", sent_at=clock()
        )
        session.add(request)
    with sessions.begin() as session:
        session.execute(CheckRequest.__table__.delete().where(CheckRequest.facility_id == ids[2]))
    with sessions.begin() as session:
        answer_unavailable(session, DANA, request.id, now=clock())
    with sessions() as session:
        _reading(session, get_facility(session, "d-line"), clock(), LimitStatus.ACTIVE)
        session.flush()
        session.rollback()
    assert main(["--database-url", database_url, "limit", "add", "e-line", "150,000"]) == 0

    assert _marked(sessions) == [*ids[:3], ids[4]]


def _reading(session, facility, at: datetime, status: LimitStatus) -> None:
    amount = Decimal("0.00") if status == LimitStatus.FROZEN else Decimal("200000.00")
    record_limit_reading(
        session, DANA, facility, limit_amount=amount, available=amount, status=status, now=at
    )


def _step(sessions, clock: Clock, settings):
    return prompt_step(
        sessions,
        now=clock(),
        real_now=datetime.now(UTC),
        settings=settings,
        calendar=settings.calendar(),
        options=NOW_OPTIONS,
    )


def _marked(sessions) -> list[int]:
    with sessions() as session:
        return sorted(session.scalars(select(CheckRequest.facility_id)))


def test_an_outage_posted_in_one_batch_is_told_as_one_storm(database_url, sessions, clock) -> None:
    """Eight lines frozen, their readings written together (one API batch, one import): one
    prompt run checks them all and tells one grouped message, as the cycle would
    (LOANWATCH_STORM_THRESHOLD 5; docs/checks.md: readings posted apart are told apart)."""
    settings = app_settings(database_url, "http://127.0.0.1:9/api/")
    slugs = [f"line-{i}" for i in range(8)]
    for slug in slugs:
        add_line(sessions, slug, clock())
    with sessions.begin() as session:
        for slug in slugs:
            _reading(session, get_facility(session, slug), clock(), LimitStatus.FROZEN)

    report = _step(sessions, clock, settings)

    assert report is not None
    assert len(report.facility_ids) == 8
    with sessions() as session:
        kinds = list(session.scalars(select(OutboxMessage.kind)))
    assert kinds == [NoticeKind.GROUP]
