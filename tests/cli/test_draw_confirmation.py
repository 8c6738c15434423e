"""A draw the money arrived for stops being `draw_unconfirmed`: by a reading, or by Alice saying so.

The cast: Alice, the treasurer, logs a 20,000.00 draw on her Weilidai line today and runs the
checks two days on, as `loanwatch check --at` (the draw was logged on the real clock).
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.test_ledger_commands import Loanwatch, loanwatch_on, ok

IN_TWO_DAYS = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="minutes")


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch) -> Loanwatch:
    """`loanwatch` typed by Alice on the test's migrated, empty database, with one 20,000 draw."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "alice")
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add wl --platform weilidai --limit 200000 --daily-rate 0.05%"))
    ok(run("draw add wl 20000 --months 6"))
    return run


def _open_checks(loanwatch: Loanwatch) -> list[str]:
    alerts = json.loads(ok(loanwatch("export alerts --format json")).out)
    return [alert["check"] for alert in alerts if alert["state"] != "resolved"]


def test_a_reading_with_available_down_by_the_draw_confirms_it(loanwatch) -> None:
    """Issue 11: 200,000 limit, 180,000 available after a 20,000 draw: no draw_unconfirmed."""
    ok(loanwatch("limit add wl 200000 --available 180000"))
    loanwatch(f"check --at {IN_TWO_DAYS}")
    assert "draw_unconfirmed" not in _open_checks(loanwatch)


def test_a_reading_that_does_not_show_the_draw_leaves_it_unconfirmed(loanwatch) -> None:
    """Available still 200,000 two days on: the money may never have left."""
    ok(loanwatch("limit add wl 200000 --available 200000"))
    loanwatch(f"check --at {IN_TWO_DAYS}")
    assert "draw_unconfirmed" in _open_checks(loanwatch)


def test_alice_confirms_a_draw_and_its_alert_clears(loanwatch) -> None:
    """`draw confirm wl 1`: said once, audited, and the next check resolves the alert."""
    loanwatch(f"check --at {IN_TWO_DAYS}")
    assert "draw_unconfirmed" in _open_checks(loanwatch)

    confirmed = ok(loanwatch("draw confirm wl 1"))
    assert confirmed.out.startswith("draw #1 on wl confirmed: ¥20,000.00 arrived ")
    assert "already confirmed" in ok(loanwatch("draw confirm wl 1")).out

    loanwatch(f"check --at {IN_TWO_DAYS}")
    assert "draw_unconfirmed" not in _open_checks(loanwatch)
    audit = json.loads(ok(loanwatch("export audit --format json")).out)
    assert [row["action"] for row in audit].count("draw.confirm") == 1


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("draw confirm wl 9", "wl has no draw #9"),
        ("draw confirm nowhere 1", "nowhere"),
        (f"draw confirm wl 1 --at {IN_TWO_DAYS}", "is in the future"),
        ("draw confirm wl 1 --at 2020-01-01T09:00", "before draw #1 was drawn"),
    ],
)
def test_a_confirmation_that_cannot_be_true_is_refused_and_changes_nothing(
    loanwatch, command, says
) -> None:
    """A draw that is not there, a time in the future or before the draw: a reason, no change."""
    refused = loanwatch(command)
    assert refused.status != 0
    assert says in refused.err
    draws = json.loads(ok(loanwatch("export draws --format json")).out)
    assert draws[0]["confirmed_at"] is None


def test_a_facility_sets_its_own_bill_critical_days(loanwatch) -> None:
    """`facility set wl --bill-critical-days 7`: stored, said, and exported as its threshold."""
    said = ok(loanwatch("facility set wl --bill-critical-days 7")).out
    assert "a missing bill is critical 7 days ahead" in said
    ok(loanwatch("facility add jb --platform jiebei --limit 100000 --bill-critical-days 5"))
    facilities = json.loads(ok(loanwatch("export facilities --format json")).out)
    critical = [row["thresholds"]["bill_critical_days"] for row in facilities]
    assert critical == ["5", "7"]  # jb, wl
    assert loanwatch("facility set wl --bill-critical-days -1").status != 0


def test_a_confirmation_in_chinese_names_a_zone_only_when_it_is_not_beijings(
    loanwatch, monkeypatch
) -> None:
    """A Chinese terminal: Weilidai's line keeps Beijing time, said bare (…10:30 到账), not
    `（Asia/Shanghai）`; a London line's time is named once (…（GMT） 到账)."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", "zh-CN")
    beijing = ok(loanwatch("draw confirm wl 1")).out
    ok(
        loanwatch(
            "facility add ldn --platform bank --limit 100000 --annual-rate 5% "
            "--timezone Europe/London"
        )
    )
    ok(loanwatch("draw add ldn 1000 --months 3"))
    london = ok(loanwatch("draw confirm ldn 2")).out

    assert beijing.startswith("wl 借款 #1 已确认：¥20,000.00 于 ")
    assert "Asia/Shanghai" not in beijing
    assert "（" in beijing  # the weekday: 12月1日（周二）
    assert beijing.rstrip().endswith(" 到账")
    assert london.count("Europe/London") + london.count("GMT") == 1
    assert "（GMT） 到账" in london
