"""The CLI in the workspace's language (LOANWATCH_LANGUAGE), and the commands that choose the
language of a facility's and a channel's messages (docs/languages.md).

Alice, the treasurer, types every command on a fake clock (Tuesday 2026-12-01 10:00 in
Shanghai); what she reads is the terminal.
"""

import pytest

from bot.i18n import PSEUDO, ZH
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    export_json,
    loanwatch_on,
    ok,
)
from tests.support.clock import Clock
from tests.support.pseudo import unmarked


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def audited(loanwatch: Loanwatch, action: str) -> list[dict]:
    """The audit records of one action, oldest first."""
    return [e for e in export_json(loanwatch, "audit") if e["action"] == action]


def test_facility_set_language_is_audited_says_nothing_changed_and_goes_back_with_a_dash(
    loanwatch: Loanwatch, terminal_clock: Clock
) -> None:
    """`facility set jb --language zh-CN` writes jb's messages in Chinese from now on, shows in
    `facility list`, and is audited; the same again changes nothing; `-` goes back."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000 --daily-rate 0.04%"))
    assert "language" not in ok(loanwatch("facility list")).out

    said = ok(loanwatch("facility set jb --language zh_CN")).out
    assert said.strip() == "jb's messages are written in zh-CN from now on"
    header, _rule, row = ok(loanwatch("facility list")).out.splitlines()
    assert header.split()[-1] == "language"
    assert row.split()[-1] == "zh-CN"
    (record,) = audited(loanwatch, "facility.language")
    assert (record["before"]["language"], record["after"]["language"]) == (None, "zh-CN")
    assert record["actor"] == "cli:alice"

    again = ok(loanwatch("facility set jb --language 中文")).out
    assert again.strip() == "nothing changed: jb's messages are already written in zh-CN"
    assert len(audited(loanwatch, "facility.language")) == 1

    back = ok(loanwatch("facility set jb --language -")).out
    assert back.strip() == (
        "jb's messages follow its channel's language (else LOANWATCH_LANGUAGE) again"
    )
    assert audited(loanwatch, "facility.language")[-1]["after"]["language"] is None
    assert "language" not in ok(loanwatch("facility list")).out


def test_a_bad_language_is_one_line_naming_the_choices_and_writes_nothing(
    loanwatch: Loanwatch,
) -> None:
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000"))
    before = export_json(loanwatch, "audit")

    refused = loanwatch("facility set jb --language fr --limit 200,000")

    assert refused.status == 2
    assert refused.out == ""
    assert refused.err == ("loanwatch: error: unknown language fr; use one of: en, zh-CN\n")
    assert export_json(loanwatch, "audit") == before
    assert loanwatch("channel set C0ALERTS --language klingon").status == 2


@pytest.mark.parametrize("language", ["", "  "])
def test_an_empty_language_asks_for_one_naming_the_choices_and_the_dash(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    """`--language ""` is no language at all: the error says one is needed and which, not
    "unknown language ;"; in Chinese too."""
    ok(loanwatch("facility add jb --platform jiebei --limit 100,000"))

    refused = loanwatch("facility set jb --language", language)
    channel = loanwatch("channel set C0ALERTS --language", language)
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    chinese = loanwatch("facility set jb --language", language)

    needed = "a language is needed: one of en, zh-CN, or - for the default again"
    assert (refused.status, refused.err) == (2, f"loanwatch: error: {needed}\n")
    assert channel.err == f"loanwatch: error: {needed}\n"
    assert chinese.err.strip() == (
        "loanwatch：错误：需要指定语言：可选 en，zh-CN，或用 - 恢复默认语言"
    )


@pytest.mark.parametrize("language", ["zh-CN,en", "zh-"])
def test_a_workspace_language_that_is_a_list_or_a_broken_tag_is_refused(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", language)

    refused = loanwatch("facility list")

    assert refused.status != 0
    assert f"unknown language {language}; use one of: en, zh-CN" in refused.err


def test_channel_set_and_list(loanwatch: Loanwatch, terminal_clock: Clock) -> None:
    """A channel's own language: set, listed, audited, and `-` for the workspace's again."""
    assert ok(loanwatch("channel list")).out.strip() == (
        "no channel has a language of its own; every one follows LOANWATCH_LANGUAGE"
    )
    said = ok(loanwatch("channel set C0ALERTS --language zh-CN")).out
    assert said.strip() == "messages to C0ALERTS are written in zh-CN from now on"
    ok(loanwatch("channel set C0ENGLISH --language en"))
    listed = ok(loanwatch("channel list")).out.splitlines()
    assert listed[0].split() == ["channel", "language"]
    assert [line.split() for line in listed[2:]] == [["C0ALERTS", "zh-CN"], ["C0ENGLISH", "en"]]
    assert ok(loanwatch("channel set C0ALERTS --language zh")).out.strip() == "nothing changed"
    assert len(audited(loanwatch, "channel.language")) == 2

    back = ok(loanwatch("channel set C0ALERTS --language -")).out
    assert back.strip() == "C0ALERTS follows the workspace's language again"
    listed = ok(loanwatch("channel list")).out.splitlines()
    assert [line.split() for line in listed[2:]] == [["C0ENGLISH", "en"]]
    refused = loanwatch("channel set general --language zh-CN")
    assert refused.status == 2
    assert refused.err.count("\n") == 1


def test_in_chinese(
    loanwatch: Loanwatch, terminal_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LOANWATCH_LANGUAGE=zh-CN, Alice reads her lines, her alerts, and what she set, in
    Chinese; limits also in 万."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    added = ok(loanwatch("facility add jb --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    assert "已添加" in added.out
    assert "¥300,000.00（30万）" in added.out
    ok(loanwatch("draw add jb 290,000 --months 12"))

    listed = ok(loanwatch("facility list")).out
    assert "额度" in listed
    assert "可用额度" in listed
    assert "等额本息" in listed
    assert "日利率 0.04%" in listed
    assert "¥300,000.00（30万）" in listed
    # The holiday rule `none` (collected on the calendar day) is 不顺延, not `none`'s 无.
    assert "不顺延" in added.err
    assert "不顺延" in listed
    assert "无" not in listed

    ok(loanwatch("check"))
    alerts = ok(loanwatch("alert list")).out
    assert "严重" in alerts or "警告" in alerts
    assert "未处理" in alerts
    assert "摘要" in alerts

    assert ok(loanwatch("facility set jb --language zh-CN")).out.strip() == (
        "从现在起，jb 的频道消息使用 zh-CN"
    )
    refused = loanwatch("facility set jb --language fr")
    assert refused.err.startswith("loanwatch：错误：")
    assert ok(loanwatch("channel set C0ALERTS --language zh-CN")).out.strip() == (
        "从现在起，发往 C0ALERTS 的消息使用 zh-CN"
    )
    assert "频道" in ok(loanwatch("channel list")).out
    assert ok(loanwatch("alert list --state resolved")).out.strip() == "没有已解决的告警"


# Data, not words to translate: the slug, and the platform's name as loanwatch keeps it.
DATA = {"jb-1", "jiebei", "Jiebei", "C0ALERTS", "zh-CN", "alice", "Asia", "Shanghai", "cw"}


def test_pseudo_every_human_line_goes_through_the_catalogs(
    loanwatch: Loanwatch, terminal_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the pseudo-locale every line the main commands print is marked: English left
    unmarked would reach a Chinese reader in English."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", PSEUDO)
    printed: list[str] = []
    for command in (
        "facility add jb-1 --platform jiebei --limit 300,000 --daily-rate 0.04%",
        "facility list",
        "facility set jb-1 --limit 200,000",
        "facility set jb-1 --language zh-CN",
        "facility set jb-1 --language zh-CN",
        "channel list",
        "channel set C0ALERTS --language zh-CN",
        "channel list",
        "alert list",
        "alert list --state resolved",
        "silence list",
        "draw add jb-1 12,000 --months 3 --on 2026-11-20",
        "repay add jb-1 4,100 --on 2026-11-30",
        "bill add jb-1 2026-12-20 4,120.00",
        "limit add jb-1 200,000 --available 188,000",
        "facility payoff jb-1",
        'silence add --facility jb-1 --for 2h --reason "平台维护"',
        "silence list",
        'oncall rotation add cw --members U0ANN,U0BEN --handoff "mon 09:00" --length 1w '
        "--timezone Asia/Shanghai",
        "oncall rotation list",
        "oncall who",
        "escalation show",
        "oncall override list",
        "token list",
        "outbox list",
        "requests list",
        "mapping list",
        "ticket list",
        "db current",
    ):
        outcome = ok(loanwatch(command))
        printed += (outcome.out + outcome.err).splitlines()
    refused = loanwatch("facility set jb-1 --language fr")
    printed += refused.err.splitlines()
    printed += loanwatch("status").out.splitlines()  # exits 1: the scheduler never ran

    assert unmarked(printed, allowed=DATA) == []
