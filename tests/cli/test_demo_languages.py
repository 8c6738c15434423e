"""`LOANWATCH_LANGUAGE=zh-CN loanwatch demo`: the demo tells its story in Chinese.

The demo runs surfaces that have their own words (alerts on the console, `ticket`, `import`,
the Slack messages' lines): those are checked by their own tests. What is checked here is what
the demo says itself: its chapters, narration and tables. All of it passes through
`bot.cli.demo_tickets.narrate` (headings, `say`), which the tests listen to; commands typed at
the prompt (`shell`) are the same in every language; and no `click.echo` in the demo's modules
prints English of its own (the last test reads their source).
"""

import ast
import io
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from bot.cli import demo_tickets, main
from tests.support.pseudo import unmarked

# A chapter's heading under the pseudo-locale: ⟦2026-12-01 09:10: ⟦what happens⟧⟧.
CHAPTER = re.compile(r"\n=== ⟦[\d: -]+: (.*)⟧ ===\n", re.DOTALL)
DEMO_MODULES = sorted((Path(__file__).parents[2] / "bot" / "cli").glob("demo*.py"))


def play(monkeypatch: pytest.MonkeyPatch, folder: Path, language: str) -> tuple[str, list[str]]:
    """The demo played in `language`: everything it printed, and the lines it said itself."""
    monkeypatch.setenv("LOANWATCH_LANGUAGE", language)
    said: list[str] = []
    printing = demo_tickets.narrate

    def listening(text: str) -> None:
        said.append(text)
        printing(text)

    monkeypatch.setattr(demo_tickets, "narrate", listening)
    printed = io.StringIO()
    with redirect_stdout(printed):
        status = main(["demo", "--keep", str(folder)])
    assert status == 0, printed.getvalue()
    return printed.getvalue(), said


@pytest.fixture(scope="module")
def monkeymodule() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def chinese(
    monkeymodule: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[str]]:
    played = play(monkeymodule, tmp_path_factory.mktemp("demo-zh") / "demo", "zh-CN")
    monkeymodule.undo()
    return played


def test_the_demo_tells_its_story_in_chinese(chinese: tuple[str, list[str]]) -> None:
    """Chapters with the story's moments as a Chinese reader writes them, the narration, the
    portfolio's and the end's tables; amounts as ¥; no English chapter left."""
    out, said = chinese
    assert "\n=== 11月28日（周六）09:00：首次检查 ===\n" in out
    assert "=== 12月1日（周二）09:10：资金主管确认收到账单缺失告警 ===" in out
    assert "=== 12月1日（周二）11:20：每日摘要，附未来 13 周现金流图 ===" in out
    assert "=== 12月3日（周四）、12月4日（周五）10:00：再次询问，微众银行 App 仍无法访问" in out
    assert "触发平台无法访问告警 ===" in out
    assert "=== 最终告警一览 ===" in out
    assert "=== IT 管理员视角：运行中备份数据库，以及 Prometheus 抓取到的指标 ===" in out
    assert "→ 新增 3，仍在触发 0，已解决 0，发出通知 3 条" in out
    # The portfolio: the next installments with their days and amounts.
    assert "授信额度（按我方台账）" in out
    assert "近期还款计划" in out
    assert re.search(
        r"12月10日（周四）\s+jiebei-main\s+#1/4\s+¥4,040.82\s+¥457.95\s+¥4,498.77", out
    )
    assert re.search(r"2027年1月5日（周二）\s+weilidai-ops", out)  # next year's: with the year
    # The bank's mailbox, and the end's table with the glossary's words.
    assert (
        "📬 corporate-rm@icbc.example 的邮箱（演示用 SMTP 服务器）现有 2 封邮件，最新一封：" in out
    )
    assert (
        "  回复对象（In-Reply-To）：首封邮件的 Message-ID（[T-2] icbc-term: 授信额度被冻结）" in out
    )
    assert re.search(r"2\s+严重\s+未处理\s+额度冻结", out)
    assert re.search(r"4\s+警告\s+已解决\s+账单缺失", out)
    assert "09:10 U0DANA：/loan draw weilidai-ops 30,000 6m 办公室租金 → 已登记借款 #6" in out
    assert "icbc-term 的账单缺失检查：12月21日（周一）账单的宽限期已于零点结束" in out
    assert "演示数据库在 " in out
    for english in ("the first check", "Alerts at the end", "Facilities (by our ledger)",
                    "opened,", "taps [", "The IT admin's side"):  # fmt: skip
        assert english not in out
    # Every chapter the demo said is Chinese.
    headings = [line for line in said if line.startswith("\n=== ")]
    assert len(headings) == 20
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in headings)


def test_every_line_the_demo_says_itself_goes_through_the_catalogs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under the pseudo-locale, each line the demo says (its chapters, narration, what a tap
    changed) comes out marked: none bypassed the catalogs. The other surfaces it prints are
    their own tests' business."""
    _out, said = play(monkeypatch, tmp_path / "demo", "x-pseudo")
    assert len(said) > 60
    # A chapter is "{when}: {what}", translated whole; what happens then must be marked itself.
    own = [m.group(1) if (m := CHAPTER.fullmatch(line)) else line for line in said]
    assert sum(line != chapter for line, chapter in zip(own, said, strict=True)) == 17
    assert unmarked(own) == []
    assert "\n=== ⟦{when}: {what}⟧ ===\n" not in said  # placeholders were filled
    assert any("⟦the first check⟧" in line for line in said)


def _english_in(node: ast.AST) -> list[str]:
    """The words in the string literals `node` prints itself (f-strings' literal parts too),
    not in what it passes a renderer (`created_note("rpa", …)`: data)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.findall(r"[A-Za-z]{2,}", node.value)
    if isinstance(node, ast.Call):
        return []
    return [word for child in ast.iter_child_nodes(node) for word in _english_in(child)]


def _echoed(call: ast.Call) -> list[str]:
    return [word for argument in call.args for word in _english_in(argument)]


@pytest.mark.parametrize("module", DEMO_MODULES, ids=lambda p: p.name)
def test_the_demo_prints_no_english_of_its_own_past_the_catalogs(module: Path) -> None:
    """`click.echo` in the demo's modules prints what another surface rendered, or data: any
    words the demo writes itself go through `say`, a heading or `_()`."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    written = [
        (node.lineno, _echoed(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "echo"
        and _echoed(node)
    ]
    assert written == []
