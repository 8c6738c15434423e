"""deploy/compose.yaml: valid for the Compose specification, and starting loanwatch in order.

The file is validated against the Compose specification's JSON schema as check-jsonschema
vendors it (`--builtin-schema vendor.compose-spec`, the schema of the compose-spec project),
offline. No container engine runs it here: `docker compose config` was never run on it.
"""

import re
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings
from tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    DOCKERFILE,
    LOANWATCH_SERVICES,
    ROOT,
    command_of,
    compose,
    version,
)


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_compose_file_is_valid_for_the_compose_specification() -> None:
    result = schema_check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_a_misspelt_dependency_condition_is_refused(tmp_path) -> None:
    """A broken copy fails the same check, so the check is not vacuous."""
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        COMPOSE.read_text(encoding="utf-8").replace(
            "service_completed_successfully", "service_completed", 1
        ),
        encoding="utf-8",
    )

    result = schema_check(broken)

    assert result.returncode == 1
    assert "service_completed" in result.stdout


def test_postgres_keeps_its_data_in_a_volume_and_says_when_it_is_ready() -> None:
    postgres = compose()["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+[-.\w]*", postgres["image"])
    (volume,) = postgres["volumes"]
    name, _, path = volume.partition(":")
    assert name in compose()["volumes"]
    assert path == "/var/lib/postgresql/data"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_the_schema_is_upgraded_once_before_web_and_worker_start() -> None:
    """`migrate` runs `loanwatch db upgrade` once the database is healthy and is not restarted;
    web and worker wait until it has exited 0."""
    services = compose()["services"]
    migrate = services["migrate"]
    assert command_of(migrate["command"]).name == "upgrade"
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for role in ("web", "worker"):
        assert services[role]["command"] == [role]
        assert command_of(services[role]["command"]).name == role
        assert services[role]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_every_loanwatch_service_runs_the_image_the_dockerfile_builds() -> None:
    """Built from the repository's top level with deploy/Dockerfile, named with the project's
    version, its settings from the top-level .env (the copy of .env.example), a read-only
    root with /tmp writable, as in Kubernetes."""
    for name in LOANWATCH_SERVICES:
        service = compose()["services"][name]
        assert service["image"] == f"loanwatch:{version()}"
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert context == ROOT
        assert (context / service["build"]["dockerfile"]).resolve() == DOCKERFILE
        assert (DEPLOY / service["env_file"]).resolve() == ROOT / ".env"
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]


def test_web_publishes_the_port_it_listens_on_and_only_it_keeps_the_image_healthcheck() -> None:
    """The image's HEALTHCHECK asks /healthz over HTTP: `web` serves it; `migrate` and `worker`
    serve no HTTP, so it is off for them."""
    services = compose()["services"]
    web = services["web"]
    (published,) = web["ports"]
    assert published == f"127.0.0.1:3000:{web['environment']['PORT']}"
    assert "healthcheck" not in web
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}


def test_the_database_url_names_the_postgres_service_with_its_user_and_password(
    monkeypatch,
) -> None:
    """Interpolated as compose would with POSTGRES_PASSWORD from .env, DATABASE_URL reaches the
    postgres service as its user, with its password, in its database, and is a valid setting."""
    postgres = compose()["services"]["postgres"]["environment"]
    password = "s3cretpassw0rd"
    for name in LOANWATCH_SERVICES:
        environment = compose()["services"][name]["environment"]
        url = re.sub(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", password, environment["DATABASE_URL"])
        monkeypatch.setenv("DATABASE_URL", url)
        assert Settings(_env_file=None).database_url == (
            f"postgresql+psycopg://{postgres['POSTGRES_USER']}:{password}"
            f"@postgres:5432/{postgres['POSTGRES_DB']}"
        )
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", postgres["POSTGRES_PASSWORD"])


def test_the_merge_keys_give_every_loanwatch_service_the_shared_block() -> None:
    """The `x-loanwatch` block is what each loanwatch service gets (YAML merge keys), so a
    change there reaches all three; only `migrate` overrides one key: it is never restarted."""
    shared = compose()["x-loanwatch"]
    for name in LOANWATCH_SERVICES:
        service = compose()["services"][name]
        overridden = {k for k in shared if service[k] != shared[k]}
        assert overridden == ({"restart"} if name == "migrate" else set()), name
