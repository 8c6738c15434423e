"""`loanwatch … --help` in LOANWATCH_LANGUAGE (bot/cli/helptexts.py; docs/languages.md).

Every command's help, short help and option help goes through the catalogs when it is shown;
click's own words ("Usage:", "Options:", "Commands:", "[required]", "[default: …]") stay
English. The English help is what it was.
"""

import re
import unicodedata
from collections.abc import Iterator

import click
import pytest

from bot.cli import cli, main
from bot.i18n import PSEUDO, ZH, use
from bot.i18n.catalogs import translations
from tests.support.pseudo import unmarked

# Click's section headings, stay English (docs/languages.md, "What stays English").
CLICK_HEADINGS = {"Options:", "Commands:"}
# Click's notes after an option's help: "[required]", "[default: open]", "[0<=x<=366]".
CLICK_EXTRAS = re.compile(r"(^|\s+)\[[^\]]*\]$")


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What `loanwatch ARGV --help` prints."""
    capsys.readouterr()
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def commands(
    command: click.Command = cli,
    parent: click.Context | None = None,
    name: str = "loanwatch",
    width: int | None = 10_000,
) -> Iterator[tuple[click.Command, click.Context]]:
    """Every command and group under `command` with its context, as `loanwatch` makes them. By
    default wide enough that a text is neither wrapped nor shortened (a wrapped line has no
    marks of its own); `width=None`: an 80-column terminal's."""
    ctx = command.context_class(
        command,
        info_name=name,
        parent=parent,
        terminal_width=width,
        max_content_width=width,
        **command.context_settings,  # the root's: -h as well as --help
    )
    yield command, ctx
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            yield from commands(sub, ctx, sub_name, width)


def written_text(page: str, command: click.Command, ctx: click.Context) -> str:
    """A help page less what is not text to translate: the usage block (click's
    words and metavars), headings, each option's spelling and metavar and each subcommand's
    name (typed back as they are), click's notes after an option's help. One text: a help of
    several paragraphs is marked from its first line to its last."""
    spellings = [
        record[0]
        for param in command.get_params(ctx)
        if (record := param.get_help_record(ctx)) is not None
    ]
    if isinstance(command, click.Group):
        spellings += list(command.commands)
    _usage, _blank, rest = page.partition("\n\n")
    kept = []
    for line in rest.splitlines():
        text = line.strip()
        if not text or text in CLICK_HEADINGS:
            continue
        for spelling in sorted(spellings, key=len, reverse=True):
            if text == spelling or text.startswith(spelling + "  "):
                text = text[len(spelling) :].strip()
                break
        kept.append(CLICK_EXTRAS.sub("", text))
    return "\n".join(kept)


def test_pseudo_every_commands_help_goes_through_the_catalogs() -> None:
    """Under the pseudo-locale every command's help page (all of them, walking the tree) has no
    English outside the marks but click's own words."""
    found, pages = [], 0
    for command, ctx in commands():
        with use(PSEUDO):
            page = command.get_help(ctx)
        found += unmarked([written_text(page, command, ctx)])
        pages += 1
        # Each text is marked: the command's help, every option's, every subcommand's.
        assert page.count("⟦Show this message and exit.⟧") == 1, ctx.command_path
    assert found == []
    assert pages > 80


