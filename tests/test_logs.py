"""bot/logs.py: what a log line looks like, and what it never shows."""

import io
import json
import logging
from urllib.error import URLError

import pytest

from bot.logs import REDACTED, bound, configure_logging, redact
from bot.settings import Settings

BOT_TOKEN = "xoxb-11-22-abcDEF"


def configured(log_format: str, monkeypatch, password: str = "pw42-long") -> io.StringIO:
    monkeypatch.setenv("ICBC_WEBHOOK_SECRET", "icbc-hook-secret-42")
    monkeypatch.setenv("FEATURE_TOKEN_ROTATION", "disabled")
    out = io.StringIO()
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        LOANWATCH_SMTP_PASSWORD=password,
        LOANWATCH_LOG_FORMAT=log_format,
    )
    configure_logging(settings, stream=out)
    return out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("token xoxb-123-456-abc", f"token {REDACTED}"),
        ("app token xapp-1-A0-99-ff", f"app token {REDACTED}"),
        ("Authorization: Bearer lwt_abcdefghijklmnop", f"Authorization: Bearer {REDACTED}"),
        ("a stray lwt_abcdefghijkl token", f"a stray {REDACTED} token"),
        ("postgresql+psycopg://lw:hunter22@db/lw", f"postgresql+psycopg://lw:{REDACTED}@db/lw"),
        ("https://h.example/in?token=abc&team=T1", f"https://h.example/in?token={REDACTED}&team={REDACTED}"),
        ("sig v0=" + "a" * 64, f"sig v0={REDACTED}"),
        ("limit ¥200,000.00 at 09:00, outbox 7?", "limit ¥200,000.00 at 09:00, outbox 7?"),
    ],
)  # fmt: skip
def test_secret_shapes_are_redacted_and_ordinary_words_are_not(text: str, shown: str) -> None:
    """Slack and API tokens, bearer headers, URL passwords and query values, signatures go;
    amounts, times and questions stay."""
    assert redact(text) == shown


def test_a_json_line_has_time_level_event_logger_and_the_bound_ids(
    monkeypatch, restored_logging
) -> None:
    """A stdlib logger's record, inside `bound(...)`: one JSON object, UTC time, the ids; the
    ids left None are not there."""
    out = configured("json", monkeypatch)

    with bound(alert_id=3, outbox_id=7, ticket_id=None):
        logging.getLogger("jobs.delivery").info("outbox %s: attempt %d", 7, 2)

    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "outbox 7: attempt 2"
    assert (record["level"], record["logger"]) == ("info", "jobs.delivery")
    assert (record["alert_id"], record["outbox_id"]) == (3, 7)
    assert "ticket_id" not in record
    assert record["time"].endswith("Z")


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_traceback_shows_no_secret_from_the_settings_or_the_environment(
    log_format, monkeypatch, restored_logging
) -> None:
    """An exception quoting the bot token, the SMTP password and a webhook secret (from an
    environment variable named …_SECRET) is logged with all three redacted; a flag that only
    has a secret's name is not taken for one."""
    out = configured(log_format, monkeypatch)

    try:
        raise RuntimeError(f"refused {BOT_TOKEN} pw42-long icbc-hook-secret-42, rotation disabled")
    except RuntimeError:
        logging.getLogger("waitress").exception("task failed")

    text = out.getvalue()
    assert "task failed" in text
    assert f"refused {REDACTED} {REDACTED} {REDACTED}, rotation disabled" in text
    if log_format == "json":
        assert len(text.splitlines()) == 1
        assert "Traceback" in json.loads(text)["exception"]


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_short_password_is_warned_about_and_never_damages_a_line(
    log_format, monkeypatch, restored_logging
) -> None:
    """LOANWATCH_SMTP_PASSWORD=info: one warning at start-up names the setting (not the
    value); levels, words, times stay as they are, so nothing gives the password away."""
    out = configured(log_format, monkeypatch, password="info")

    logging.getLogger("jobs.worker").info("checks at 12:00: see docs/information.md")

    text = out.getvalue()
    assert REDACTED not in text
    assert "LOANWATCH_SMTP_PASSWORD is shorter than 8 characters" in text
    assert "see docs/information.md" in text
    if log_format == "json":
        records = [json.loads(line) for line in text.splitlines()]
        assert [record["level"] for record in records] == ["warning", "info"]


def test_a_secret_is_replaced_as_a_whole_token_only(monkeypatch, restored_logging) -> None:
    """A password is hidden where it stands alone, never cut out of a longer word."""
    out = configured("json", monkeypatch, password="sesame-open")

    logging.getLogger("jobs.worker").info("login sesame-open; the sesame-opener stays")

    record = json.loads(out.getvalue().splitlines()[-1])
    assert record["event"] == f"login {REDACTED}; the sesame-opener stays"


def test_a_token_in_the_path_of_slack_api_url_is_redacted_from_slack_sdk_lines(
    monkeypatch, restored_logging
) -> None:
    """A proxy URL carrying a token in its path: slack_sdk's DEBUG line naming the request's
    URL shows the proxy and the method, not the token."""
    from slack_sdk import WebClient

    out = io.StringIO()
    api_url = "http://127.0.0.1:1/PATHTOKEN-abcdef123456/api/"
    settings = Settings(
        _env_file=None,
        SLACK_API_URL=api_url,
        LOANWATCH_LOG_FORMAT="json",
        LOANWATCH_LOG_LEVEL="DEBUG",
    )
    configure_logging(settings, stream=out)

    with pytest.raises(URLError, match="refused"):
        WebClient(token=BOT_TOKEN, base_url=settings.slack_api_url, timeout=1).auth_test()

    text = out.getvalue()
    assert f"http://127.0.0.1:1/{REDACTED}/api/auth.test" in text
    assert "PATHTOKEN-abcdef123456" not in text
