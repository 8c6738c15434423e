"""What Alice typed wrong, refused in LOANWATCH_LANGUAGE (issue 16): an id that is not one, an
amount, a count, a time, a negative whole number, an implausible daily rate, a date format, a
platform contact's language, a backup's empty name, and an admin's calendar file.

Each refusal names what was being read in the reader's words (额度, 期数, 截至时间), never the
option's English name, and says which command lists an id in a whole Chinese sentence. Click
puts its own "Invalid value for '--limit':" before a value it refuses (click's words stay
English, docs/languages.md): the pseudo-locale check reads what follows it.
"""

import re
from pathlib import Path

import pytest

from bot.i18n import PSEUDO, ZH
from tests.cli.test_ledger_commands import (
    Loanwatch,
    Outcome,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)
from tests.support.databases import sqlite_copy
from tests.support.pseudo import unmarked

CHINESE_ERROR = "loanwatch：错误："
# Click's own words before a value it refuses: English in every language, by design.
CLICKS_PREFIX = re.compile(r"Invalid value for '[^']*': ")
MAPPING = 'mapping add cmb --kind bills --columns "due_date=还款日,amount=应还金额"'


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database, with a line at jiebei."""
    run = loanwatch_on(database_url, capsys)
    ok(run("facility add jb --platform jiebei --limit 100,000 --daily-rate 0.04%"))
    return run


def refused(outcome: Outcome) -> str:
    """The one error line of a refused command (exit 2, nothing on stdout)."""
    assert outcome.status == 2, outcome
    assert outcome.out == ""
    (line,) = outcome.err.splitlines()
    return line


# The command; the Chinese words its line must hold; the data in it; English that must not be.
REFUSALS = {
    "an outbox id": (
        "outbox retry abc",
        ["“abc”不是有效的发件箱消息编号", "哪条发件箱消息"],
        ["`loanwatch outbox list`"],
        ["outbox message", "from `"],
    ),
    "a repayment id": (
        "repay remove jb abc --reason typo",
        ["“abc”不是有效的还款编号", "哪笔还款"],
        ["`loanwatch export repayments`"],
        ["a repayment", "from `"],
    ),
    "an alert id": (
        "alert ack abc",
        ["“abc”不是有效的告警编号", "哪条告警"],
        ["`loanwatch alert list`"],
        ["an alert", "from `"],
    ),
    "a silence id": (
        "silence remove 0",
        ["“0”不是有效的静默编号", "哪条静默"],
        ["`loanwatch silence list`"],
        ["a silence", "from `"],
    ),
    "a negative limit": (
        "facility set jb --limit -5",
        ["额度", "是负数"],
        ["-5"],
        ["limit amount"],
    ),
    "a term of 0 months": (
        "draw add jb 1000 --months 0",
        ["超出期数的范围"],
        ["1 至 360"],
        ["months"],
    ),
    "a draw date": (
        "draw add jb 1000 --months 3 --on 2026-02-30",
        ["借款日期“2026-02-30”不是有效日期"],
        [],
        ["drawn on"],
    ),
    "an as-of time": (
        "check --at yesterday",
        ["截至时间“yesterday”不是有效时间"],
        [],
        ["at“"],
    ),
    "a negative threshold": (
        "facility set jb --threshold bill_lead_days=-3",
        ["“-3”是负数", "0 至 366 之间的整数"],
        ["bill_lead_days"],
        ["不是整数"],
    ),
    "an implausible daily rate": (
        "facility set jb --daily-rate 4%",
        ["即日利率 4.00%", "没有哪家机构日息达到 1% 或以上"],
        ['"4%"'],
        ["%/day"],
    ),
    "a strftime directive": (
        f"{MAPPING} --date-format %Q",
        ["日期格式“%Q”不是有效的 strftime 格式", "不是格式代码"],
        ["%Q 不是", "%Y/%m/%d"],
        ["bad directive", "'Q'"],
    ),
    "a lone %": (
        f"{MAPPING} --date-format '%Y%m%d %'",
        ["末尾多了一个单独的 %"],
        ["%Y%m%d %"],
        ["stray"],
    ),
    "a platform contact's language": (
        "platform contact jiebei --via manual --language fr",
        ["不支持的语言", "可选"],
        ["fr", "zh-CN"],
        ["is not one of"],
    ),
    "an empty backup name": (
        "db backup ''",
        ["请指定备份要写入的新文件名"],
        ["loanwatch-backup.db"],
        [". 已存在"],
    ),
}


@pytest.mark.parametrize(("command", "said", "data", "absent"), REFUSALS.values(), ids=REFUSALS)
def test_a_refusal_in_chinese_names_what_was_read_in_chinese(
    loanwatch: Loanwatch,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    said: list[str],
    data: list[str],
    absent: list[str],
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)

    line = refused(loanwatch(command))

    assert line.startswith(CHINESE_ERROR), line
    for words in (*said, *data):
        assert words in line, (words, line)
    ours = CLICKS_PREFIX.sub("", line)  # click names the option as typed: --months
    for english in absent:
        assert english not in ours, (english, line)


def test_every_refusal_goes_through_the_catalogs(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", PSEUDO)

    lines = [refused(loanwatch(command)) for command, *_ in REFUSALS.values()]

    assert all(line.startswith("⟦loanwatch: error: ") for line in lines), lines
    said = [CLICKS_PREFIX.sub("", line) for line in lines]
    typed = {"abc", "jb", "yesterday", "bill_lead_days", "fr", "zh", "en", "strftime", "db"}
    assert unmarked(said, allowed=typed) == []


def test_english_says_what_it_said_and_what_was_wrong(loanwatch: Loanwatch) -> None:
    """English keeps its words where tests and docs pin them, and says the new refusals."""
    english = {
        "outbox retry abc": (
            '"abc" is not an outbox message id; say which outbox message by its number from '
            "`loanwatch outbox list`, e.g. 12"
        ),
        "repay remove jb abc --reason typo": (
            '"abc" is not a repayment id; say which repayment by its number from '
            "`loanwatch export repayments`, e.g. 12"
        ),
        "facility set jb --limit -5": 'limit amount "-5" is negative',
        "draw add jb 1000 --months 0": "0 is not in the range 1 to 360 for months",
        "facility set jb --threshold bill_lead_days=-3": (
            'threshold bill_lead_days "-3" is negative; write a whole number from 0 to 366'
        ),
        "facility set jb --daily-rate 4%": 'daily rate "4%" would be 4.00%/day',
        f"{MAPPING} --date-format %Q": (
            'date format "%Q" is not a strftime format: %Q is not a directive; write it like '
        ),
        "db backup ''": "name the new file to back up into, e.g. loanwatch-backup.db",
    }
    for command, says in english.items():
        line = refused(loanwatch(command))
        assert line.startswith("loanwatch: error: "), line
        assert says in line, (command, line)


def test_a_platform_contact_takes_a_language_as_every_command_does(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--language zh-CN` (or zh_CN, 中文, en), as `facility set` takes it; Chinese by default."""
    for typed, shown in (("zh-CN", "zh-CN"), ("中文", "zh-CN"), ("zh", "zh-CN"), ("EN", "en")):
        said = ok(loanwatch(f"platform contact jiebei --via manual --language {typed}")).out
        assert said.strip() == (
            f"jiebei: contact by manual, {shown}, follow up after 2 business days"
        ), said
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    help_text = ok(loanwatch("platform contact --help")).out
    assert "平台阅读工单所用的语言：zh-CN 或 en" in help_text
    assert "联系方式：email 或 webhook" in help_text


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """An embedded SQLite database, migrated and empty: what `db backup` is for."""
    return sqlite_copy(_sqlite_template, tmp_path)


