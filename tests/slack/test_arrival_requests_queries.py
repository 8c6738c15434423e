# ruff: noqa: F811 (the fixtures are those of test_arrival_requests)
"""The arrival requests' wake-up runs in every check cycle: when no draw can be asked about,
it costs one small query, not draw_unconfirmed's whole one.

The cast as in test_arrival_requests: Alice logged a ¥50,000 draw from Slack on Tuesday
2026-12-01 10:04 and is asked on Wednesday 10:04 "Did the ¥50,000 arrive?".
"""

from typing import Any

from sqlalchemy import event

from jobs.requests import run_draw_requests
from tests.slack.test_arrival_requests import (  # noqa: F401 (fixtures)
    ALICE_DM,
    cycle,
    drawn,
    settings,
    shanghai,
)


def statements_of_draw_requests(engine, sessions, settings, now) -> tuple[int, int]:
    """(requests sent, statements run) by the arrival requests' wake-up at `now`."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions() as session:
            sent = run_draw_requests(
                session,
                now=now,
                thresholds=settings.thresholds(),
                calendar=settings.calendar(),
            )
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return sent, len(statements)


def test_before_the_day_is_up_one_query_and_then_the_drawer_is_asked(
    app, drawn, engine, sessions, settings, clock, slack
) -> None:
    """12-02 10:03, a minute before Alice's draw is a day old: one statement, nothing sent.
    10:04: the whole check runs and she is asked, as before."""
    assert statements_of_draw_requests(engine, sessions, settings, clock()) == (0, 1)

    clock.now = shanghai(2026, 12, 2, 10, 4)
    sent, statements = statements_of_draw_requests(engine, sessions, settings, clock())
    assert sent == 1
    assert statements > 1
    cycle(sessions, settings, clock)
    assert len(slack.messages(ALICE_DM)) == 1
