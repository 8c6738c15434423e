"""`loanwatch facility set` changes what can change after `facility add`: the limit, the checks'
thresholds and the alert channel (the terms, rotation and readings have their own tests), each
audited, and the checks see the new values from then on.

Alice, the treasurer, types every command on a fake clock (Tuesday 2026-12-01 10:00 in
Shanghai); what she reads is the terminal, `facility list`, the exports and `check`'s answer.
"""

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    everything,
    export_json,
    loanwatch_on,
    ok,
)
from tests.support.clock import Clock


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def alert_states(loanwatch: Loanwatch, check: str) -> list[str]:
    """The states of the alerts `check` opened, oldest first."""
    return [a["state"] for a in export_json(loanwatch, "alerts") if a["check"] == check]


def audited(loanwatch: Loanwatch, action: str) -> list[dict]:
    """The audit records of one action, oldest first."""
    return [e for e in export_json(loanwatch, "audit") if e["action"] == action]


def the_facility(loanwatch: Loanwatch) -> dict:
    """The one facility, as `export facilities` writes it."""
    (row,) = export_json(loanwatch, "facilities")
    return row


def listed(loanwatch: Loanwatch, slug: str) -> str:
    """The facility's line in `facility list`."""
    lines = ok(loanwatch("facility list")).out.splitlines()
    return next(line for line in lines if line.startswith(f"{slug} "))


def test_a_raised_limit_quiets_utilization_high_and_check_at_before_still_sees_the_old_one(
    loanwatch: Loanwatch, terminal_clock: Clock
) -> None:
    """95,000 drawn on a 100,000 line is 95 % used: `utilization_high`. The platform raises the
    line to 200,000; after `facility set jb --limit 200,000` the list shows it, the next check
    resolves the alert, the audit holds the old and the new limit, and a replay as of before
    the change still judges by the old limit."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000 --daily-rate 0.04%"))
    ok(loanwatch("draw add jb 95,000 --months 12"))
    assert "utilization_high on jb" in ok(loanwatch("check")).out
    before_the_change = terminal_clock.now
    terminal_clock.advance(hours=1)

    changed = ok(loanwatch("facility set jb --limit 200,000"))

    assert changed.out.strip() == "updated jb: limit ¥200,000.00 (was ¥100,000.00)"
    assert changed.err == ""
    assert "200,000.00" in listed(loanwatch, "jb")
    assert "100,000.00" not in listed(loanwatch, "jb")
    ok(loanwatch("check"))
    assert alert_states(loanwatch, "utilization_high") == ["resolved"]
    update = audited(loanwatch, "facility.update")[-1]  # the one before: the repayment day
    assert (update["before"]["limit_amount"], update["after"]["limit_amount"]) == (
        "100000.00",
        "200000.00",
    )
    assert update["actor"] == "cli:alice"
    versions = [v["after"]["limit_amount"] for v in audited(loanwatch, "facility.terms")]
    assert (versions[0], versions[-1]) == ("100000.00", "200000.00")
    replay = ok(loanwatch(f"check --at {before_the_change.isoformat()}")).out
    assert "replay as of" in replay
    assert any("utilization_high" in line and "jb" in line for line in replay.splitlines())


def test_a_lowered_limit_opens_utilization_high_and_stops_a_draw_above_it(
    loanwatch: Loanwatch,
) -> None:
    """60,000 drawn on a 200,000 line is fine; cut to 64,000 it is 93 % used, and a further
    draw of 10,000 is refused as over the new limit."""
    ok(loanwatch("facility add jb --platform jiebei --limit 200,000 --daily-rate 0.04%"))
    ok(loanwatch("draw add jb 60,000 --months 12"))
    assert "utilization_high" not in ok(loanwatch("check")).out

    ok(loanwatch("facility set jb --limit 64k"))

    assert "utilization_high on jb" in ok(loanwatch("check")).out
    refused = loanwatch("draw add jb 10,000 --months 12")
    assert refused.status == 2
    assert "64,000.00" in refused.err


def test_a_threshold_set_then_cleared_back_to_the_default(loanwatch: Loanwatch) -> None:
    """`--threshold utilization_percent=50` makes 60 % used a warning; `utilization_percent=-`
    puts the default (90) back and the next check resolves it. Both are audited."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000 --threshold bill_lead_days=5"))
    ok(loanwatch("draw add jb 60,000 --months 12"))
    assert "utilization_high" not in ok(loanwatch("check")).out

    lowered = ok(loanwatch("facility set jb --threshold utilization_percent=50"))

    assert lowered.out.strip() == "updated jb: utilization_percent 50"
    assert the_facility(loanwatch)["thresholds"] == {
        "bill_lead_days": "5",
        "utilization_percent": "50",
    }
    assert "utilization_high on jb" in ok(loanwatch("check")).out

    cleared = ok(loanwatch("facility set jb --threshold utilization_percent=-"))

    assert cleared.out.strip() == "updated jb: utilization_percent back to the default (90)"
    assert the_facility(loanwatch)["thresholds"] == {"bill_lead_days": "5"}
    ok(loanwatch("check"))
    assert alert_states(loanwatch, "utilization_high") == ["resolved"]
    updates = audited(loanwatch, "facility.update")[1:]  # the first: the draw's repayment day
    assert [
        (u["before"]["utilization_percent"], u["after"]["utilization_percent"]) for u in updates
    ] == [
        (None, 50),
        (50, None),
    ]