def test_a_backup_into_a_folder_names_the_folder(
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`db backup` is the embedded SQLite database's: on one, a folder given as the backup's
    name is refused naming a file inside it."""
    loanwatch = loanwatch_on(sqlite_url, capsys)
    folder = tmp_path / "backups"
    folder.mkdir()
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)

    line = refused(loanwatch(f"db backup {folder}"))

    assert line == (
        f"{CHINESE_ERROR}{folder} 是文件夹；请指定其中的一个新文件名，如 "
        f"{folder / 'loanwatch-backup.db'}"
    )


CALENDARS = {
    "not TOML": (b"[2027\n", ["第 1 行第 6 列不符合 TOML 格式"], ["Expected"]),
    "GB18030": (
        "# 国务院通知\n[2027]\n".encode("gb18030"),
        ["不是 UTF-8 文本（第 3 个字节）", "请另存为 UTF-8 编码"],
        ["codec", "decode"],
    ),
}


@pytest.mark.parametrize(("content", "said", "absent"), CALENDARS.values(), ids=CALENDARS)
def test_a_bad_calendar_file_is_refused_in_chinese(
    loanwatch: Loanwatch,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    content: bytes,
    said: list[str],
    absent: list[str],
) -> None:
    path = tmp_path / "holidays.toml"
    path.write_bytes(content)
    monkeypatch.setenv("LOANWATCH_HOLIDAYS_FILE", str(path))
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)

    line = refused(loanwatch("check"))

    assert line.startswith(f"{CHINESE_ERROR}日历文件 {path}"), line
    for words in said:
        assert words in line, (words, line)
    for english in absent:
        assert english not in line, (english, line)
