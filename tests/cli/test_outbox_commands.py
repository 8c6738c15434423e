"""`loanwatch outbox list | retry | drop` as an admin uses them, on SQLite and PostgreSQL.

The cast: Alice is the admin at the terminal. Her alerts go to #loan-alerts (C0ALERTS) in a
fake Slack, which at first has no such channel, so every notice is a dead letter until she
creates it and retries them, or drops one she no longer wants sent.
"""

import json
import shlex
from collections.abc import Iterator

import pytest

from bot.cli import main
from tests.support.fake_slack import FakeSlack

ALERTS = "C0ALERTS"


@pytest.fixture
def slack(monkeypatch) -> Iterator[FakeSlack]:
    """A fake Slack the CLI delivers to; #loan-alerts does not exist yet."""
    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", ALERTS)
        yield fake


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    """Run a loanwatch command line against the test database; returns (status, out, err)."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def exported(loanwatch, kind: str) -> list[dict]:
    status, out, _ = loanwatch(f"export {kind} --format json")
    assert status == 0
    return json.loads(out)


def listed_ids(out: str) -> list[int]:
    """The ids in the first column of an `outbox list` table."""
    return [int(line.split()[0]) for line in out.splitlines()[2:] if line.split()[0].isdigit()]


@pytest.fixture
def dead_letters(loanwatch, slack) -> list[int]:
    """A frozen line checked while #loan-alerts is missing: every notice is a dead letter."""
    assert loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")[0] == 0
    assert loanwatch("limit add jiebei-main 0 --status frozen")[0] == 0
    assert loanwatch("check")[0] == 0
    status, out, _ = loanwatch("outbox list --dead")
    assert status == 0
    return listed_ids(out)


def test_the_list_shows_each_dead_letter_with_its_error(loanwatch, dead_letters) -> None:
    """Id, kind, channel, state, attempts and the error (shortened) of each dead letter."""
    status, out, _ = loanwatch("outbox list")

    assert status == 0
    header, _, *lines = out.splitlines()
    assert header.split() == [
        "id",
        "kind",
        "channel",
        "state",
        "attempts",
        "next",
        "attempt",
        "last",
        "error",
    ]
    assert len(lines) == len(dead_letters) >= 2  # the alerts' notices and the admins' own
    for line in lines:
        assert f" {ALERTS} " in line
        assert " dead " in line
        assert line.endswith("Slack says channel_not_found for channel C0ALERTS: the chan…")


def test_retrying_every_dead_letter_once_the_channel_exists_delivers_them(
    loanwatch, slack, dead_letters
) -> None:
    """Alice creates the channel, retries all: each posts once, each delivery_failed resolves."""
    slack.add_channel(ALERTS, "loan-alerts")

    status, out, _ = loanwatch("outbox retry --all-dead")
    assert status == 0
    assert out.strip() == (
        f"{len(dead_letters)} dead letters are pending again, due now: "
        + ", ".join(map(str, dead_letters))
    )
    assert loanwatch("check")[0] == 0  # delivers what is due, like the worker

    assert loanwatch("outbox list")[1].strip() == "every notification has been delivered"
    posted = [m.metadata["event_payload"]["outbox_id"] for m in slack.messages(ALERTS)]
    assert sorted(posted) == dead_letters
    failures = [a for a in exported(loanwatch, "alerts") if a["check"] == "delivery_failed"]
    assert failures
    assert {a["state"] for a in failures} == {"resolved"}
    retries = [r for r in exported(loanwatch, "audit") if r["action"] == "outbox.retry"]
    assert sorted(int(r["entity_id"]) for r in retries) == dead_letters
    assert {r["actor"] for r in retries} == {"cli:alice"}


