"""The Slack app manifest: valid for Slack, and asking for what the code uses."""

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from bot.settings import Settings
from bot.slack.import_words import SHORTCUT_CALLBACK

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "slack-app-manifest.yml"
SCHEMAS = ROOT / "tests" / "fixtures" / "slack-manifest-schema"

BOT_SCOPES = {
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "channels:history",
    "groups:history",
    "files:write",
    "files:read",
    "usergroups:read",
    "usergroups:write",
    "users:read",
    "im:write",
    "im:history",
}


def _sibling_schema(uri: str) -> Resource:
    # manifest.schema.json refers to the per-version files by absolute raw.githubusercontent.com
    # URLs (pinned to a tag), not relative ones: serve them from the copies beside it, by name.
    path = SCHEMAS / uri.rsplit("/", 1)[-1]
    if not path.is_file():
        raise NoSuchResource(ref=uri)
    return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))


def _causes(error: ValidationError) -> list[ValidationError]:
    """The errors worth showing: inside the top-level oneOf, those of the manifest's version."""
    if error.validator != "oneOf":
        return [error]
    # manifest.schema.json is oneOf[allOf[version test, version schema], ...]; a version test that
    # failed marks a branch this manifest was never meant for, and its errors are noise.
    other_versions = {e.relative_schema_path[0] for e in error.context if _in_version_test(e)}
    causes = [e for e in error.context if e.relative_schema_path[0] not in other_versions]
    return causes or [error]


def _in_version_test(error: ValidationError) -> bool:
    return list(error.relative_schema_path)[1:3] == ["allOf", 0]


def _problems(manifest: dict[str, Any]) -> list[str]:
    """Every schema violation as "path: message"; [] when the manifest is valid."""
    schema = json.loads((SCHEMAS / "manifest.schema.json").read_text(encoding="utf-8"))
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, registry=Registry(retrieve=_sibling_schema))
    return [
        f"{cause.json_path}: {cause.message}"
        for error in validator.iter_errors(manifest)
        for cause in _causes(error)
    ]


def _manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_is_valid_for_slack() -> None:
    """The manifest passes Slack's official app manifest schema."""
    assert _problems(_manifest()) == []


def test_a_slash_command_without_a_description_is_refused() -> None:
    """A broken copy fails the same check, so the check is not vacuous."""
    broken = _manifest()
    del broken["features"]["slash_commands"][0]["description"]
    assert _problems(broken) == [
        "$.features.slash_commands[0]: 'description' is a required property"
    ]


def test_the_slash_command_is_the_one_the_app_listens_for() -> None:
    """The manifest creates the command that Settings.slash_command defaults to."""
    (command,) = _manifest()["features"]["slash_commands"]
    assert command["command"] == Settings.model_fields["slash_command"].default


def test_the_manifest_asks_for_what_the_app_uses() -> None:
    """App Home, interactivity, the events listened to and exactly the bot scopes the code
    needs."""
    manifest = _manifest()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "file_shared",
    ]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


def test_the_import_shortcut_is_the_one_the_app_listens_for() -> None:
    """The message shortcut's callback id is the one bot.slack.views registers."""
    (shortcut,) = _manifest()["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SHORTCUT_CALLBACK)
