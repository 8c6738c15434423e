"""Rotations: whose turn it is, overrides, and handoffs across daylight-saving changes."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError
from bot.models import AuditRecord
from bot.oncall.rotations import add_override, add_rotation, handoffs_between, who
from tests.conftest import ALICE

NEW_YORK = ZoneInfo("America/New_York")


def _rotation(session, handoff: str, length: str, created: datetime, members="U0ANN,U0BEN"):
    rotation = add_rotation(
        session,
        ALICE,
        "finance",
        members=members,
        handoff=handoff,
        length=length,
        timezone="America/New_York",
        now=created,
    )
    session.flush()
    return rotation


def _changes(session, rotation, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Walk the span minute by minute: each moment the person on call changes, and to whom."""
    changes = []
    moment, current = start, who(session, rotation, start).user
    while moment < end:
        moment += timedelta(minutes=1)
        user = who(session, rotation, moment).user
        if user != current:
            changes.append((moment, user))
            current = user
    return changes


@pytest.mark.parametrize(
    ("day", "utc_hour", "before", "after"),
    [
        # 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 never shows on a clock. The
        # handoff comes one gap later, 03:30 EDT (07:30 UTC): once, not lost. The next day's
        # 02:30 EDT is 23 hours after it.
        ("2026-03-08", 7, timedelta(hours=24), timedelta(hours=23)),
        # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 02:30 shows once, at 07:30 UTC.
        ("2026-11-01", 7, timedelta(hours=25), timedelta(hours=24)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_daily_0230_handoff_happens_once_on_each_change_day(
    session, day, utc_hour, before, after
) -> None:
    change_day = datetime.fromisoformat(day).date()
    rotation = _rotation(session, "02:30", "1d", datetime(2026, 1, 5, 12, tzinfo=UTC))
    # In UTC: adding minutes to a New York time would walk the wall clock, not time.
    start = datetime.combine(change_day, datetime.min.time(), tzinfo=NEW_YORK).astimezone(UTC)
    changes = _changes(session, rotation, start, start + timedelta(hours=24))
    assert len(changes) == 1, changes
    moment, _user = changes[0]
    assert moment == datetime(
        change_day.year, change_day.month, change_day.day, utc_hour, 30, tzinfo=UTC
    )
    # The lost or gained hour falls in the shift beside the change, never a shift lost.
    handoffs = handoffs_between(rotation, moment - timedelta(days=2), moment + timedelta(days=2))
    index = handoffs.index(moment)
    assert handoffs[index] - handoffs[index - 1] == before
    assert handoffs[index + 1] - handoffs[index] == after


def test_a_weekly_sunday_0230_rotation_over_both_changes_gives_each_member_one_shift(
    session,
) -> None:
    """A year of Sunday 02:30 handoffs: 52 or 53 of them, one per Sunday, turns in order."""
    rotation = _rotation(
        session, "sun 02:30", "1w", datetime(2026, 1, 5, 12, tzinfo=UTC), "U0ANN,U0BEN,U0CAT"
    )
    handoffs = handoffs_between(
        rotation, datetime(2026, 1, 5, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)
    )
    local_days = [h.astimezone(NEW_YORK).date() for h in handoffs]
    assert len(set(local_days)) == len(local_days) == 52
    assert all(d.weekday() == 6 for d in local_days)
    assert datetime(2026, 3, 8, 7, 30, tzinfo=UTC) in handoffs
    assert datetime(2026, 11, 1, 7, 30, tzinfo=UTC) in handoffs
    users = [who(session, rotation, h).user for h in handoffs]
    assert all(a != b for a, b in itertools.pairwise(users))
    assert users[:6] == ["U0BEN", "U0CAT", "U0ANN", "U0BEN", "U0CAT", "U0ANN"]


def test_who_gives_the_member_whose_turn_it_is_the_next_handoff_and_the_next_person(
    session,
) -> None:
    created = datetime(2026, 12, 2, 15, tzinfo=UTC)  # a Wednesday
    rotation = _rotation(session, "mon 09:00", "1w", created, "U0ANN,U0BEN,U0CAT")
    now = who(session, rotation, created)
    assert now.user == "U0ANN"
    assert now.until == datetime(2026, 12, 7, 14, tzinfo=UTC)  # Monday 09:00 EST
    assert now.next_user == "U0BEN"
    assert who(session, rotation, now.until).user == "U0BEN"
    assert who(session, rotation, now.until + timedelta(weeks=2)).user == "U0ANN"


def test_an_override_wins_while_it_lasts_and_is_audited(session) -> None:
    created = datetime(2026, 12, 2, 15, tzinfo=UTC)
    rotation = _rotation(session, "mon 09:00", "1w", created)
    starts, ends = created + timedelta(hours=1), created + timedelta(hours=5)
    add_override(session, ALICE, "finance", user="U0DAN", starts=starts, ends=ends, now=created)
    session.flush()
    before = who(session, rotation, created)
    assert before.user == "U0ANN"
    assert before.until == starts  # the override begins before the next handoff
    during = who(session, rotation, starts + timedelta(minutes=1))
    assert (during.user, during.override, during.until) == ("U0DAN", True, ends)
    assert who(session, rotation, ends).user == "U0ANN"
    actions = {r.action for r in session.query(AuditRecord)}
    assert {"oncall.rotation_add", "oncall.override"} <= actions


def test_an_override_hidden_under_a_newer_one_does_not_end_it(session) -> None:
    """U0CAT's override (days 2-4) is added first, U0DAN's (days 1-5) after it: U0DAN is on
    call all through and `who` says until day 5, not until U0CAT's hidden override begins."""
    created = datetime(2026, 12, 2, 15, tzinfo=UTC)
    rotation = _rotation(session, "mon 09:00", "1w", created)
    day = timedelta(days=1)
    add_override(
        session,
        ALICE,
        "finance",
        user="U0CAT",
        starts=created + 2 * day,
        ends=created + 4 * day,
        now=created,
    )
    add_override(
        session,
        ALICE,
        "finance",
        user="U0DAN",
        starts=created + day,
        ends=created + 5 * day,
        now=created,
    )
    session.flush()

    during = who(session, rotation, created + day + timedelta(hours=1))

    assert (during.user, during.override, during.until) == ("U0DAN", True, created + 5 * day)
    assert who(session, rotation, created + 3 * day).user == "U0DAN"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("members", "", "at least one member"),
        ("members", "U0ANN,U0ANN", "listed twice"),
        ("handoff", "someday 9", "not a weekday and a time"),
        ("handoff", "mon 25:00", "no such time"),
        ("length", "1y", "not a shift length"),
        ("length", "0d", "from 1 day"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_rotation_input_is_refused_with_what_was_wrong(session, field, value, words) -> None:
    given = {
        "members": "U0ANN",
        "handoff": "09:00",
        "length": "1d",
        "timezone": "Asia/Shanghai",
    } | {field: value}
    with pytest.raises(InputError, match=words):
        add_rotation(session, ALICE, "finance", now=datetime(2026, 12, 2, tzinfo=UTC), **given)
