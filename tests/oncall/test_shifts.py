"""A person's next shifts (App Home): their turns, less what someone else's override takes."""

from datetime import UTC, datetime, timedelta

from bot.oncall.rotations import add_override, add_rotation
from bot.oncall.shifts import next_shifts
from tests.conftest import ALICE

# Monday 2026-12-07 09:00 in Shanghai.
MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


def test_someone_elses_override_takes_its_time_out_of_the_persons_turn(session) -> None:
    """Ben and Ann take weekly turns from Monday 09:00 (Ben had last week); Ann has this
    week. Ben overrides from Wednesday to the next Monday, Dan the whole week after: Ann's
    shift ends on Wednesday, and Ben's own week is Dan's, so it is not shown as Ben's."""
    add_rotation(
        session,
        ALICE,
        "finance",
        members="U0BEN,U0ANN",
        handoff="mon 09:00",
        length="1w",
        timezone="Asia/Shanghai",
        now=MONDAY - timedelta(days=1),
    )
    wednesday = MONDAY + timedelta(days=2)
    add_override(
        session,
        ALICE,
        "finance",
        user="U0BEN",
        starts=wednesday,
        ends=MONDAY + WEEK,
        now=MONDAY,
    )
    add_override(
        session,
        ALICE,
        "finance",
        user="U0DAN",
        starts=MONDAY + WEEK,
        ends=MONDAY + 2 * WEEK,
        now=MONDAY,
    )
    session.flush()

    ann = next_shifts(session, "U0ANN", MONDAY + timedelta(hours=1), count=1)
    ben = next_shifts(session, "U0BEN", MONDAY + timedelta(hours=1), count=1)

    assert [(s.starts, s.ends, s.override) for s in ann] == [(MONDAY, wednesday, False)]
    assert [(s.starts, s.ends, s.override) for s in ben] == [(wednesday, MONDAY + WEEK, True)]