def test_every_help_text_has_its_chinese() -> None:
    """Each command's help and each option's help is in the catalog with Chinese: a text
    written without `N_` would not be extracted, and a Chinese reader would get it in English."""
    chinese = translations(ZH)
    english = set()
    for command, ctx in commands():
        english.add(command.help)
        english.update(param.help for param in command.get_params(ctx) if param.help)
    missing = sorted(text for text in english if text and chinese.gettext(text) == text)
    assert missing == []


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_loanwatch_help_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`LOANWATCH_LANGUAGE=zh-CN loanwatch --help`: what it does, its option and each command's
    short help in Chinese; the command names as they are typed; each command's line fits an
    80-column terminal (a Chinese character takes two)."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    page = help_of([], capsys)

    assert "监控授信额度：将公司台账与各平台显示的数据核对。" in page
    assert "--database-url URL  要使用的数据库" in page
    assert "显示本帮助并退出。" in page
    assert "Show this message" not in page
    listed = page.partition("Commands:\n")[2].splitlines()
    assert "  facility    授信额度与借款。" in listed
    assert "  alert       告警：列出、确认收到、暂缓、解决。" in listed
    assert "  repay       还款：还给平台的钱。" in listed
    assert len(listed) == len(cli.commands)
    assert all(columns(line) <= 80 for line in listed), listed
    assert any(line.endswith("…") for line in listed)  # a long one is shortened, not cut


def test_a_subcommands_help_and_its_options_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`facility set --help` in Chinese: its help, its options' help with what an option left
    out means filled in Chinese; option names, metavars and choices as they are typed."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)
    page = help_of(["facility", "set"], capsys)
    flat = "".join(page.split())

    assert page.startswith("Usage: loanwatch facility set [OPTIONS] SLUG\n")
    assert "修改SLUG的额度、阈值、告警频道、值班轮换" in flat
    assert "--annual-rate RATE" in page
    assert "或者给年利率：0.035 或 3.5%。" in page
    assert "还款方式（不填则不变）。" in page
    assert "--method [equal-installment|equal-principal|" in page
    assert "（可重复；NAME=-恢复默认值；见docs/checks.md）。" in flat
    assert "unchanged" not in page
    assert "显示本帮助并退出。" in page


def test_the_english_help_is_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    """English --help reads as before the help went through the catalogs, placeholders filled
    in English too."""
    assert help_of(["facility"], capsys) == (
        "Usage: loanwatch facility [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Credit lines and loans.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Commands:\n"
        "  add        Add a facility SLUG at a platform; terms left out are the...\n"
        "  calibrate  Which method, day count, rounding, first-period and penalty...\n"
        "  list       Facilities with limit, outstanding and available, by the...\n"
        "  payoff     What settles SLUG on a day: principal, interest to the day,...\n"
        "  set        Change SLUG's limit, thresholds, alert channel, rotation,...\n"
    )
    facility_set = " ".join(help_of(["facility", "set"], capsys).split())
    assert "--method [equal-installment|" in facility_set
    assert "Method (unchanged if left out)." in facility_set
    assert "(repeatable; NAME=- for the default again; see docs/checks.md)" in facility_set
    added = " ".join(help_of(["facility", "add"], capsys).split())
    assert "Method (default: the platform's, see docs/ledger.md)." in added
    assert "(repeatable; see docs/checks.md)" in added
    mapping = " ".join(help_of(["mapping", "add"], capsys).split())
    assert "A CSV's encoding: gb18030 or utf-8. [default: utf-8]" in mapping
    check = help_of(["check"], capsys)
    assert "\n\n  `--at` is the moment the checks evaluate;" in check


def test_chinese_help_fits_the_terminal_and_breaks_lines_where_chinese_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every help page in Chinese: each line holding Chinese fits 80 columns (click counts
    characters; a Chinese one takes two columns), no line starts with a closing mark
    (，。）) nor ends with an opening one (（“); and an environment variable is not split."""
    monkeypatch.setenv("COLUMNS", "80")
    wide, pages = [], 0
    for command, ctx in commands(width=None):
        with use(ZH):
            page = command.get_help(ctx)
        pages += 1
        for line in page.splitlines():
            if columns(line) == len(line):
                continue  # no Chinese: as click writes it
            if columns(line) > 80 or line.strip()[0] in "，。、；：）”" or line[-1] in "（“":
                wide.append(line)
        assert "LOANWATCH_BILL_CRITICAL_\n" not in page
    assert wide == []
    assert pages > 80
