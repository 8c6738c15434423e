"""deploy/kubernetes: valid for the Kubernetes API, and running what loanwatch needs.

The manifests are validated against the Kubernetes JSON schemas that kubernetes-validate
bundles (offline), in strict mode (an unknown field, such as a misspelt probe, is an error),
for the oldest and the newest Kubernetes versions named below. No cluster runs them here.
"""

from typing import Any

import kubernetes_validate
import pytest

from bot.settings import Settings
from tests.deploy.files import (
    EXAMPLE_SECRET,
    KUBERNETES,
    command_of,
    documents,
    kustomization,
    manifest_files,
    pod_specs,
    resource,
    stages,
    version,
)

# The oldest Kubernetes still widely run that the manifests promise to fit, and the newest
# whose schemas the validator bundles.
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())


def problems(document: dict[str, Any], kubernetes: str) -> list[str]:
    """Every schema violation of one object, as "kind/name: path: message"; [] when valid."""
    try:
        kubernetes_validate.validate(document, kubernetes, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(p) for p in error.path)
        name = f"{document['kind'].lower()}/{document['metadata']['name']}"
        return [f"{name}: {path}: {error.message}"]
    return []


@pytest.mark.parametrize("kubernetes", VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_every_manifest_is_valid_for_kubernetes(path, kubernetes) -> None:
    """Each object of each file passes the Kubernetes schema of that version, strictly."""
    objects = documents(path)
    assert objects, f"{path.name} holds no object"
    assert [p for doc in objects for p in problems(doc, kubernetes)] == []


def test_a_misspelt_probe_is_refused() -> None:
    """The same check catches a broken copy, so it is not vacuous."""
    web = resource("Deployment", "loanwatch-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")

    assert problems(web, VERSIONS[-1]) == [
        "deployment/loanwatch-web: spec/template/spec/containers/0: Additional properties are "
        "not allowed ('readinesProbe' was unexpected)"
    ]


def test_kustomize_applies_every_manifest_but_the_example_secret() -> None:
    """kustomization.yaml lists each manifest once (the example Secret stays out, so applying it
    never overwrites real secrets), and its image entry is the image the pods run."""
    listed = kustomization()["resources"]
    assert sorted(listed) == sorted(p.name for p in manifest_files() if p.name != EXAMPLE_SECRET)
    assert all((KUBERNETES / name).is_file() for name in listed)
    (image,) = kustomization()["images"]
    assert image == {"name": "loanwatch", "newName": "loanwatch", "newTag": version()}


def containers() -> dict[str, dict[str, Any]]:
    (web,) = pod_specs()["loanwatch-web"]["containers"]
    (worker,) = pod_specs()["loanwatch-worker"]["containers"]
    (upgrade,) = pod_specs()["loanwatch-db-upgrade"]["containers"]
    return {"web": web, "worker": worker, "db upgrade": upgrade}


def test_each_pod_runs_its_own_loanwatch_command_from_the_versioned_image() -> None:
    """web, worker and db upgrade are real commands of `loanwatch` (the image's entrypoint),
    on the image that carries the project's version, never `latest`."""
    for role, container in containers().items():
        assert container["args"] == role.split()
        assert command_of(container["args"]).name == role.split()[-1]
        assert container["image"] == f"loanwatch:{version()}"
        assert "command" not in container  # the image's ENTRYPOINT, `loanwatch`, stays


def test_two_web_and_two_worker_replicas_a_budget_for_each_and_a_job_for_the_schema() -> None:
    web, worker = (
        resource("Deployment", "loanwatch-web"),
        resource("Deployment", "loanwatch-worker"),
    )
    assert (web["spec"]["replicas"], worker["spec"]["replicas"]) == (2, 2)
    for deployment in (web, worker):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"] == labels
        budget = resource("PodDisruptionBudget", deployment["metadata"]["name"])
        assert budget["spec"]["selector"]["matchLabels"] == labels
        assert budget["spec"]["minAvailable"] == 1
    job = resource("Job", "loanwatch-db-upgrade")
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_web_is_ready_on_readyz_alive_on_healthz_and_behind_the_service() -> None:
    """The probes ask the server's real paths on the port it listens on (PORT in the
    ConfigMap), and the Service sends to that port of the web pods only."""
    web = containers()["web"]
    (port,) = web["ports"]
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    config = resource("ConfigMap", "loanwatch-config")["data"]
    assert port["containerPort"] == int(config["PORT"])
    assert config["LOANWATCH_HOST"] == "0.0.0.0"
    service = resource("Service", "loanwatch-web")
    assert service["spec"]["selector"] == pod_specs_labels("loanwatch-web")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [port["name"]]


def pod_specs_labels(name: str) -> dict[str, str]:
    return resource("Deployment", name)["spec"]["template"]["metadata"]["labels"]


def test_every_pod_runs_as_the_image_user_on_a_read_only_root_with_a_writable_tmp() -> None:
    """Non-root as the Dockerfile's USER, no privilege escalation, no capabilities, a read-only
    root filesystem with /tmp an emptyDir (matplotlib's cache, MPLCONFIGDIR in the image),
    memory limits and requests set."""
    (user,) = [i["value"] for i in stages()[-1] if i["instruction"] == "USER"]
    uid, gid = (int(part) for part in user.split(":"))
    for name, spec in pod_specs().items():
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert (security["runAsUser"], security["runAsGroup"]) == (uid, gid), name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            hardened = container["securityContext"]
            assert hardened["readOnlyRootFilesystem"] is True, name
            assert hardened["allowPrivilegeEscalation"] is False, name
            assert hardened["capabilities"] == {"drop": ["ALL"]}, name
            (mount,) = container["volumeMounts"]
            assert mount["mountPath"] == "/tmp"
            assert "emptyDir" in volumes[mount["name"]], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name


def test_every_pod_reads_the_config_map_and_the_secret_the_manifests_name() -> None:
    config = resource("ConfigMap", "loanwatch-config")["metadata"]["name"]
    secret = resource("Secret", "loanwatch-secrets")["metadata"]["name"]
    for name, spec in pod_specs().items():
        for container in spec["containers"]:
            assert container["envFrom"] == [
                {"configMapRef": {"name": config}},
                {"secretRef": {"name": secret}},
            ], name


def test_the_example_settings_are_settings_loanwatch_accepts(monkeypatch) -> None:
    """The ConfigMap and the example Secret, as a pod's environment, make valid Settings that
    use PostgreSQL (replicas cannot share the SQLite default)."""
    environment = {
        **resource("ConfigMap", "loanwatch-config")["data"],
        **resource("Secret", "loanwatch-secrets")["stringData"],
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings = Settings(_env_file=None)

    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.port == int(environment["PORT"])
