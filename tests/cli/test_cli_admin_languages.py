"""The admin's errors in the workspace's language (LOANWATCH_LANGUAGE): platform contacts,
escalation ladders, API tokens, the schema guard, `db copy`/`db backup`, the outbox, and the
Slack settings `loanwatch web` needs.

Alice, the IT admin and treasurer, types each command; what she reads is the one
`loanwatch: error:` line. In Chinese it is Chinese and still names what she typed (the
platform, the step, the token, the id); under the pseudo-locale nothing in it is left outside
the catalogs; in English it reads as it always did.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import EXIT_SCHEMA_BEHIND, main
from bot.cli.slack import _http_server
from bot.db_copy import safe_url
from bot.errors import SettingsError
from bot.i18n import PSEUDO, ZH, use
from bot.settings import Settings
from tests.cli.test_ledger_commands import (
    Loanwatch,
    Outcome,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)
from tests.cli.test_outbox_commands import slack  # noqa: F401 - the fake Slack fixture
from tests.support.pseudo import unmarked

LOANWATCH = str(Path(sys.executable).with_name("loanwatch"))
CHINESE_ERROR = "loanwatch：错误："


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def refused(outcome: Outcome, status: int = 2) -> str:
    """The one error line of a refused command (nothing on stdout)."""
    assert outcome.status == status, outcome
    assert outcome.out == ""
    (line,) = outcome.err.splitlines()
    return line


def set_up(loanwatch: Loanwatch) -> None:
    """A line at jiebei and one API token, so errors have names to list."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000"))
    ok(loanwatch("token create rpa --scope observations:write"))


# Each file's representative error: the command, and what its Chinese line must hold (a few
# words of the sentence, and the data Alice typed or has).
CHINESE = {
    "bot/tickets/contacts.py: unknown platform": (
        "platform contact weilidai --via manual",
        ["没有名为", "的平台", "现有平台", "'weilidai'", "jiebei"],
    ),
    "bot/tickets/contacts.py: environment variable": (
        "platform contact jiebei --via webhook --url https://h.example/x --secret-env hook-key",
        ["“hook-key”不是环境变量名", "A-Z"],
    ),
    "bot/tickets/contacts.py: email address": (
        "platform contact jiebei --via email --to nobody",
        ["“nobody”不是电子邮件地址", "support@example.com"],
    ),
    "bot/oncall/policy.py: unknown action": (
        'escalation set critical --steps "0m:oncall,15m:shout"',
        ["步骤“15m:shout”", "'shout' 不是可用的动作", "oncall，dm，next，here，group:S0123ABCD"],
    ),
    "bot/oncall/policy.py: steps out of order": (
        'escalation set critical --steps "15m:dm,5m:here"',
        ["步骤“5m:here”早于“15m:dm”", "顺序"],
    ),
    "bot/oncall/policy.py: repeat": (
        'escalation set warning --steps "0m:oncall" --repeat 99',
        ["--repeat 须为 0 到 10", "99"],
    ),
    "bot/api/tokens.py: unknown token": (
        "token revoke robot",
        ["没有名为 'robot' 的令牌", "现有令牌：rpa"],
    ),
    "bot/api/tokens.py: name in use": (
        "token create rpa --scope observations:read",
        ["名为 'rpa' 的令牌已存在", "吊销 'rpa'"],
    ),
    "bot/alerts/outbox_admin.py: unknown id": (
        "outbox retry 999",
        ["没有编号为 999 的发件箱消息", "`loanwatch outbox list`"],
    ),
    "bot/alerts/outbox_admin.py: no reason": (
        'outbox drop 1 --reason "  "',
        ["请说明放弃这条通知的原因", "--reason"],
    ),
}