def test_the_alert_channel_changes_and_goes_back_to_the_default(loanwatch: Loanwatch) -> None:
    """`--channel C0TREASURY` sends the alerts there (audited as facility.channel); the same
    channel again changes nothing; `--channel -` is the default channel again."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000 --channel C0LOANS01"))

    moved = ok(loanwatch("facility set jb --channel C0TREASURY"))
    again = ok(loanwatch("facility set jb --channel C0TREASURY"))

    assert moved.out.strip() == "jb's alerts go to C0TREASURY from now on"
    assert again.out.strip() == "nothing changed: jb's alerts already go to C0TREASURY"
    assert the_facility(loanwatch)["channel"] == "C0TREASURY"
    (record,) = audited(loanwatch, "facility.channel")
    assert (record["before"]["alert_channel"], record["after"]["alert_channel"]) == (
        "C0LOANS01",
        "C0TREASURY",
    )

    back = ok(loanwatch("facility set jb --channel -"))

    assert back.out.strip() == (
        "jb's alerts go to the default channel (LOANWATCH_DEFAULT_ALERT_CHANNEL) from now on"
    )
    assert the_facility(loanwatch)["channel"] is None
    assert len(audited(loanwatch, "facility.channel")) == 2


def test_values_it_already_has_say_nothing_changed_and_write_nothing(
    loanwatch: Loanwatch,
) -> None:
    """The limit, a threshold at its default, the default channel and rotation, as they are:
    one "nothing changed" line for each, and no audit record, no terms version."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000"))
    before = everything(loanwatch)

    answer = ok(
        loanwatch(
            "facility set jb --limit 100k --threshold bill_lead_days=- --channel - --rotation -"
        )
    )

    assert answer.out.splitlines() == [
        "nothing changed: jb's terms are already those",
        "nothing changed: jb's alerts already go to the default channel "
        "(LOANWATCH_DEFAULT_ALERT_CHANNEL)",
        "nothing changed: jb's alerts already escalate to the default rotation",
    ]
    assert everything(loanwatch) == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--limit 0", "is zero"),
        ("--limit lots", "limit"),
        ("--channel general", "'general' is not a Slack channel id"),
        ("--threshold nope=5", "unknown threshold 'nope'"),
        ("--threshold limit_drop_percent=500", "percentage from 1 to 100"),
        ("--threshold bill_lead_days=soon", "whole number"),
        ("--threshold bill_lead_days", "NAME=VALUE"),
        ("--rotation nobody", "no rotation named 'nobody'"),
        ("--readings sometimes", "sometimes"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    loanwatch: Loanwatch, options: str, message: str
) -> None:
    """Beside good changes (a new limit, an owner, a channel), one bad value refuses the whole
    command: exit 2, one line on stderr saying why, nothing on stdout, nothing written."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000"))
    before = everything(loanwatch)

    refused = loanwatch(
        f"facility set jb --rounding half-up --owner U0DANA --channel C0TREASURY {options}"
        if "--channel" not in options
        else f"facility set jb --limit 150k --owner U0DANA {options}"
    )

    assert refused.status == 2
    assert len(refused.err.strip().splitlines()) == 1, refused.err
    assert message in refused.err
    assert refused.out == ""
    assert everything(loanwatch) == before
