"""Prompt checks: one facility whose run raises stops no other. The healthy facilities claimed
with it are checked and told; it is held back with a pause (not tried every second) and the
admins are told once; once it runs clean it is checked and its admin alert resolves."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.alerts.checks import Check
from bot.alerts.policy import AlertState
from bot.ledger.facilities import get_facility
from bot.ledger.observations import LimitStatus
from bot.models import Alert, CheckRequest
from jobs import prompt
from jobs.prompt import PromptOptions, prompt_step
from tests.jobs.prompt_support import START, add_line, frozen, frozen_told, world
from tests.jobs.test_prompt_checks import _marked, _reading
from tests.support.clock import Clock
from tests.support.slack_app import app_settings

NOW_OPTIONS = PromptOptions(delay=timedelta(0), max_wait=timedelta(0))


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def _poison(monkeypatch, bad: int) -> list[frozenset[int]]:
    """Make every prompt run that includes facility `bad` raise; the scopes it was run with."""
    real = prompt.apply_findings
    runs: list[frozenset[int]] = []

    def poisoned(session, findings, **kw):
        scope = frozenset(kw["facility_ids"])
        runs.append(scope)
        if bad in scope:
            raise RuntimeError("bad data on a-poison")
        return real(session, findings, **kw)

    monkeypatch.setattr(prompt, "apply_findings", poisoned)
    return runs


def _step(sessions, clock: Clock, settings, real_now: datetime):
    return prompt_step(
        sessions,
        now=clock(),
        real_now=real_now,
        settings=settings,
        calendar=settings.calendar(),
        options=NOW_OPTIONS,
    )


def _alerts(sessions) -> list[tuple[int | None, str, str]]:
    with sessions() as session:
        return [
            (a.facility_id, a.check, a.state)
            for a in session.scalars(select(Alert).order_by(Alert.id))
        ]


def test_a_poisoned_facility_is_held_back_and_the_others_are_told(
    database_url, sessions, clock, monkeypatch
) -> None:
    """Five frozen lines claimed together, the middle one's run raising: the four others'
    alerts open in that same look; the poison's mark stays, with a pause, and one check_failed
    alert tells the admins. Looking again at once claims nothing; after the pause, with the
    fault gone, the poison is checked and its check_failed resolves."""
    settings = app_settings(database_url, "http://127.0.0.1:9/api/")
    slugs = ["a-line", "b-line", "c-poison", "d-line", "e-line"]
    ids = [add_line(sessions, slug, clock()) for slug in slugs]
    bad = ids[2]
    with sessions.begin() as session:
        for slug in slugs:
            _reading(session, get_facility(session, slug), clock(), LimitStatus.FROZEN)
    _poison(monkeypatch, bad)
    real_now = datetime.now(UTC)

    report = _step(sessions, clock, settings, real_now)

    assert report is not None
    assert report.facility_ids == [i for i in ids if i != bad]
    assert report.held_back == [bad]
    assert _alerts(sessions) == [
        *[(i, Check.LIMIT_FROZEN, AlertState.OPEN) for i in ids if i != bad],
        (None, Check.CHECK_FAILED, AlertState.OPEN),
    ]
    with sessions() as session:
        mark = session.get(CheckRequest, bad)
        assert mark is not None
        assert mark.attempts == 1
        assert mark.not_before == real_now + timedelta(seconds=30)
        failed = session.scalars(select(Alert).where(Alert.check == Check.CHECK_FAILED)).one()
        assert "c-poison" in failed.summary
        assert "bad data" in failed.facts["Error"]

    assert _step(sessions, clock, settings, real_now + timedelta(seconds=1)) is None
    assert _marked(sessions) == [bad]

    monkeypatch.undo()
    report = _step(sessions, clock, settings, real_now + timedelta(seconds=31))

    assert report is not None
    assert report.facility_ids == [bad]
    assert report.held_back == []
    assert _marked(sessions) == []
    assert _alerts(sessions)[-2:] == [
        (None, Check.CHECK_FAILED, AlertState.RESOLVED),
        (bad, Check.LIMIT_FROZEN, AlertState.OPEN),
    ]


def test_the_pause_doubles_and_a_new_write_does_not_undo_it(
    database_url, sessions, clock, monkeypatch
) -> None:
    """Still failing after the pause: the next pause is twice as long; a reading written on
    the poisoned line meanwhile leaves the pause as it was; the admins were told once."""
    settings = app_settings(database_url, "http://127.0.0.1:9/api/")
    bad = add_line(sessions, "c-poison", clock())
    with sessions.begin() as session:
        _reading(session, get_facility(session, "c-poison"), clock(), LimitStatus.FROZEN)
    runs = _poison(monkeypatch, bad)
    real_now = datetime.now(UTC)
    _step(sessions, clock, settings, real_now)
    _step(sessions, clock, settings, real_now + timedelta(seconds=30))
    with sessions.begin() as session:
        _reading(session, get_facility(session, "c-poison"), clock(), LimitStatus.FROZEN)

    assert _step(sessions, clock, settings, real_now + timedelta(seconds=60)) is None

    with sessions() as session:
        mark = session.get(CheckRequest, bad)
        assert mark is not None
        assert mark.attempts == 2
        assert mark.not_before == real_now + timedelta(seconds=90)
    assert len(runs) == 2
    failed = [a for a in _alerts(sessions) if a[1] == Check.CHECK_FAILED]
    assert failed == [(None, Check.CHECK_FAILED, AlertState.OPEN)]


def test_the_healthy_line_reaches_slack_while_the_poisoned_one_waits(
    database_url, sessions, clock, monkeypatch
) -> None:
    """The worker and the fake Slack: two frozen readings posted in one batch, one line's run
    raising. The healthy line is told within seconds; the poisoned one is tried twice (with
    the other, then alone) and not again while the worker keeps looking every 0.1 s."""
    add_line(sessions, "a-poison", clock())
    add_line(sessions, "b-good", clock())
    with sessions() as session:
        bad = get_facility(session, "a-poison").id
    runs = _poison(monkeypatch, bad)
    with world(database_url, sessions, clock) as running:
        clock.advance(minutes=1)
        answer = running.api.post([frozen("a-poison", clock()), frozen("b-good", clock())])
        assert answer.status == 200, answer.body

        told = running.slack.wait_for(lambda: frozen_told(running.slack, "b-good"), 30)
        running.slack.wait_for(lambda: False, 1.5)  # fifteen more looks

    assert len(told) == 1
    assert frozen_told(running.slack, "a-poison") == []
    assert len([scope for scope in runs if bad in scope]) == 2
    admin = [
        str(c.args)
        for c in running.slack.calls_to("chat.postMessage")
        if "check_failed" in c.args.get("text", "")
    ]
    assert len(admin) == 1
    assert "prompt checks of a-poison raised" in admin[0]
    assert _marked(sessions) == [bad]
