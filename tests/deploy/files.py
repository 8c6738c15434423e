"""The deploy/ files as the tests read them: the Kubernetes manifests, compose.yaml, the
Dockerfile, and what `loanwatch` makes of a container's command."""

import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import yaml
from dockerfile_parse import DockerfileParser

from bot.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
# Left out of kustomization.yaml on purpose: applying it would overwrite the real secrets.
EXAMPLE_SECRET = "secret.example.yaml"
# The services of compose.yaml that run the loanwatch image (the other one is PostgreSQL).
LOANWATCH_SERVICES = ("migrate", "web", "worker")


def version() -> str:
    """The project's version, which names the image everywhere (loanwatch:0.1.0)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def manifest_files() -> list[Path]:
    """Every Kubernetes manifest (kustomization.yaml is Kustomize's, not Kubernetes')."""
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def resources() -> list[dict[str, Any]]:
    """Every object of every manifest, the example Secret included."""
    return [doc for path in manifest_files() for doc in documents(path)]


def resource(kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))


def pod_specs() -> dict[str, dict[str, Any]]:
    """The pod spec of each Deployment and Job, by its name."""
    return {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]
        for r in resources()
        if r["kind"] in ("Deployment", "Job")
    }


def compose() -> dict[str, Any]:
    """compose.yaml, with its YAML merge keys (<<: *loanwatch) resolved."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def instructions() -> list[dict[str, Any]]:
    """The Dockerfile's instructions (comments left out), as dockerfile-parse reads them."""
    parsed = DockerfileParser(path=str(DOCKERFILE))
    return [i for i in parsed.structure if i["instruction"] != "COMMENT"]


def stages() -> list[list[dict[str, Any]]]:
    """The instructions of each build stage, in order."""
    found: list[list[dict[str, Any]]] = []
    for instruction in instructions():
        if instruction["instruction"] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def exec_form(value: str) -> list[str]:
    """["a", "b"] (exec form) or a b (shell form) as a list of words."""
    return json.loads(value) if value.lstrip().startswith("[") else shlex.split(value)


def command_of(args: list[str]) -> click.Command:
    """The `loanwatch` command that `args` run (raises click.UsageError for none)."""
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest:
        ctx = click.Context(command)
        _, found, rest = command.resolve_command(ctx, rest)
        assert found is not None
        command = found
    assert not isinstance(command, click.Group), f"{args} names a group, not a command"
    return command
