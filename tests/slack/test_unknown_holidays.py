"""A year whose holidays loanwatch lacks is said where people look: `/loan status` and App Home.

The clock stands on 10 December of the last year `chinesecalendar` knows (2026 with the release
pinned today); the next year (UNKNOWN) has no official holidays. Alice logs a 12-month Jiebei
draw, whose first installment falls due on 10 January of UNKNOWN; Charlie, a viewer, looks.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.models.views import View

from bot.holidays import missing_holidays_note, missing_holidays_said
from bot.i18n import ZH, use
from bot.settings import Settings
from tests.support.calendar_years import LAST_KNOWN, UNKNOWN
from tests.support.clock import Clock
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import ALICE, CHARLIE, SlackApp, app_settings


@pytest.fixture
def clock() -> Clock:
    """10 December of the last year with official holidays, 10:00 in Shanghai."""
    return Clock(datetime(LAST_KNOWN, 12, 10, 2, 0, tzinfo=UTC))


def home_text(app: SlackApp, slack: FakeSlack) -> str:
    """Charlie opens App Home; the view published for him, as JSON text."""
    app.event({"type": "app_home_opened", "user": CHARLIE, "tab": "home"})
    published = [v for v in slack.views if v["method"] == "views.publish"][-1]
    View(**published).validate_json()
    return json.dumps(published, ensure_ascii=False)


def test_status_and_home_say_next_years_holidays_are_unknown_once_a_due_date_is_near(
    app: SlackApp, jiebei, slack
) -> None:
    """Nothing due next year: no word of it. A draw due on 10 January: status and Home both say
    the year's holidays are unknown, what that does, and how an admin adds them."""
    note = missing_holidays_note(UNKNOWN)
    assert note not in app.command("status", user=CHARLIE).text
    assert note not in home_text(app, slack)

    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    status = app.command("status", user=CHARLIE).text
    home = home_text(app, slack)

    assert status.startswith(f"⚠️ {note}")
    assert note in home
    for words in (
        f"{UNKNOWN}'s official holidays are not known",
        "weekends as the only days off",
        f"holidays and make-up workdays under [{UNKNOWN}]",
        "LOANWATCH_HOLIDAYS_FILE",
    ):
        assert words in note


def test_status_stops_saying_it_once_the_admin_added_the_year(
    jiebei, sessions, clock, slack, database_url, tmp_path: Path
) -> None:
    """With the year in LOANWATCH_HOLIDAYS_FILE, status and Home no longer warn about it."""
    holidays = tmp_path / "holidays.toml"
    holidays.write_text(f'[{UNKNOWN}]\nholidays = ["{UNKNOWN}-01-01"]\n')
    settings: Settings = app_settings(
        database_url, slack.api_url, LOANWATCH_HOLIDAYS_FILE=str(holidays)
    )
    with SlackApp.start(settings, sessions, clock=clock) as app:
        app.command("draw jiebei-main 10,000 12m", user=ALICE)
        status = app.command("status", user=CHARLIE).text
        home = home_text(app, slack)

    assert "official holidays are not known" not in status
    assert "official holidays are not known" not in home
    assert "*jiebei-main*: limit ¥200,000.00 · used ¥10,000.00" in status


def test_a_chinese_reader_is_told_in_chinese_on_home_as_in_status(
    app: SlackApp, jiebei, slack
) -> None:
    """Charlie reads Chinese: the note on App Home is the one `/loan status` gives him, in
    Chinese, not the English kept for the alert."""
    slack.locales[CHARLIE] = "zh-CN"
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    with use(ZH):
        said = missing_holidays_said(UNKNOWN)

    home = home_text(app, slack)

    assert said in app.command("status", user=CHARLIE).text
    assert said in home
    assert missing_holidays_note(UNKNOWN) not in home
    assert "节假日" in said
    assert str(UNKNOWN) in said
