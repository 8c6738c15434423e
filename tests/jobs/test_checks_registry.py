"""One list of checks (`bot.alerts.checks`): the registry runs it, silences take it, docs list it.

Silences run on SQLite and PostgreSQL. The cast: Alice silences one check on her Jiebei line
while the platform is under maintenance.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from sqlalchemy import select

from bot.alerts.checks import ADMIN_CHECKS, FACILITY_CHECKS, Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.alerts.silences import active_silences, add_silence
from bot.errors import InputError
from bot.models import Alert, OutboxMessage
from jobs.checks import CHECKS
from tests.ledger.cast import jiebei_line

CHECKS_DOC = Path(__file__).parents[2] / "docs" / "checks.md"
POLICY = AlertPolicy(default_channel="C0FINOPS")


def test_the_registry_runs_exactly_the_facility_checks_in_order() -> None:
    """CHECKS has one function per facility check, keyed by the enum, in FACILITY_CHECKS' order."""
    assert list(CHECKS) == list(FACILITY_CHECKS)
    assert all(type(name) is Check for name in CHECKS)
    assert not ADMIN_CHECKS & CHECKS.keys()


def test_the_checks_table_in_the_docs_lists_exactly_the_facility_checks() -> None:
    """docs/checks.md's table of checks names each facility check once, in order, and no other."""
    assert _first_column(CHECKS_DOC, header="check") == list(FACILITY_CHECKS)


@pytest.mark.parametrize("check", FACILITY_CHECKS)
def test_every_facility_check_can_be_silenced(session, alice, now, check) -> None:
    """A silence naming the check is taken; its alert opens untold, another check's is told."""
    line = jiebei_line(session, alice, now)
    add_silence(
        session,
        alice,
        check=check,
        duration=timedelta(hours=2),
        reason="Jiebei maintenance",
        now=now,
    )
    other = next(name for name in FACILITY_CHECKS if name != check)
    findings = [_finding(check, line.id), _finding(other, line.id)]

    summary = apply_findings(session, findings, now=now, policy=POLICY)

    told = session.scalars(
        select(Alert.check).join(OutboxMessage, OutboxMessage.alert_id == Alert.id)
    ).all()
    assert (summary.opened, summary.silenced) == (2, 1)
    assert told == [other]


@pytest.mark.parametrize("check", sorted(check.value for check in ADMIN_CHECKS))
def test_a_silence_naming_an_admin_check_is_refused(session, alice, now, check) -> None:
    """Admin checks are about loanwatch itself and never silenced: naming one is refused as an
    unknown check, the message lists the checks a silence can name, and nothing is written."""
    with pytest.raises(InputError, match=f"unknown check '{check}'") as refused:
        add_silence(
            session, alice, check=check, duration=timedelta(hours=2), reason="noisy", now=now
        )

    assert ", ".join(FACILITY_CHECKS) in str(refused.value)
    assert active_silences(session, now) == []


def _finding(check: str, facility_id: int) -> Finding:
    """A warning of `check` on the facility, as the check would report it."""
    return Finding(check, facility_id, "", Severity.WARNING, f"{check} fired")


def _first_column(path: Path, *, header: str) -> list[str]:
    """The code spans in the first column of the Markdown table whose first header is `header`."""
    tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(path.read_text()))
    for table in (node for node in tree.walk() if node.type == "table"):
        head, body = table.children
        if _text(head.children[0].children[0]) != header:
            continue
        return [_text(row.children[0]) for row in body.children]
    raise AssertionError(f"{path} has no table whose first column is {header!r}")


def _text(cell: SyntaxTreeNode) -> str:
    """A table cell's text, code spans without their backticks."""
    return "".join(child.content for child in cell.walk() if child.type in {"text", "code_inline"})
