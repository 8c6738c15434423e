"""Whether a request from Slack is for this installation: its workspace and its app.

A valid signature says Slack sent the request; it does not say the request is about the
workspace and the app this loanwatch serves. `Admission` is the one place that decides, before
any listener (or the error handler) may act on a request:

1. The request was verified: it came through `bot.slack.ingress`, which checked its signature
   (HTTP), or over Socket Mode's authenticated WebSocket. Anything else gets 401.
2. The installation is known: `auth.test` (and `bots.info` when auth.test does not name the
   app) was asked once and the answer kept for the life of the process. While Slack cannot
   say, every request gets 503 and the next request asks again.
3. The request is the installation's: its app id (and a view's), and every workspace id it
   carries that Bolt or loanwatch could read (:class:`RequestClaim`). Otherwise 403; the
   refusal is logged (without the body) and audited.

Only then is the request marked admitted; `bot.slack.app._on_error` acts on admitted requests
only. Slack's handshakes never get here: the ingress answers them itself.
"""

import http.client
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)

# Set by the HTTP ingress on a request whose signature it checked; nothing in a body can set it.
VERIFIED = "loanwatch_verified"
# Set by Admission once a request is verified and bound to this installation.
ADMITTED = "loanwatch_admitted"
# Ids in a refusal's log line and audit record are cut to this length: they are what the
# request said, not what the installation knows.
SHOWN_ID = 64


@dataclass(frozen=True)
class SlackInstallation:
    """The workspace and app the bot token belongs to, as Slack said at start-up."""

    team_id: str
    enterprise_id: str | None
    app_id: str
    bot_id: str
    bot_user_id: str
    # Installed on a whole Enterprise Grid org: every workspace of the org is the installation's.
    org_wide: bool = False

    def refusal(self, claim: "RequestClaim") -> str | None:
        """Why a request is not for this installation, or None when it is."""
        if claim.app_id != self.app_id:
            return "api_app_id is not this app's"
        if claim.view_app_id is not None and claim.view_app_id != self.app_id:
            return "the view belongs to another app"
        if claim.enterprise_id != self.enterprise_id:
            return "enterprise_id is not this installation's"
        for where, value in claim.enterprise_ids:
            if value != self.enterprise_id:
                return f"{where} is not this installation's enterprise"
        for where, value in claim.org_wide:
            if value != self.org_wide:
                return f"{where} does not match how this app is installed"
        if self.org_wide:
            # Every workspace of the enterprise is the installation's; the enterprise decided.
            return None
        if claim.own_team is None:
            return "the request names no workspace (team_id / team.id)"
        for where, value in claim.team_ids:
            if value != self.team_id:
                return f"{where} is not this installation's workspace"
        return None


@dataclass(frozen=True)
class RequestClaim:
    """Who a request says it is for: every workspace and app id in it that Bolt or loanwatch
    could read, each with where it was found.

    Bolt's context (`slack_bolt/request/internals.py`, `build_context`) takes its team id from
    `view.app_installed_team_id`, then `team` (`team.id`), then `authorizations[0].team_id`,
    then `team_id`, and only when none is there from `event`, `user.team_id` or `view.team_id`;
    its enterprise id from `enterprise` (`enterprise.id`), `authorizations[0].enterprise_id`,
    `enterprise_id`, `team.enterprise_id`, then `event`; `is_enterprise_install` from
    `authorizations[0]`, then the top level. So the request must name its own workspace at the
    top (`team_id` or `team.id`), and every one of those ids it carries must be ours, whichever
    Bolt would pick. `user.team_id`, `view.team_id` and the event's `team` / `user_team` say
    where a person or a view is from (a Slack Connect guest's own workspace) and are not read
    for anything, so they may differ.
    """

    app_id: Any
    view_app_id: Any
    # The request's own workspace: `team_id`, else `team.id` (or `team` as a string).
    own_team: Any
    team_ids: tuple[tuple[str, Any], ...]
    # Bolt's pick of the enterprise id (None when the request names none).
    enterprise_id: Any
    enterprise_ids: tuple[tuple[str, Any], ...]
    org_wide: tuple[tuple[str, Any], ...]
    user_id: str | None
    kind: str

    @classmethod
    def of(cls, request: BoltRequest) -> "RequestClaim":
        body = request.body
        context = request.context
        view = _object(body.get("view"))
        team = body.get("team")
        team_object = _object(team)
        teams = [
            ("team_id", body.get("team_id")),
            ("team", team if not isinstance(team, dict) else team_object.get("id")),
            ("view.app_installed_team_id", view.get("app_installed_team_id")),
            *_each(body, "team_id"),
            ("the team id Bolt read", context.team_id),
        ]
        enterprise = body.get("enterprise")
        enterprises = [
            ("enterprise_id", body.get("enterprise_id")),
            ("enterprise", _object(enterprise).get("id", enterprise)),
            ("team.enterprise_id", team_object.get("enterprise_id")),
            *_each(body, "enterprise_id"),
        ]
        org_wide = [
            ("is_enterprise_install", body.get("is_enterprise_install")),
            *_each(body, "is_enterprise_install"),
        ]
        own = [value for _, value in _named(teams[:2])]
        return cls(
            app_id=body.get("api_app_id"),
            view_app_id=view.get("app_id"),
            own_team=own[0] if own else None,
            team_ids=_named(teams),
            enterprise_id=context.enterprise_id,
            enterprise_ids=_named(enterprises),
            org_wide=tuple((where, _yes(value)) for where, value in _named(org_wide)),
            user_id=context.user_id,
            kind=_kind(body),
        )

    def shown(self) -> dict[str, str | None]:
        """The claim for a log line or an audit record: short strings, never the body."""
        return {
            "type": _short(self.kind),
            "team_id": _short(self.own_team),
            "enterprise_id": _short(self.enterprise_id),
            "api_app_id": _short(self.app_id),
            "user_id": _short(self.user_id),
        }


