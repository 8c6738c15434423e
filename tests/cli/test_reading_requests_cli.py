"""Reading requests from the command line: `facility add/set --owner --readings`, `requests list`.

Alice, the admin, sets who is asked for jiebei-main's figures (Dana) and when.
"""

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.i18n import ZH
from bot.ledger.arrival_requests import send_arrival_request
from bot.ledger.reading_answers import answer_unavailable
from bot.ledger.request_owners import OWNER_GONE, owner_gone_letter
from bot.models import Draw, OutboxMessage
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)

DANA = "U0DANA"


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database, Tuesday 2026-12-01 10:00 Shanghai."""
    return loanwatch_on(database_url, capsys)


def test_facility_add_takes_an_owner_and_a_schedule(loanwatch: Loanwatch) -> None:
    """The schedule is shown back as stored, with the zone it is read in."""
    added = ok(
        loanwatch(
            f"facility add jiebei-main --platform jiebei --limit 300k --owner {DANA} "
            "--readings 'Mon, Thu 9:30'"
        )
    )
    assert f"jiebei-main: {DANA} is asked for a reading mon,thu 09:30 (Asia/Shanghai)" in added.out


def test_facility_set_changes_the_schedule_and_refuses_a_bad_one(loanwatch: Loanwatch) -> None:
    """A schedule it cannot read is refused with the forms it takes; `-` stops the requests."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    refused = loanwatch("facility set jiebei-main --owner U0DANA --readings 'weekly 10:00'")
    assert refused.status != 0
    assert "'weekly' is not a day" in refused.err
    no_owner = loanwatch("facility set jiebei-main --readings 'workdays 10:00'")
    assert no_owner.status != 0
    assert "needs someone to ask: give jiebei-main an owner with --owner" in no_owner.err
    set_ = ok(loanwatch(f"facility set jiebei-main --owner {DANA} --readings 'workdays 10:00'"))
    assert "is asked for a reading workdays 10:00" in set_.out
    again = ok(loanwatch("facility set jiebei-main --readings 'workdays 10:00'"))
    assert "nothing changed" in again.out
    stopped = ok(loanwatch("facility set jiebei-main --readings -"))
    assert "jiebei-main: no reading requests" in stopped.out


def test_requests_list_shows_what_is_waiting_and_what_was_answered(
    loanwatch: Loanwatch, terminal_clock, database_url: str
) -> None:
    """Tuesday 10:00's request is open; answered (Can't see it) it moves to --state answered."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    terminal_clock.advance(minutes=-60)  # set at 09:00, before the day's slot
    ok(loanwatch(f"facility set jiebei-main --owner {DANA} --readings 'workdays 10:00'"))
    assert "no open requests" in ok(loanwatch("requests list")).out
    terminal_clock.advance(minutes=60)
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    waiting = ok(loanwatch("requests list")).out
    assert "limit  jiebei-main  reading" in waiting
    assert "2026-12-01 10:00 CST" in waiting
    assert DANA in waiting
    assert "no answered requests" in ok(loanwatch("requests list --state answered")).out
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        answer_unavailable(session, Actor(DANA, "slack"), 1, now=terminal_clock())
    engine.dispose()
    answered = ok(loanwatch("requests list --state answered")).out
    assert "answered  unavailable  2026-12-01 10:00 CST" in answered
    assert "no open requests" in ok(loanwatch("requests list")).out
    assert "jiebei-main" in ok(loanwatch("requests list --state all")).out


def test_requests_list_shows_the_reminder_and_an_owner_gone(
    loanwatch: Loanwatch, terminal_clock, database_url: str
) -> None:
    """Tuesday 10:00's question went out at 10:00; the 12:00 check repeats it, and the list
    says when. Then Slack said Dana left the workspace: she is marked gone, with what to do."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    terminal_clock.advance(minutes=-60)
    ok(loanwatch(f"facility set jiebei-main --owner {DANA} --readings 'workdays 10:00'"))
    terminal_clock.advance(minutes=60)
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        # What the delivery worker records once Slack took the question (tests/slack shows it).
        [row] = session.scalars(select(OutboxMessage)).all()
        row.state, row.sent_at, row.transport_ref = "sent", terminal_clock(), "D0DANA:1.0001"
    terminal_clock.advance(hours=2)
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    listed = ok(loanwatch("requests list")).out
    assert "reminded" in listed.splitlines()[0]
    [line] = [row for row in listed.splitlines() if row.startswith("1 ")]
    assert line.split("  ")[-1] == "2026-12-01 12:00 CST"
    with Session(engine) as session, session.begin():
        reminder = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
        reminder.last_error = f"{OWNER_GONE}: {DANA}, user_disabled"
        assert owner_gone_letter(session, reminder, terminal_clock())
    engine.dispose()
    listed = ok(loanwatch("requests list")).out
    assert f"{DANA} (gone)" in listed
    assert "set another owner with `loanwatch facility set FAC --owner U…`" in listed


def test_requests_list_shows_each_kind_and_what_it_asks_about(
    loanwatch: Loanwatch, terminal_clock, database_url: str
) -> None:
    """A bill request (Dana, about the bill due 12-08) and an arrival request (Alice, about draw
    #1) are listed with their kind and subject beside the reading requests."""
    ok(loanwatch(f"facility add jiebei-main --platform jiebei --limit 300k --owner {DANA}"))
    ok(loanwatch("draw add jiebei-main 20000 --months 6 --on 2026-11-08"))
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        send_arrival_request(
            session,
            session.get_one(Draw, 1),
            drawer="U0ALICE",
            slot=terminal_clock(),
            now=terminal_clock(),
        )
    engine.dispose()
    listed = ok(loanwatch("requests list")).out
    assert "bill  jiebei-main  bill due 2026-12-08  2026-11-28 00:00 CST  U0DANA" in listed
    assert "draw  jiebei-main  draw #1" in listed
    assert "U0ALICE" in listed


def test_an_open_request_waits_for_its_answer_in_chinese(
    loanwatch: Loanwatch, terminal_clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's `open` is waiting for the owner's answer (待回复), not an open alert's
    未处理 (the one English word, two meanings: pgettext's context "reading request")."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    terminal_clock.advance(minutes=-60)
    ok(loanwatch(f"facility set jiebei-main --owner {DANA} --readings 'workdays 10:00'"))
    terminal_clock.advance(minutes=60)
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    [row] = [line for line in ok(loanwatch("requests list")).out.splitlines() if DANA in line]
    assert "jiebei-main" in row
    assert "待回复" in row
    assert "未处理" not in row
