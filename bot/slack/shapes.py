"""The shapes Slack gives each kind of request, checked before Bolt or a listener reads one.

Slack's own requests always have them: a slash command names its user, a click carries a list
of actions, a form submission its view with the state of its fields. A signed body without them
was not made by Slack's servers as documented, and a listener reading it would fail half-way
with a traceback; `bot.slack.ingress` answers it 400 instead, like any other body Slack would
not send. Fields are checked only as far as Bolt and loanwatch read them; anything else may be
there or not (Slack adds fields over time).

Every kind: the ids a request names itself by (workspace, enterprise, app, user, channel) are
strings where present, or objects holding strings where Slack nests them; `authorizations` is a
list of objects. Then, by kind (as Bolt routes them):

- a slash command (a `command` field): `command` and `user_id`;
- `block_actions`: `user.id` and a non-empty list of `actions`, each with an `action_id` (and
  its `value` a string, its `selected_option` an option with a string `value`, when given);
- `view_submission` / `view_closed`: `user.id`, and a `view` with `id` and `callback_id` (and
  for a submission, `state.values`: block id → action id → what the input holds, its typed
  `value` a string and its `selected_option` an option with a string `value`, when given);
- `message_action` (a message shortcut): `user.id`, `callback_id` and `trigger_id`;
- `event_callback`: an `event` object with its `type` (and `user` for `app_home_opened`,
  `user_id` and `file_id` for `file_shared`).

https://api.slack.com/interactivity/handling#payloads · https://api.slack.com/apis/events-api
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ShapeError", "check_shape"]


class ShapeError(ValueError):
    """The body does not have the shape Slack gives its kind of request; the text says where."""


class _Slack(BaseModel):
    # Strict: a number is not a string here, as it is not in Slack's payloads. Extra fields are
    # Slack's to add.
    model_config = ConfigDict(extra="allow", strict=True)


class _Team(_Slack):
    id: str | None = None
    enterprise_id: str | None = None


class _Enterprise(_Slack):
    id: str | None = None


class _Authorization(_Slack):
    team_id: str | None = None
    enterprise_id: str | None = None
    is_enterprise_install: bool | None = None


class _User(_Slack):
    id: str | None = None
    team_id: str | None = None


class _Channel(_Slack):
    id: str | None = None


class _View(_Slack):
    id: str | None = None
    app_id: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None
    callback_id: str | None = None
    private_metadata: str | None = None


class _Event(_Slack):
    type: str
    user: str | dict[str, Any] | None = None


class _Any(_Slack):
    """What every request may carry, typed as Slack types it."""

    type: str | None = None
    team_id: str | None = None
    team: str | _Team | None = None
    enterprise_id: str | None = None
    enterprise: str | _Enterprise | None = None
    is_enterprise_install: bool | str | None = None
    authorizations: list[_Authorization] | None = None
    api_app_id: str | None = None
    user_id: str | None = None
    user: str | _User | None = None
    channel_id: str | None = None
    channel: str | _Channel | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    view: _View | None = None
    event: _Event | None = None
    trigger_id: str | None = None
    response_url: str | None = None


class _Command(_Slack):
    command: str
    user_id: str
    text: str | None = None


class _Clicker(_Slack):
    id: str


class _Option(_Slack):
    value: str


class _Action(_Slack):
    action_id: str
    value: str | None = None
    selected_option: _Option | None = None


class _BlockActions(_Slack):
    user: _Clicker
    actions: list[_Action]


class _OpenView(_Slack):
    id: str
    callback_id: str


class _ElementState(_Slack):
    """What one input holds when a form is submitted (a text, or the option picked)."""

    value: str | None = None
    selected_option: _Option | None = None


class _State(_Slack):
    values: dict[str, dict[str, _ElementState]]


class _SubmittedView(_OpenView):
    state: _State


class _ViewSubmission(_Slack):
    user: _Clicker
    view: _SubmittedView


class _ViewClosed(_Slack):
    user: _Clicker
    view: _OpenView


class _HomeOpened(_Slack):
    type: str
    user: str


class _MessageAction(_Slack):
    user: _Clicker
    callback_id: str
    trigger_id: str
    message: dict[str, Any] | None = None


class _FileShared(_Slack):
    type: str
    user_id: str
    file_id: str


class _EventCallback(_Slack):
    event: _Event


BY_TYPE: dict[str, type[_Slack]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "view_closed": _ViewClosed,
    "event_callback": _EventCallback,
    "message_action": _MessageAction,
}
EVENTS: dict[str, type[_Slack]] = {"app_home_opened": _HomeOpened, "file_shared": _FileShared}


def check_shape(body: dict[str, Any]) -> None:
    """Nothing, or ShapeError naming the first field that is not as Slack sends it."""
    shapes: list[type[_Slack]] = [_Any]
    if "command" in body:  # Bolt routes any body with a `command` to the command listener
        shapes.append(_Command)
    kind = body.get("type")
    if isinstance(kind, str) and kind in BY_TYPE:
        shapes.append(BY_TYPE[kind])
    for shape in shapes:
        try:
            shape.model_validate(body)
        except ValidationError as exc:
            raise ShapeError(_first(exc)) from None
    if kind == "block_actions" and not body["actions"]:
        raise ShapeError("actions: a click carries at least one action")
    event = body.get("event")
    if kind == "event_callback" and event["type"] in EVENTS:
        try:
            EVENTS[event["type"]].model_validate(event)
        except ValidationError as exc:
            raise ShapeError("event." + _first(exc)) from None


def _first(error: ValidationError) -> str:
    """The first problem, short: where it is and what was expected (never the value itself)."""
    problem = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    return f"{where}: {problem['msg']}"[:200]
