"""`loanwatch check` tells the admins once that a year's holidays are unknown, until they add them.

The cast: Alice's Jiebei line has a 6-month draw logged on 10 October of the last year
`chinesecalendar` knows (LAST_KNOWN, 2026 today), so its third installment falls due on 10
January of the next year (UNKNOWN), whose holidays nobody has published yet. Alice runs `check
--at` on days of that December; the notices go to the console.
"""

import json
import shlex
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.cli.alerts import ADMIN_ALERTS_NOWHERE
from bot.db import transaction
from bot.holidays import missing_holidays_note
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line, log_draw
from tests.support.calendar_years import LAST_KNOWN, UNKNOWN
from tests.support.fake_slack import FakeSlack

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    """Run a loanwatch command line against the test database; returns (status, out, err)."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.delenv("LOANWATCH_HOLIDAYS_FILE", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def draw_into_next_year(sessions: sessionmaker[Session]) -> None:
    """Alice's 6-month draw of 10 October LAST_KNOWN: due the 10th, the third on 10 January."""
    logged = datetime(LAST_KNOWN, 10, 10, 10, 0, tzinfo=SHANGHAI)
    with transaction(sessions) as session:
        line = jiebei_line(session, ALICE, logged)
        log_draw(session, ALICE, line, "10000.00", 6, date(LAST_KNOWN, 10, 10), now=logged)


def holidays_alerts(loanwatch) -> list[dict]:
    status, out, _ = loanwatch("export alerts --format json")
    assert status == 0
    return [a for a in json.loads(out) if a["check"] == "holidays_unknown"]


def test_check_tells_once_that_next_years_holidays_are_unknown_and_how_to_add_them(
    loanwatch, draw_into_next_year
) -> None:
    """A month before the January due date: one warning for the admins, with what loanwatch
    does meanwhile and the setting that fixes it; the next day's check tells nobody again."""
    status, out, err = loanwatch(f"check --at {LAST_KNOWN}-12-12T10:00")
    assert status == 0, err
    assert "Warning: holidays_unknown on loanwatch (alert " in out
    assert missing_holidays_note(UNKNOWN) in out

    status, out, _ = loanwatch(f"check --at {LAST_KNOWN}-12-13T10:00")
    assert "holidays_unknown" not in out

    [alert] = holidays_alerts(loanwatch)
    assert (alert["severity"], alert["state"], alert["fingerprint"]) == (
        "warning",
        "open",
        f"holidays_unknown:-:{UNKNOWN}",
    )


def test_checks_summary_counts_the_holidays_alert_it_opened(loanwatch, draw_into_next_year) -> None:
    """The summary line's counts are true: besides an alert per finding, the holidays alert
    this check opened is counted as opened (4 findings, 5 alerts opened)."""
    status, out, err = loanwatch(f"check --at {LAST_KNOWN}-12-12T10:00")
    assert status == 0, err
    assert ": 4 findings; alerts 5 opened," in out

    status, out, _ = loanwatch(f"check --at {LAST_KNOWN}-12-13T10:00")
    assert "alerts 0 opened," in out


def test_nothing_is_said_while_no_due_date_in_the_unknown_year_is_near(
    loanwatch, draw_into_next_year
) -> None:
    """In November the January installment is more than a month away: no holidays alert yet."""
    status, out, err = loanwatch(f"check --at {LAST_KNOWN}-11-20T10:00")

    assert status == 0, err
    assert "holidays_unknown" not in out
    assert holidays_alerts(loanwatch) == []


