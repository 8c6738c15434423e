"""The wheel the image installs, built here the way deploy/Dockerfile's first stage builds it:
from the files .dockerignore lets into the build context, by the build backend pyproject.toml
names, offline. Then run from that wheel, not from the source tree: `loanwatch db upgrade`
creates the schema, so the migrations travel inside the package.

(The image itself is never built here: no container engine. See deploy/README.md.)
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bot.db import head_revision
from tests.deploy.files import DOCKERIGNORE, ROOT

MIGRATIONS = sorted(p.name for p in (ROOT / "bot" / "migrations" / "versions").glob("0*.py"))


def build_context(into: Path) -> Path:
    """The files `docker build .` would send: the `!` entries of .dockerignore, less
    __pycache__ (also ignored there)."""
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    kept = [line[1:].rstrip("/") for line in lines if line.startswith("!")]
    for name in kept:
        source = ROOT / name
        if source.is_dir():
            # No compiled catalog goes in (.dockerignore): the build must make it.
            ignored = shutil.ignore_patterns("__pycache__", "*.mo")
            shutil.copytree(source, into / name, ignore=ignored)
        else:
            shutil.copy2(source, into / name)
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel .` of the build context, without downloading a build backend (the dev extras
    install the one [build-system] names)."""
    context = build_context(tmp_path_factory.mktemp("context"))
    out = tmp_path_factory.mktemp("wheels")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--verbose",
            "--wheel-dir",
            str(out),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # A deprecation today is a build that stops working on a later release of the backend.
    assert "Deprecat" not in result.stdout + result.stderr
    (built,) = out.glob("loanwatch-*.whl")
    return built


def test_the_wheel_carries_the_command_the_packages_and_every_migration(wheel) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert "loanwatch = bot.cli:main" in scripts
    assert {"bot/cli/__init__.py", "jobs/worker.py", "bot/migrations/script.py.mako"} <= names
    assert {f"bot/migrations/versions/{name}" for name in MIGRATIONS} <= names
    # The build compiled the catalogs (setup.py); the context had none (.dockerignore).
    assert "bot/locale/zh_CN/LC_MESSAGES/loanwatch.mo" in names


def test_the_wheels_compiled_catalog_is_what_speaks_chinese(wheel, tmp_path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (site / "bot" / "locale" / "zh_CN" / "LC_MESSAGES" / "loanwatch.po").unlink()
    program = "from bot.i18n import ZH, _, use\nwith use(ZH): print(_('an unknown time'))"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]]),
    }
    spoken = subprocess.run(
        [sys.executable, "-S", "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert spoken.stdout.strip() == "时间未知"


def test_loanwatch_from_the_wheel_creates_the_schema(wheel, tmp_path) -> None:
    """`db upgrade`, run from the unpacked wheel (no source tree, no .env)
    in an empty directory, as the image's working directory is."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    workdir = tmp_path / "work"
    workdir.mkdir()
    # -S: no .pth files, so the editable install of the source tree is not on the path; the
    # dependencies come from this virtualenv's site-packages, after the wheel.
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]]),
    }
    program = (
        "import sys, bot; from bot.cli import main; print(bot.__file__); "
        "sys.exit(main(sys.argv[1:]))"
    )

    def loanwatch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", "-c", program, *args],
            cwd=workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    upgraded = loanwatch("db", "upgrade")

    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines()[0] == str(site / "bot" / "__init__.py")
    head = head_revision("sqlite://")
    assert f"database upgraded from empty to {head}" in upgraded.stdout
    assert (workdir / "loanwatch.db").is_file()
