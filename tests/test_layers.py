"""The layers keep their one-way arrows: read from the imports themselves, with `ast`.

- The domain (everything in `bot/` but the entry points `bot/slack` and `bot/cli`, so a new
  package such as `bot/tickets` is domain from its first line) imports neither Slack, nor the
  scheduler, nor `jobs`.
- `bot/slack` does not import `jobs`: the Slack app and the worker share the domain, not each
  other.
- `bot/api` (the ingest API, an entry point like `bot/slack`) imports neither Slack nor `jobs`,
  and the domain does not import it.
- Nothing in the domain records metrics: `bot/metrics` (what loanwatch tells Prometheus, and
  the timed Slack client) is outside it, like an entry point, and the domain imports neither it
  nor prometheus_client; its callers (jobs/, bot/slack, bot/cli) record.
- No import cycle between the project's modules, lazy imports inside functions included: a cycle
  hidden in a function is still two modules that each need the other.

docs/architecture.md draws the same arrows.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "jobs")
ENTRY_POINTS = ("bot.slack", "bot.cli", "bot.migrations", "bot.api", "bot.metrics")
FORBIDDEN_IN_DOMAIN = (
    "slack_bolt",
    "slack_sdk",
    "apscheduler",
    "jobs",
    "bot.api",
    "bot.metrics",
    "prometheus_client",
)
FORBIDDEN_IN_API = ("slack_bolt", "slack_sdk", "bot.slack", "apscheduler", "jobs")


@dataclass(frozen=True)
class Import:
    """`importer` imports `target` at `line` (target: a module of ours, or a third-party name)."""

    importer: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} imports {self.target} (line {self.line})"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "versions" in path.relative_to(ROOT).parts:
                continue  # Alembic revisions are frozen history, not code that runs the app
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports() -> Iterator[Import]:
    """Every import statement of every module, as the module (or external name) it reaches."""
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(name, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join([*base, node.module] if node.module else base)
                else:
                    module = node.module or ""
                for alias in node.names:
                    # `from bot.slack import blocks` reaches the module bot.slack.blocks.
                    sub = f"{module}.{alias.name}"
                    yield Import(name, sub if sub in MODULES else module, node.lineno)


IMPORTS = list(_imports())


def _reaches(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _is_domain(module: str) -> bool:
    return not any(_reaches(module, entry) for entry in ENTRY_POINTS)


def test_the_domain_imports_neither_slack_nor_the_scheduler_nor_jobs() -> None:
    """A module of the domain that reaches for Slack, APScheduler, jobs/ or the API is named."""
    offending = [
        str(i)
        for i in IMPORTS
        if i.importer.startswith("bot")
        and _is_domain(i.importer)
        and any(_reaches(i.target, name) for name in FORBIDDEN_IN_DOMAIN)
    ]
    assert offending == [], "the domain must not import these:\n" + "\n".join(offending)


def test_the_slack_app_does_not_import_jobs() -> None:
    """bot/slack and jobs/ meet in the domain; Slack importing jobs/ is named."""
    offending = [
        str(i) for i in IMPORTS if _reaches(i.importer, "bot.slack") and _reaches(i.target, "jobs")
    ]
    assert offending == [], "bot/slack must not import jobs/:\n" + "\n".join(offending)


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for i in IMPORTS:
        if i.target in MODULES and i.target != i.importer:
            graph[i.importer].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_two_modules_import_each_other_round_a_cycle() -> None:
    """Each cycle is named with the imports that make it."""
    described = []
    for group in _cycles():
        members = set(group)
        edges = [str(i) for i in IMPORTS if i.importer in members and i.target in members]
        described.append(" ↔ ".join(group) + ":\n  " + "\n  ".join(sorted(set(edges))))
    assert described == [], "import cycles:\n" + "\n".join(described)


def test_the_rules_see_a_forbidden_import_when_there_is_one() -> None:
    """The reader is not blind: it finds the imports the rules are about in today's code."""
    targets = {i.target for i in IMPORTS}
    assert "slack_bolt" in {t.split(".")[0] for t in targets}
    assert any(_reaches(i.importer, "bot.cli") and _reaches(i.target, "jobs") for i in IMPORTS)
    assert any(_reaches(i.importer, "bot.ledger") for i in IMPORTS)


def test_the_tickets_are_domain_and_the_rules_read_them() -> None:
    """bot/tickets is held to the domain's rule, and its imports are among those read."""
    assert _is_domain("bot.tickets.opening")
    assert any(_reaches(i.importer, "bot.tickets") for i in IMPORTS)


def test_the_oncall_package_is_domain_and_the_rules_read_it() -> None:
    """bot/oncall (rotations, escalation) is held to the domain's rule: no Slack, no
    scheduler, no jobs/; its imports are among those read."""
    assert _is_domain("bot.oncall.engine")
    assert _is_domain("bot.oncall.rotations")
    assert any(_reaches(i.importer, "bot.oncall") for i in IMPORTS)


def test_the_digest_is_domain_and_the_rules_read_it() -> None:
    """bot/digest (the daily digest's numbers, chart and schedule) is held to the domain's rule."""
    assert _is_domain("bot.digest.sending")
    assert any(_reaches(i.importer, "bot.digest") for i in IMPORTS)


def test_the_api_imports_neither_slack_nor_jobs() -> None:
    """bot/api (the ingest API) calls the domain only: an import of Slack (its SDK or
    bot/slack), the scheduler or jobs/ is named. bot/cli puts the two on one port."""
    offending = [
        str(i)
        for i in IMPORTS
        if _reaches(i.importer, "bot.api")
        and any(_reaches(i.target, name) for name in FORBIDDEN_IN_API)
    ]
    assert offending == [], "bot/api must not import these:\n" + "\n".join(offending)
    assert not _is_domain("bot.api.app")
    assert any(_reaches(i.importer, "bot.api") for i in IMPORTS)


def test_the_metrics_stay_out_of_the_domain_and_below_their_callers() -> None:
    """bot/metrics is not domain, imports neither jobs/ nor bot/slack nor the API (they import
    it), and is imported by the callers that record (jobs/ and bot/slack)."""
    assert not _is_domain("bot.metrics.database")
    offending = [
        str(i)
        for i in IMPORTS
        if _reaches(i.importer, "bot.metrics")
        and any(_reaches(i.target, name) for name in ("jobs", "bot.slack", "bot.api", "bot.cli"))
    ]
    assert offending == [], "bot/metrics must not import these:\n" + "\n".join(offending)
    assert any(_reaches(i.importer, "jobs") and _reaches(i.target, "bot.metrics") for i in IMPORTS)
    assert any(
        _reaches(i.importer, "bot.slack") and _reaches(i.target, "bot.metrics") for i in IMPORTS
    )
