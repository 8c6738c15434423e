"""No error a person reads is written past the catalogs.

An error made as an :class:`~bot.errors.InputError` (or any error class made from it,
:class:`~bot.db.SchemaBehindError`, or one of click's that loanwatch words) is shown to a person
as it is: the CLI's `loanwatch: error:` line, a Slack reply. Its message must come from
`_()`/`ngettext`/`pgettext`, so a Chinese reader does not get English. This reads the source,
as review would: a new `raise InputError(f"…")` with English in it fails here, naming the
line. (A message put in a variable first is beyond it: the pseudo-locale tests catch those.)
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "jobs")
# Errors a person reads: these and every class made from them in the code; click's own, whose
# message loanwatch writes, are shown on the CLI's error line.
PERSON_FACING = {"InputError", "SchemaBehindError", "BadParameter", "UsageError", "ClickException"}
TRANSLATING = {"_", "ngettext", "pgettext", "npgettext"}
KEY = re.compile(r"[a-z_][a-z0-9_]*")


def _modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for source in SOURCES:
        for path in sorted((root / source).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _person_facing(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    names = set(PERSON_FACING)
    while True:
        more = {
            node.name
            for _, tree in modules
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and node.name not in names
            and any(_name_of(base) in names for base in node.bases)
        }
        if not more:
            return names
        names |= more


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _english(node: ast.AST) -> Iterator[str]:
    """The words written into `node` that did not go through a translating call."""
    if isinstance(node, ast.Call) and _name_of(node.func) in TRANSLATING:
        return
    if isinstance(node, ast.Compare):  # a yes or no, not words
        return
    if isinstance(node, ast.Call):  # value.label("reference"): a key passed, not words
        for argument in [node.func, *node.args, *(k.value for k in node.keywords)]:
            if not (isinstance(argument, ast.Constant) and KEY.fullmatch(str(argument.value))):
                yield from _english(argument)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if any(char.isascii() and char.isalpha() for char in node.value):
            yield node.value
        return
    for field, value in ast.iter_fields(node):
        # f"{amount:,.2f}" writes a number, match["number"] reads one: neither is words
        if field == "format_spec" or (isinstance(node, ast.Subscript) and field == "slice"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from _english(child)


def _untranslated_raises(root: Path = ROOT) -> list[str]:
    """Each error a person reads made with English in its message: raised, returned or kept,
    the message given first or as `message=`."""
    modules = list(_modules(root))
    facing = _person_facing(modules)
    found = []
    for path, tree in modules:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name_of(node.func) in facing):
                continue
            given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
            words = [word for message in given for word in _english(message)]
            if words:
                where = f"{path.relative_to(root)}:{node.lineno}"
                found.append(f"{where}: {_name_of(node.func)}({words[0]!r}…)")
    return found


def test_every_error_a_person_reads_goes_through_the_catalogs() -> None:
    assert _untranslated_raises() == []


def test_the_check_finds_english_written_straight_into_an_error(tmp_path) -> None:
    sample = tmp_path / "bot" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "from bot.errors import InputError\n"
        "class TermsError(InputError): ...\n"
        "def f(n):\n"
        "    raise TermsError(f'term {n} is too long')\n"
        "def g(n):\n"
        "    raise InputError(_('term {n} is too long').format(n=n))\n"
        "def h(n):\n"
        "    raise InputError(_('rates: {known}').format(known=', '.join(known)))\n"
        "def j(n):\n"
        "    raise InputError(_('{name} twice').format(name=value.label('name')))\n"
        "def m(names):\n"
        "    raise InputError(_('no {names}').format(names=' or '.join(names)))\n"
        "def n(pair):\n"
        "    return click.BadParameter(message=f'{pair} is not NAME=VALUE')\n"
        "def k(amount):\n"
        "    raise InputError(said.format(amount=f'{amount:,.2f}'))\n"
    )
    assert _untranslated_raises(tmp_path) == [
        "bot/sample.py:4: TermsError('term '…)",
        "bot/sample.py:12: InputError(' or '…)",
        "bot/sample.py:14: BadParameter(' is not NAME=VALUE'…)",
    ]
