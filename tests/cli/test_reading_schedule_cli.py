"""`--owner` / `--readings` refused or warned about as the person typed them.

Alice, the admin, is at the terminal (Tuesday 2026-12-01 10:00 Shanghai).
"""

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock) -> Loanwatch:
    return loanwatch_on(database_url, capsys)


def test_add_with_a_schedule_and_no_owner_says_only_the_error_and_adds_nothing(
    loanwatch: Loanwatch,
) -> None:
    """No "added nown" before the error: nothing was added, and `facility list` agrees."""
    refused = loanwatch("facility add nown --platform jiebei --limit 300k --readings 'daily 10:00'")
    assert refused.status != 0
    assert refused.out == ""
    assert "added" not in refused.err
    assert "needs someone to ask: give nown an owner with --owner" in refused.err
    assert "nown" not in ok(loanwatch("facility list")).out


def test_two_times_are_refused_quoting_what_was_typed(loanwatch: Loanwatch) -> None:
    """'daily 10:00 10:30': one time per schedule, quoting the words typed (not 'daily10:00')."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    refused = loanwatch("facility set jiebei-main --owner U0DANA --readings 'daily 10:00 10:30'")
    assert refused.status != 0
    assert "daily10:00" not in refused.err
    assert "'daily 10:00 10:30'" in refused.err
    assert "one time of day" in refused.err
    spaced = ok(loanwatch("facility set jiebei-main --owner U0DANA --readings 'mon thu 9:30'"))
    assert "is asked for a reading mon,thu 09:30" in spaced.out


def test_weekend_days_are_warned_to_be_asked_only_on_make_up_working_days(
    loanwatch: Loanwatch,
) -> None:
    """'sat,sun 10:00' is kept, with a note that an ordinary weekend asks nothing (only make-up
    working days), and what to give for every weekend; a weekday schedule has no such note."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    weekend = ok(loanwatch("facility set jiebei-main --owner U0DANA --readings 'sat,sun 10:00'"))
    assert "is asked for a reading sat,sun 10:00" in weekend.out
    assert "sat and sun are asked only when they are working days" in weekend.err
    assert "'daily 10:00'" in weekend.err
    weekday = ok(loanwatch("facility set jiebei-main --readings 'mon,fri 10:00'"))
    assert "working days" not in weekday.err
