"""The house stays walkable: no module of bot/ or jobs/ too long to read, no function either.

A module past 450 lines holds more than one thing (issue 10); a function past 80 lines is
several steps that want names: split it where it changes from reading (its SQL) to deciding
(its rule) to wording (its finding). Alembic revisions are generated history and not counted.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return [
        path
        for package in ("bot", "jobs")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "versions" not in path.relative_to(ROOT).parts
    ]


def test_no_module_of_bot_or_jobs_is_longer_than_450_lines() -> None:
    """Each module of bot/ and jobs/ has at most MAX_MODULE_LINES lines."""
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, f"split these by what each part holds (over {MAX_MODULE_LINES}):\n" + (
        "\n".join(long)
    )


def test_no_function_of_bot_or_jobs_is_longer_than_80_lines() -> None:
    """Each function (or method) of bot/ and jobs/, docstring included, has at most 80 lines."""
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (lines := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES  # type: ignore[operator]
    ]
    assert not long, f"name the steps of these (over {MAX_FUNCTION_LINES} lines):\n" + (
        "\n".join(long)
    )