class InstallationLookup:
    """The installation, from `auth.test` (and `bots.info`), asked until known, then kept."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._known: SlackInstallation | None = None
        self._lock = threading.Lock()

    def get(self) -> SlackInstallation | None:
        """The installation, or None (logged) while Slack cannot say; the next call asks again."""
        known = self._known
        if known is not None:
            return known
        with self._lock:
            if self._known is None:
                self._known = self._ask()
            return self._known

    def _ask(self) -> SlackInstallation | None:
        try:
            me = self.client.auth_test()
            bot_id = str(me["bot_id"])
            # auth.test names the app on some answers; bots.info always does (users:read).
            app_id = me.get("app_id") or self.client.bots_info(bot=bot_id)["bot"]["app_id"]
            installation = SlackInstallation(
                team_id=str(me["team_id"]),
                enterprise_id=me.get("enterprise_id") or None,
                app_id=str(app_id),
                bot_id=bot_id,
                bot_user_id=str(me["user_id"]),
                org_wide=bool(me.get("is_enterprise_install")),
            )
        except (SlackClientError, OSError, http.client.HTTPException, KeyError, TypeError) as exc:
            log.error(
                "cannot tell which Slack workspace and app this is (auth.test / bots.info: %s: "
                "%s); every request is refused with 503 until Slack answers. Check "
                "SLACK_BOT_TOKEN, SLACK_API_URL and that the app has the users:read scope.",
                type(exc).__name__,
                exc,
            )
            return None
        log.info(
            "serving Slack workspace %s (enterprise %s), app %s",
            installation.team_id,
            installation.enterprise_id or "none",
            installation.app_id,
        )
        return installation


class Admission(Middleware):
    """Bolt's first middleware: verified, known, bound, or refused."""

    def __init__(
        self, lookup: InstallationLookup, audit_refusal: Callable[[str, dict[str, Any]], None]
    ) -> None:
        self.lookup = lookup
        self.audit_refusal = audit_refusal

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode != "socket_mode" and req.context.get(VERIFIED) is not True:
            log.warning("refused a request that did not pass the signature check")
            return _refuse(401, "invalid request")
        installation = self.lookup.get()
        if installation is None:
            return _refuse(503, "loanwatch cannot reach Slack to learn its installation")
        claim = RequestClaim.of(req)
        why = installation.refusal(claim)
        if why is not None:
            details = {"reason": why, **claim.shown()}
            log.warning("refused a request not for this installation: %s", details)
            self.audit_refusal(details["user_id"] or "unknown", details)
            return _refuse(403, "this request is not for this loanwatch installation")
        req.context[ADMITTED] = True
        return next()


def admitted(context: Mapping[str, Any]) -> bool:
    """True if Admission let this request through (the error handler's test)."""
    return context.get(ADMITTED) is True


def _kind(body: Mapping[str, Any]) -> str:
    if "command" in body:
        return "slash_command"
    kind = body.get("type")
    return kind if isinstance(kind, str) else "unknown"


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _each(body: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    """`key` of every entry of `authorizations` (Events API), with where it was found."""
    entries = body.get("authorizations")
    if not isinstance(entries, list):
        return [] if entries is None else [("authorizations", entries)]
    return [(f"authorizations[{n}].{key}", _object(a).get(key)) for n, a in enumerate(entries)]


def _named(found: list[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    """The ids actually given: as Bolt does, an empty one is no id."""
    return tuple((where, value) for where, value in found if value not in (None, ""))


def _yes(value: Any) -> bool | Any:
    """An `is_enterprise_install` as a bool: JSON's true/false, a form's "true"/"false"."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    return value


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:SHOWN_ID]


def _refuse(status: int, error: str) -> BoltResponse:
    return BoltResponse(status=status, body={"error": error})