def test_the_alert_resolves_by_itself_once_the_admin_adds_the_year(
    loanwatch, draw_into_next_year, monkeypatch, tmp_path: Path
) -> None:
    """The admin puts the year in LOANWATCH_HOLIDAYS_FILE: the next check resolves the alert,
    saying why, and opens no other."""
    loanwatch(f"check --at {LAST_KNOWN}-12-12T10:00")
    holidays = tmp_path / "holidays.toml"
    holidays.write_text(f'[{UNKNOWN}]\nholidays = ["{UNKNOWN}-01-01"]\n')
    monkeypatch.setenv("LOANWATCH_HOLIDAYS_FILE", str(holidays))

    status, out, err = loanwatch(f"check --at {LAST_KNOWN}-12-13T10:00")

    assert status == 0, err
    assert "holidays_unknown on loanwatch" in out
    assert "resolved: the condition has cleared" in out
    [alert] = holidays_alerts(loanwatch)
    assert (alert["state"], alert["resolve_reason"]) == (
        "resolved",
        f"{UNKNOWN}'s holidays are known now",
    )


def test_with_no_channel_for_admin_alerts_check_prints_it_counts_it_and_warns_once(
    loanwatch, draw_into_next_year, monkeypatch
) -> None:
    """No LOANWATCH_DEFAULT_ALERT_CHANNEL, no LOANWATCH_ADMINS, no Slack: the holidays alert is
    printed and counted among the notifications, and check warns once (on stderr) that admin
    alerts have nowhere to go in Slack."""
    monkeypatch.delenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", raising=False)
    monkeypatch.delenv("LOANWATCH_ADMINS", raising=False)

    status, out, err = loanwatch(f"check --at {LAST_KNOWN}-12-12T10:00")

    assert status == 0, err
    assert "Warning: holidays_unknown on loanwatch (alert " in out
    assert "alerts 5 opened, 0 still firing, 0 resolved, 0 reminders; 5 notifications" in out
    assert err.count(ADMIN_ALERTS_NOWHERE) == 1


def test_with_slack_and_no_default_channel_admin_alerts_go_to_the_first_admins_dm(
    loanwatch, draw_into_next_year, monkeypatch
) -> None:
    """Slack, no default channel, LOANWATCH_ADMINS=S0FINANCE,U0DANA: the holidays alert reaches
    Dana's direct message with the app (so do the dead letters of the lines' alerts, which
    have no channel either), and check warns of nothing."""
    monkeypatch.delenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", raising=False)
    monkeypatch.setenv("LOANWATCH_ADMINS", "S0FINANCE,U0DANA")
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)

        status, _, err = loanwatch(f"check --at {LAST_KNOWN}-12-12T10:00")

        assert status == 0, err
        assert ADMIN_ALERTS_NOWHERE not in err
        told = [m.text for m in slack.messages("D0DANA")]
        assert sum("holidays_unknown" in text for text in told) == 1
        assert any("delivery_failed" in text for text in told)


@pytest.fixture
def bank_due_on_a_sunday(sessions: sessionmaker[Session]) -> None:
    """A line whose banks collect on the next business day (`following`), its 1-month draw of
    10 December LAST_KNOWN due Sunday 10 January UNKNOWN, with nothing paid."""
    logged = datetime(LAST_KNOWN, 12, 10, 10, 0, tzinfo=SHANGHAI)
    with transaction(sessions) as session:
        line = jiebei_line(session, ALICE, logged)
        line.holiday_rule = "following"
        log_draw(session, ALICE, line, "10000.00", 1, date(LAST_KNOWN, 12, 10), now=logged)


def test_the_money_at_risk_in_a_message_is_collected_on_the_admins_calendar(
    loanwatch, bank_due_on_a_sunday, monkeypatch, tmp_path: Path
) -> None:
    """The admin's holidays file makes Monday 11 January a holiday: the bank collects on the
    12th, and the alert's message says so, as the check's own words do (the message read the
    library's calendar, which does not know the year, and said the 11th)."""
    holidays = tmp_path / "holidays.toml"
    holidays.write_text(f'[{UNKNOWN}]\nholidays = ["{UNKNOWN}-01-11"]\n')
    monkeypatch.setenv("LOANWATCH_HOLIDAYS_FILE", str(holidays))

    status, out, err = loanwatch(f"check --at {UNKNOWN}-01-05T10:00")

    assert status == 0, err
    assert f"due {UNKNOWN}-01-10, collected {UNKNOWN}-01-12" in out
    assert f"collected {UNKNOWN}-01-11" not in out
