"""Whether a request from Slack is for this installation: its workspace and its app.

A valid signature says Slack sent the request; it does not say the request is about the
workspace and the app this loanwatch serves. `Admission` is the one place that decides, before
any listener (or the error handler) may act on a request:

1. The request was verified: it came through `bot.slack.ingress`, which checked its signature
   (HTTP), or over Socket Mode's authenticated WebSocket. Anything else gets 401.
2. The installation is known: `auth.test` (and `bots.info` when auth.test does not name the
   app) was asked once and the answer kept for the life of the process. While Slack cannot
   say, every request gets 503 and the next request asks again.
3. The request's workspace (team id, and enterprise id on Enterprise Grid) and app id are the
   installation's. Otherwise 403; the refusal is logged (without the body) and audited.

Only then is the request marked admitted; `bot.slack.app._on_error` acts on admitted requests
only.
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
# Handshakes that name no workspace or app and make the app do nothing but answer: Slack's check
# of the events URL (answered with its challenge by Bolt) and its SSL check.
HANDSHAKES = frozenset({"url_verification", "ssl_check"})
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
        if not self.org_wide and claim.team_id != self.team_id:
            return "team_id is not this installation's"
        return None


@dataclass(frozen=True)
class RequestClaim:
    """Who a request says it is for: what Bolt read from it, plus its app ids."""

    team_id: str | None
    enterprise_id: str | None
    app_id: Any
    view_app_id: Any
    user_id: str | None
    kind: str

    @classmethod
    def of(cls, request: BoltRequest) -> "RequestClaim":
        body = request.body
        view = body.get("view")
        context = request.context
        return cls(
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            app_id=body.get("api_app_id"),
            view_app_id=view.get("app_id") if isinstance(view, dict) else None,
            user_id=context.user_id,
            kind=_kind(body),
        )

    def shown(self) -> dict[str, str | None]:
        """The claim for a log line or an audit record: short strings, never the body."""
        return {
            "type": _short(self.kind),
            "team_id": _short(self.team_id),
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
    """Bolt's first middleware after its SSL check: verified, known, bound, or refused."""

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
        if _kind(req.body) in HANDSHAKES:
            return next()
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
    kind = body.get("type")
    if isinstance(kind, str):
        return kind
    if body.get("ssl_check") == "1":
        return "ssl_check"
    return "slash_command" if "command" in body else "unknown"


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:SHOWN_ID]


def _refuse(status: int, error: str) -> BoltResponse:
    return BoltResponse(status=status, body={"error": error})
