"""Every environment variable deploy/ sets is a setting of bot/settings.py, and every setting
loanwatch cannot start without is provided.

An unknown name would be ignored without a word (Settings ignores extra variables), so a typo
in a manifest would leave a default in force: that is what this catches.
"""

from typing import Any

from bot.settings import Settings
from tests.deploy.files import (
    COMPOSE,
    LOANWATCH_SERVICES,
    compose,
    pod_specs,
    resource,
    resources,
)

SETTINGS = {field.validation_alias for field in Settings.model_fields.values()}
# Settings with no default: a deployment that leaves one out does not start.
WITHOUT_DEFAULT = {
    field.validation_alias for field in Settings.model_fields.values() if field.is_required()
}
# What replicas need although each has a default: one PostgreSQL database for all (the SQLite
# default is a file of one machine), and Slack's bot token and signing secret, without which
# `loanwatch web` refuses to start (bot/slack/app.py).
FOR_REPLICAS = {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}


def kubernetes_environment() -> dict[str, set[str]]:
    """The variables each Kubernetes object sets, by "kind/name"."""
    found: dict[str, set[str]] = {}
    for item in resources():
        name = f"{item['kind']}/{item['metadata']['name']}"
        if item["kind"] == "ConfigMap":
            found[name] = set(item.get("data", {}))
        elif item["kind"] == "Secret":
            found[name] = set(item.get("stringData", {})) | set(item.get("data", {}))
    for name, spec in pod_specs().items():
        containers: list[dict[str, Any]] = spec["containers"] + spec.get("initContainers", [])
        found[f"pod of {name}"] = {e["name"] for c in containers for e in c.get("env", [])}
    return found


def test_kubernetes_sets_only_settings_loanwatch_reads() -> None:
    unknown = {where: names - SETTINGS for where, names in kubernetes_environment().items()}
    assert {where: names for where, names in unknown.items() if names} == {}


def test_compose_sets_only_settings_loanwatch_reads() -> None:
    services = compose()["services"]
    unknown = {
        name: set(services[name].get("environment", {})) - SETTINGS for name in LOANWATCH_SERVICES
    }
    assert {name: names for name, names in unknown.items() if names} == {}


def test_kubernetes_provides_every_setting_loanwatch_cannot_start_without() -> None:
    """The example Secret and the ConfigMap, which every pod reads (test_kubernetes.py), hold
    each setting without a default and each that replicas need."""
    provided = set(resource("ConfigMap", "loanwatch-config")["data"]) | set(
        resource("Secret", "loanwatch-secrets")["stringData"]
    )
    assert (WITHOUT_DEFAULT | FOR_REPLICAS) - provided == set()


def test_compose_provides_the_database_and_leaves_slack_to_the_env_file() -> None:
    """compose.yaml sets the database itself; Slack's secrets and every other setting come
    from .env (`cp .env.example .env`), which lists every setting."""
    example = {
        line.partition("=")[0].strip()
        for line in (COMPOSE.parents[1] / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    for name in LOANWATCH_SERVICES:
        service = compose()["services"][name]
        assert "DATABASE_URL" in service["environment"]
        assert service["env_file"] == "../.env"
        assert (WITHOUT_DEFAULT | FOR_REPLICAS) - set(service["environment"]) <= example


def test_a_misspelt_setting_would_be_caught(monkeypatch) -> None:
    """Settings ignores a variable it does not know (LOANWATCH_TIMEZONE misspelt keeps the
    default zone), which is why the names are checked against the settings above."""
    monkeypatch.delenv("LOANWATCH_TIMEZONE", raising=False)
    monkeypatch.setenv("LOANWATCH_TIME_ZONE", "Europe/Berlin")
    assert Settings(_env_file=None).timezone == "Asia/Shanghai"
    assert "LOANWATCH_TIME_ZONE" not in SETTINGS
    assert "LOANWATCH_TIMEZONE" in SETTINGS
