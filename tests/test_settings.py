"""Settings: defaults a new install can live with, and `.env.example` that lists every one."""

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from tests.support.calendar_years import UNKNOWN

ROOT = Path(__file__).resolve().parent.parent


def _example_keys() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_env_example_lists_every_setting_with_its_default(monkeypatch) -> None:
    """Each setting's environment name is in .env.example, with the default the code uses."""
    for name in _example_keys():
        monkeypatch.delenv(name, raising=False)
    defaults = Settings(_env_file=None)
    example = _example_keys()
    for name, field in Settings.model_fields.items():
        assert field.validation_alias in example, (
            f"{field.validation_alias} missing from .env.example"
        )
        value = getattr(defaults, name)
        assert example[field.validation_alias] == ("" if value is None else str(value))
    assert set(example) == {f.validation_alias for f in Settings.model_fields.values()}


def test_env_example_read_as_the_env_file_gives_exactly_the_defaults(monkeypatch) -> None:
    """`cp .env.example .env` changes nothing: every setting is its default, blank ones unset."""
    for name in _example_keys():
        monkeypatch.delenv(name, raising=False)
    example = Settings(_env_file=ROOT / ".env.example")
    assert example.model_dump() == Settings(_env_file=None).model_dump()
    assert example.holidays_file is None


# Settings that may be left unset: their default is None.
OPTIONAL = {f.validation_alias: n for n, f in Settings.model_fields.items() if f.default is None}


@pytest.mark.parametrize("name", OPTIONAL)
@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_an_optional_setting_left_blank_is_not_set(monkeypatch, name, blank) -> None:
    """`NAME=` in the environment or a .env file means the setting is not set at all."""
    monkeypatch.setenv(name, blank)
    assert getattr(Settings(_env_file=None), OPTIONAL[name]) is None


def test_check_runs_with_env_example_copied_to_env(tmp_path) -> None:
    """The README's first steps, word for word: `cp .env.example .env`, `db upgrade`, a
    facility, `check`: the check runs and exits 0."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    ours = {f.validation_alias for f in Settings.model_fields.values()}
    environment = {k: v for k, v in os.environ.items() if k not in ours}
    loanwatch = str(Path(sys.executable).with_name("loanwatch"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [loanwatch, *args], cwd=tmp_path, env=environment, capture_output=True, text=True
        )

    for setup in (
        ["db", "upgrade"],
        ["facility", "add", "jiebei-main", "--platform", "jiebei", "--limit", "300,000"],
        ["limit", "add", "jiebei-main", "0", "--status", "frozen"],
    ):
        assert run(*setup).returncode == 0
    checked = run("check")
    assert checked.returncode == 0, checked.stderr
    assert "limit_frozen" in checked.stdout


def test_the_default_database_is_a_sqlite_file(monkeypatch) -> None:
    """Without DATABASE_URL, loanwatch uses ./loanwatch.db: nothing to set up for one team."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings(_env_file=None).database_url == "sqlite:///./loanwatch.db"


def test_a_plain_postgresql_url_uses_psycopg_3(monkeypatch) -> None:
    """postgresql:// URLs get the psycopg 3 driver we ship, not psycopg2."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/loanwatch")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://u:p@db:5432/loanwatch"


def test_an_unknown_time_zone_is_refused(monkeypatch) -> None:
    """A typo in LOANWATCH_TIMEZONE is caught at start-up, not at the first due date."""
    monkeypatch.setenv("LOANWATCH_TIMEZONE", "Asia/Shangai")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(_env_file=None)


def test_the_default_alert_channel_must_be_a_channel_id(monkeypatch) -> None:
    """`#loan-alerts` is refused with how to find the id; an id or nothing is fine."""
    monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", "#loan-alerts")
    with pytest.raises(ValidationError, match="not a Slack channel id"):
        Settings(_env_file=None)
    monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", "C0123ABCD")
    assert Settings(_env_file=None).default_alert_channel == "C0123ABCD"
    monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", "")
    assert Settings(_env_file=None).default_alert_channel is None


def test_roles_take_only_slack_ids(monkeypatch) -> None:
    """A name in LOANWATCH_ADMINS is refused at start-up, not silently ignored."""
    monkeypatch.setenv("LOANWATCH_ADMINS", "U0DANA, dana")
    with pytest.raises(ValidationError, match="'dana' is not a Slack user id"):
        Settings(_env_file=None)


def test_the_alert_policy_is_the_one_the_alert_settings_describe(monkeypatch) -> None:
    """Ack expiry, storm size and the default channel reach the alerts as they were set."""
    monkeypatch.setenv("LOANWATCH_ACK_EXPIRY_HOURS", "6")
    monkeypatch.setenv("LOANWATCH_STORM_THRESHOLD", "12")
    monkeypatch.setenv("LOANWATCH_DEFAULT_ALERT_CHANNEL", "C0123ABCD")
    policy = Settings(_env_file=None).alert_policy()
    assert policy.ack_expiry == timedelta(hours=6)
    assert policy.storm_threshold == 12
    assert policy.default_channel == "C0123ABCD"


def test_the_calendar_reads_the_admins_holidays_file(monkeypatch, tmp_path) -> None:
    """With LOANWATCH_HOLIDAYS_FILE, a year the library lacks is known; without it, it is not."""
    monkeypatch.delenv("LOANWATCH_HOLIDAYS_FILE", raising=False)
    assert not Settings(_env_file=None).calendar().known(UNKNOWN)
    path = tmp_path / "holidays.toml"
    path.write_text(f'[{UNKNOWN}]\nholidays = ["{UNKNOWN}-01-01"]\n', encoding="utf-8")
    monkeypatch.setenv("LOANWATCH_HOLIDAYS_FILE", str(path))
    assert Settings(_env_file=None).calendar().known(UNKNOWN)
