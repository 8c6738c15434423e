"""Imports armed by `/loan import` and taken by the next file shared (bot/ledger/import_requests):
each armed import is taken once, by one delivery, within ten minutes; arming again replaces it."""

from datetime import timedelta

import pytest

from bot.errors import InputError
from bot.ledger.import_requests import ImportTarget, arm, seen, take, waiting
from tests.ledger.cast import jiebei_line

TARGET = ImportTarget("jiebei-main", mapping=None)


@pytest.fixture
def line(session, alice, now):
    jiebei_line(session, alice, now)
    session.commit()


def test_an_armed_import_is_taken_once_by_one_delivery(session, line, now) -> None:
    armed = arm(session, "U0ALICE", "t1", TARGET, channel="C0FINANCE", now=now)
    assert waiting(session, "U0ALICE", now=now + timedelta(minutes=9)) == armed
    assert take(session, armed, "Ev1", "F1", result="imported", now=now)
    assert seen(session, "Ev1")
    assert not take(session, armed, "Ev2", "F2", result="imported", now=now)
    assert waiting(session, "U0ALICE", now=now) is None


def test_it_waits_ten_minutes_and_arming_again_replaces_it(session, line, now) -> None:
    first = arm(session, "U0ALICE", "t1", TARGET, channel="C0FINANCE", now=now)
    assert waiting(session, "U0ALICE", now=now + timedelta(minutes=10, seconds=1)) is None
    assert arm(session, "U0ALICE", "t1", TARGET, channel="C0FINANCE", now=now) == first
    second = arm(session, "U0ALICE", "t2", TARGET, channel="C0FINANCE", now=now)
    assert waiting(session, "U0ALICE", now=now) == second
    assert not take(session, first, "Ev1", "F1", result="imported", now=now)
    assert waiting(session, "U0BOB", now=now) is None


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (ImportTarget("nope"), "nope"),
        (ImportTarget("jiebei-main", mapping="nope"), "no mapping named nope"),
        (ImportTarget("jiebei-main", fmt="pdf"), 'unknown format "pdf"'),
        (ImportTarget("jiebei-main", fmt="bills", mapping="x"), "leave out the format"),
    ],
)
def test_a_target_that_cannot_work_is_refused_when_armed(session, line, now, target, message):
    with pytest.raises(InputError, match=message):
        arm(session, "U0ALICE", "t1", target, channel="C0FINANCE", now=now)
    assert waiting(session, "U0ALICE", now=now) is None


def test_rows_older_than_a_week_go_when_someone_arms_again(session, line, now) -> None:
    old = arm(session, "U0ALICE", "t0", TARGET, channel="C0FINANCE", now=now - timedelta(days=8))
    assert take(session, old, "Ev0", "F0", result="imported", now=now - timedelta(days=8))
    arm(session, "U0BOB", "t1", TARGET, channel="C0FINANCE", now=now)
    assert not seen(session, "Ev0")
