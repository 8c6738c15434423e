"""What the docs and the docstrings name exists, so a newcomer who follows a reference finds it.

README.md, docs/ and the modules of bot/ and jobs/ name files (`bot/alerts/notifier.py`,
`jobs/checks/bills/`) and dotted names (`bot.alerts.detection.apply_findings`). A path must
exist from the project's root or from the naming file's own folder; a dotted name must lead to
a module and then to the attributes after it. A module moved or renamed while something still
points at its old home fails here, with the file and the reference.
"""

import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A file or folder in backticks: under one of the project's folders, or any `*.py` / `name/`.
PATH = re.compile(r"`((?:bot|jobs|tests|deploy|docs|bench)/[^`\s]*|[\w./]+\.py|[\w./]+/)`")
DOTTED = re.compile(r"(?<![\w.])((?:bot|jobs)(?:\.[A-Za-z_]\w*)+)")


def _readable_files() -> list[Path]:
    code = [
        path
        for package in ("bot", "jobs")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "versions" not in path.relative_to(ROOT).parts  # Alembic revisions are history
    ]
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *code]


def _references(pattern: re.Pattern[str]) -> Iterator[tuple[Path, str]]:
    for path in _readable_files():
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            yield path, match.group(1)


def _leads_somewhere(dotted: str) -> bool:
    """The longest importable prefix is a module, and every name after it is an attribute."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def _in_a_library(named: str) -> bool:
    """`slack_bolt/request/internals.py`: a file of an installed package, not of ours."""
    first = named.split("/", 1)[0]
    if "/" not in named or (ROOT / first).exists():
        return False
    spec = importlib.util.find_spec(first) if first.isidentifier() else None
    return (
        spec is not None
        and spec.origin is not None
        and (Path(spec.origin).parent / named.split("/", 1)[1]).exists()
    )


def test_every_file_the_docs_and_docstrings_name_exists() -> None:
    """A path in backticks exists, from the project's root or from the naming file's folder
    (or, for an installed library's file such as `slack_bolt/…`, in that library)."""
    missing = [
        f"{path.relative_to(ROOT)} names `{named}`"
        for path, named in _references(PATH)
        if not (ROOT / named).exists()
        and not (path.parent / named).exists()
        and not _in_a_library(named)
    ]
    assert not missing, "no such file or folder:\n" + "\n".join(missing)


def test_every_dotted_name_they_use_leads_to_a_module_and_its_attributes() -> None:
    """`bot.alerts.detection.apply_findings` imports, and has what the name says after it."""
    broken = [
        f"{path.relative_to(ROOT)} names {dotted}"
        for path, dotted in _references(DOTTED)
        if not _leads_somewhere(dotted)
    ]
    assert not broken, "these names lead nowhere:\n" + "\n".join(broken)