@pytest.mark.parametrize(("command", "said"), CHINESE.values(), ids=CHINESE.keys())
def test_admin_errors_in_chinese_name_what_was_typed(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, command: str, said: list[str]
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    set_up(loanwatch)

    line = refused(loanwatch(command))

    assert line.startswith(CHINESE_ERROR), line
    for words in said:
        assert words in line, (words, line)


def test_db_copy_onto_itself_in_chinese_names_the_url(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)

    line = refused(loanwatch(f"db copy --to {database_url}"))

    assert line == f"{CHINESE_ERROR}{safe_url(database_url)} 就是当前数据库；请复制到另一个数据库"


def test_db_backup_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    """SQLite: a file that exists is never overwritten; PostgreSQL: backed up by its own tools."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"kept")

    line = refused(loanwatch(f"db backup {taken}"))

    if database_url.startswith("sqlite"):
        assert line == f"{CHINESE_ERROR}{taken} 已存在；请换一个文件名"
    else:
        assert line.startswith(f"{CHINESE_ERROR}db backup 只用于内置的 SQLite 数据库")
        assert "pg_dump" in line
    assert taken.read_bytes() == b"kept"


def test_a_database_without_tables_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """bot/db.py: every command but `db upgrade` names the command that fixes an empty one."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"

    status = main(["--database-url", empty, "facility", "list"])

    out, err = capsys.readouterr()
    assert refused(Outcome(status, out, err), EXIT_SCHEMA_BEHIND) == (
        f"{CHINESE_ERROR}数据库里还没有 loanwatch 的表：请先运行 `loanwatch db upgrade`"
    )


@pytest.mark.usefixtures("slack")
def test_a_dropped_notice_says_who_dropped_it_and_why_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bot/alerts/outbox_admin.py: retrying a row Alice dropped names her and her reason."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    ok(loanwatch("facility add jb --platform jiebei --limit 200,000"))
    ok(loanwatch("limit add jb 0 --status frozen"))
    ok(loanwatch("check"))  # #loan-alerts does not exist: every notice is a dead letter
    ok(loanwatch('outbox drop 1 --reason "频道已归档"'))

    line = refused(loanwatch("outbox retry 1"))

    assert line == f"{CHINESE_ERROR}发件箱消息 1 已被 cli:alice 放弃：频道已归档；不会再发送"


def web_without_a_signing_secret(database_url: str, tmp_path: Path, language: str) -> str:
    """`loanwatch web` as the admin starts it, with the bot token but no signing secret."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "LOANWATCH_LANGUAGE": language,
        "LOANWATCH_LOG_LEVEL": "WARNING",  # the log (English, for whoever runs the server) aside
    }
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "PROMETHEUS_MULTIPROC_DIR"):
        environment.pop(name, None)
    done = subprocess.run(
        [LOANWATCH, "web"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return refused(Outcome(done.returncode, done.stdout, done.stderr))


def test_web_without_its_signing_secret_says_so_in_chinese(
    database_url: str, tmp_path: Path
) -> None:
    """bot/slack/app.py: the setting is named as it is written, in a Chinese sentence."""
    line = web_without_a_signing_secret(database_url, tmp_path, ZH)

    assert line.startswith(f"{CHINESE_ERROR}未设置 SLACK_SIGNING_SECRET；")
    assert "无法验证来自 Slack 的请求" in line
    assert "SLACK_APP_TOKEN" in line


def test_http_without_a_signing_secret_in_chinese() -> None:
    """bot/cli/slack.py's own guard (behind build_app's, so no command reaches it): the same
    setting, in Chinese."""
    settings = Settings(_env_file=None, DATABASE_URL="sqlite://", SLACK_BOT_TOKEN="xoxb-test")
    assert settings.slack_signing_secret is None
    with use(ZH), pytest.raises(SettingsError) as raised:
        _http_server(settings, object(), object(), object())  # type: ignore[arg-type]
    assert str(raised.value) == "未设置 SLACK_SIGNING_SECRET；通过 HTTP 接收 Slack 请求时必须设置"


# Data, not words to translate: names and values Alice typed, and the database's URL.
DATA = {"jb", "jiebei", "weilidai", "hook-key", "shout", "robot", "rpa", "alice", "taken"}


def test_pseudo_no_admin_error_escapes_the_catalogs(
    loanwatch: Loanwatch,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Under the pseudo-locale every word of each error line went through the catalogs."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", PSEUDO)
    set_up(loanwatch)
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"kept")
    lines = [refused(loanwatch(command)) for command, _said in CHINESE.values()]
    lines += [
        refused(loanwatch("token revoke robot")),
        refused(loanwatch(f"db copy --to {database_url}")),
        refused(loanwatch(f"db backup {taken}")),
        refused(loanwatch("platform contact jiebei --via webhook --secret-env HOOK")),
        refused(loanwatch('escalation set critical --steps "5m:group:everyone"')),
        refused(loanwatch("token create x --scope observations:read")),
    ]
    status = main(["--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "facility", "list"])
    out, err = capsys.readouterr()
    lines.append(refused(Outcome(status, out, err), EXIT_SCHEMA_BEHIND))
    lines.append(web_without_a_signing_secret(database_url, tmp_path, PSEUDO))

    assert all(line.startswith("⟦loanwatch: error: ") for line in lines), lines
    assert unmarked(lines, allowed=DATA) == []


def test_english_is_as_it_was(loanwatch: Loanwatch) -> None:
    """The same errors in English, word for word."""
    set_up(loanwatch)
    english = {
        "platform contact weilidai --via manual": (
            "no platform named 'weilidai'; known platforms: jiebei"
        ),
        "platform contact jiebei --via email --to nobody": (
            '"nobody" is not an email address, e.g. support@example.com'
        ),
        "platform contact jiebei --via webhook --url https://h.example/x --secret-env hook-key": (
            '"hook-key" is not an environment variable name; use A-Z, 0-9 and _'
        ),
        'escalation set critical --steps "0m:oncall,15m:shout"': (
            "step \"15m:shout\": 'shout' is not an action; use one of oncall, dm, next, here, "
            "group:S0123ABCD"
        ),
        'escalation set critical --steps "15m:dm,5m:here"': (
            'step "5m:here" comes before "15m:dm"; list the steps in order'
        ),
        "token revoke robot": "no token named 'robot'; tokens: rpa",
        "token create rpa --scope observations:read": (
            "a token named 'rpa' exists already and is in use; choose another name (and revoke "
            "'rpa' once the new token has replaced it)"
        ),
        "outbox retry 999": (
            "no outbox message with id 999; `loanwatch outbox list` shows the ones not delivered"
        ),
    }
    for command, said in english.items():
        assert refused(loanwatch(command)) == f"loanwatch: error: {said}", command