def test_a_dropped_notice_is_never_sent_and_its_delivery_failure_resolves(
    loanwatch, slack, dead_letters
) -> None:
    """Alice drops one dead letter with a reason: gone from the list, never posted, audited."""
    dropped, *kept = dead_letters

    status, out, _ = loanwatch(f'outbox drop {dropped} --reason "posted by hand in #ops"')
    assert (status, out.strip()) == (0, f"outbox {dropped} dropped: posted by hand in #ops")
    slack.add_channel(ALERTS, "loan-alerts")
    loanwatch("outbox retry --all-dead")
    loanwatch("check")

    assert listed_ids(loanwatch("outbox list --dead")[1]) == []
    posted = [m.metadata["event_payload"]["outbox_id"] for m in slack.messages(ALERTS)]
    assert dropped not in posted
    assert sorted(set(posted) & set(dead_letters)) == kept
    (record,) = [r for r in exported(loanwatch, "audit") if r["action"] == "outbox.drop"]
    assert (record["entity_id"], record["actor"]) == (str(dropped), "cli:alice")
    assert record["after"]["state"] == "dropped"
    assert record["after"]["dropped_reason"] == "dropped by cli:alice: posted by hand in #ops"
    (failure,) = [
        a
        for a in exported(loanwatch, "alerts")
        if a["fingerprint"] == f"delivery_failed:-:outbox-{dropped}"
    ]
    assert failure["state"] == "resolved"


def test_retrying_one_dead_letter_makes_it_due_now(loanwatch, dead_letters) -> None:
    """`outbox retry ID`: that row pending again, the others still dead."""
    first, *others = dead_letters

    status, out, _ = loanwatch(f"outbox retry {first}")

    assert (status, out.strip()) == (0, f"outbox {first} is pending again, due now")
    assert listed_ids(loanwatch("outbox list --dead")[1]) == others
    rows = [row.split() for row in loanwatch("outbox list")[1].splitlines()]
    (listed,) = [row for row in rows if row[0] == str(first)]
    assert listed[3] == "pending"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("outbox retry", "exactly one of an outbox id or --all-dead"),
        ("outbox retry {dead} --all-dead", "exactly one of an outbox id or --all-dead"),
        ("outbox retry 999", "no outbox message with id 999"),
        ("outbox retry {dropped}", "was dropped by cli:alice: not wanted; it will not be sent"),
        ('outbox drop {dead} --reason "  "', "say why the notification is dropped"),
        ('outbox drop {dropped} --reason "again"', "was dropped by cli:alice: not wanted"),
        ('outbox drop 999 --reason "x"', "no outbox message with id 999"),
        ("outbox drop {dead}", "Missing option '--reason'"),
        ("outbox retry 99999999999999999999", "is not an outbox message id"),
        ('outbox drop 99999999999999999999 --reason "x"', "is not an outbox message id"),
        ("outbox retry ١", "is not an outbox message id"),
        ("outbox retry 0", "is not an outbox message id"),
        ("outbox retry -- -1", "is not an outbox message id"),
        ('outbox drop {dead} --reason "' + "x" * 2001 + '"', "keep it to 2,000"),
    ],
    ids=[
        "retry without an id",
        "retry with both",
        "retry an unknown id",
        "retry a dropped row",
        "drop with a blank reason",
        "drop a dropped row",
        "drop an unknown id",
        "drop without a reason",
        "retry an id past any column",
        "drop an id past any column",
        "retry an Arabic-Indic one",
        "retry zero",
        "retry a negative id",
        "drop with a 2,001-character reason",
    ],
)
def test_bad_outbox_commands_exit_2_with_one_line_and_change_nothing(
    loanwatch, dead_letters, command, message
) -> None:
    """Neither or both of ID and --all-dead, unknown ids, ids that are not ids, blank or
    overlong reasons, rows already dropped."""
    dead, dropped = dead_letters[0], dead_letters[1]
    assert loanwatch(f'outbox drop {dropped} --reason "not wanted"')[0] == 0
    before = (loanwatch("export audit")[1], loanwatch("outbox list")[1])

    status, _, err = loanwatch(command.format(dead=dead, dropped=dropped))

    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("loanwatch: error:")
    assert message in err
    assert (loanwatch("export audit")[1], loanwatch("outbox list")[1]) == before


def test_a_delivered_notice_cannot_be_retried_or_dropped(loanwatch, slack) -> None:
    """Sent is sent: retry and drop say so and exit 2."""
    slack.add_channel(ALERTS, "loan-alerts")
    loanwatch("facility add jiebei-main --platform jiebei --limit 200,000")
    loanwatch("limit add jiebei-main 0 --status frozen")
    loanwatch("check")

    for command in ("outbox retry 1", 'outbox drop 1 --reason "x"'):
        status, _, err = loanwatch(command)
        assert status == 2
        assert "outbox message 1 was already delivered at" in err
