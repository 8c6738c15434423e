"""The Bolt app: built from settings, listeners registered by surface, one error handler.

    app = build_app(settings, sessions)
    serve(app, settings)                    # HTTP (bot.slack.server)
    SocketModeHandler(app, app_token).start()  # or Socket Mode

Everything the app sends to Slack goes through one WebClient whose base URL is SLACK_API_URL,
timed and its failures counted (bot.metrics.slack_api; Bolt's own client for each request is
swapped for a timed one in the first middleware, so the listeners' calls are counted too).
"""

import contextvars
import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.db import database_unavailable
from bot.errors import SettingsError
from bot.i18n import _, current, speak, use
from bot.logs import ContextExecutor
from bot.metrics.slack_api import TimedWebClient, timed_like
from bot.settings import Settings
from bot.slack import actions, commands, events, views
from bot.slack.binding import SHOWN_ID, VERIFIED, Admission, InstallationLookup, admitted
from bot.slack.context import KEY, Loanwatch
from bot.slack.dashboard_cache import DashboardCache
from bot.slack.languages import UserLanguages, slack_locale
from bot.slack.lookups import Lookups
from bot.slack.roles import RoleBook

log = logging.getLogger(__name__)

# What Slack may send again when the database was unavailable: an event (Slack resends one that
# was not answered 2xx) and a click (the person clicks again), and what a 503 asks it to wait.
SENT_AGAIN = ("block_actions", "event_callback")
RETRY_SECONDS = 5
# How long the call asking a person's language may run: the request waits for it only until its
# deadline (bot.slack.lookups); an answer that comes after is still kept for the next request.
LANGUAGE_SECONDS = 3


def web_client(settings: Settings, *, token: str | None = None) -> WebClient:
    """A Web API client for SLACK_API_URL that retries only what cannot have happened yet.

    A 429 means Slack did nothing, so it is retried after Retry-After. A dropped connection or
    a 5xx may come after Slack acted: retrying a post would show the draw's schedule twice, so
    those are not retried here. (Alert messages go through the delivery worker, which finds an
    earlier post by its metadata before trying again; see jobs/transports/slack.py.)
    """
    secret = settings.slack_bot_token
    return TimedWebClient(
        token=token or (secret.get_secret_value() if secret else None),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )


def build_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime] = utcnow,
    socket_mode: bool = False,
    dashboards: DashboardCache | None = None,
    executor: Executor | None = None,
) -> App:
    """The app with every listener registered; needs SLACK_BOT_TOKEN (and, for HTTP, the secret).

    `executor` runs what listeners do after Slack had its answer (Bolt's lazy listeners: a
    shared file's import); Bolt's own thread pool when not given."""
    secret = _signing_secret(settings, socket_mode)
    client = web_client(settings)
    # Group lookups happen while Slack waits for our answer (3 s): a short timeout and no
    # retries, and RoleBook keeps what it knew when Slack does not answer. The installation's
    # own lookup (auth.test) is asked the same way. A person's groups and their language are
    # asked at once, as the request starts, and waited for until one deadline (`provide`).
    lookups = TimedWebClient(
        token=client.token, base_url=settings.slack_api_url, timeout=2, retry_handlers=[]
    )
    asking = Lookups()
    roles = RoleBook(
        settings.role_members(),
        lambda group: lookups.usergroups_users_list(usergroup=group)["users"],
        lookups=asking,
    )
    loanwatch = Loanwatch(
        settings=settings,
        sessions=sessions,
        roles=roles,
        policy=settings.alert_policy(),
        clock=clock,
        dashboards=dashboards or DashboardCache(settings.status_cache_seconds),
    )
    app = App(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        # Signatures are checked once, before anything parses the body (bot.slack.ingress);
        # Socket Mode messages come over an authenticated WebSocket. Admission, Bolt's first
        # middleware, lets through only what one of those two verified, and only for this
        # workspace and app.
        request_verification_enabled=False,
        # Slack's handshakes (the events URL's challenge, the SSL check) are answered by the
        # ingress and never reach Bolt; a `type` field in anything else means nothing special.
        ssl_check_enabled=False,
        url_verification_enabled=False,
        before_authorize=Admission(
            InstallationLookup(lookups),
            lambda user_id, details: loanwatch.refuse(user_id, "slack_request", details),
        ),
        # Listeners finish before the answer goes back: they are quick (one transaction), and
        # Slack then shows the result of the command, not a promise of one.
        process_before_response=True,
        token_verification_enabled=False,
        # A request no listener takes goes to `_on_error`, which logs a short line about it
        # (Bolt's own warning quotes the whole request and suggests code).
        raise_error_for_unhandled_request=True,
        logger=logging.getLogger("slack_bolt"),
        # Bolt's own default is a pool of 10; this one keeps each request's id on its lines.
        listener_executor=executor or ContextExecutor(max_workers=10),
    )

    languages = UserLanguages(
        slack_locale(_language_lookups(client)), settings.language, lookups=asking
    )

    app.middleware(_provider(loanwatch, languages, asking))
    _own_context_each(app)
    app.error(_error_handler(languages))
    for surface in (commands, actions, views, events):
        surface.register(app, settings)
    return app


def _provider(
    loanwatch: Loanwatch, languages: UserLanguages, asking: Lookups
) -> Callable[..., None]:
    """The first middleware: the listeners' dependencies, a timed client, and the language."""

    def provide(context: Any, next: Callable[[], None]) -> None:
        context[KEY] = loanwatch
        context["client"] = timed_like(context.client)
        # Everything said to the person who sent this (replies, forms, App Home) is in their
        # language; a message to a channel words itself in the channel's (bot.languages).
        # Bolt runs the listener after every middleware has returned (`next` only lets the
        # request on), so a `with use(…)` here would end before the listener spoke: the
        # language is set for the rest of this request's context instead, as each request's.
        # The person's groups (for their role) are asked for first, without waiting, so both
        # lookups share one deadline well inside Slack's 3 s (bot.slack.lookups).
        asking.begin()
        if context.user_id:
            loanwatch.roles.warm(context.user_id)
        speak(languages.of(context.user_id))
        next()

    return provide


def _language_lookups(client: WebClient) -> WebClient:
    """The client that asks Slack a person's language: it shares Slack's 3 s with the role
    lookup (asked at the same time, both waited for until one deadline: bot.slack.lookups) and
    the listener. The request goes on without it at the deadline (the workspace's language);
    the call goes on for up to LANGUAGE_SECONDS, and its answer is kept for the next request
    (a failed one: the workspace's language for a minute, bot.slack.languages)."""
    return TimedWebClient(
        token=client.token, base_url=client.base_url, timeout=LANGUAGE_SECONDS, retry_handlers=[]
    )


def _own_context_each(app: App) -> None:
    """Dispatch each request in a copy of the caller's context: the language its middleware
    sets ends with it (the server's thread goes on to the next request), and lazy listeners
    (bot.logs.ContextExecutor) take it along."""
    dispatch = app.dispatch
    app.dispatch = lambda req: contextvars.copy_context().run(dispatch, req)  # type: ignore[method-assign]


def _signing_secret(settings: Settings, socket_mode: bool) -> SecretStr | None:
    """The signing secret (None in Socket Mode); a clear error when a needed setting is missing."""
    if settings.slack_bot_token is None:
        raise SettingsError(
            _(
                "SLACK_BOT_TOKEN is not set; the Slack app needs the bot token (xoxb-…), see "
                '"Install it in your workspace" in the README'
            )
        )
    secret = settings.slack_signing_secret
    if secret is None and not socket_mode:
        raise SettingsError(
            _(
                "SLACK_SIGNING_SECRET is not set; without it requests from Slack cannot be "
                "verified (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        )
    return secret


def _error_handler(languages: UserLanguages) -> Callable[..., BoltResponse]:
    """`_on_error` for Bolt, which calls it outside `provide`'s language: the person is told in
    theirs again (Bolt passes what a handler's parameters name)."""

    def on_error(
        error: Exception,
        body: dict[str, Any],
        request: BoltRequest,
        context: Any,
        respond: Any,
        client: WebClient,
    ) -> BoltResponse:
        return _on_error(error, body, request, context, respond, client, languages=languages)

    return on_error


def _on_error(
    error: Exception,
    body: dict[str, Any],
    request: BoltRequest,
    context: Any,
    respond: Any,
    client: WebClient,
    *,
    languages: UserLanguages | None = None,
) -> BoltResponse:
    """Log the traceback once, with a reference, and tell the person where they will see it.

    A slash command gets the text as its answer; a click gets an ephemeral message (Slack
    ignores the body of a click's answer); a form shows the text in place of its fields.
    A request that was not admitted (bot.slack.binding) is told nothing and nothing of it is
    used: its response_url, user, channel and trigger id may be anyone's. A click or an event
    met by a database that is unavailable for now (restarting) is answered 503, to be sent
    again, rather than 200 with the click or the event lost.
    """
    if isinstance(error, BoltUnhandledRequestError):
        return _unhandled(body)
    reference = uuid.uuid4().hex[:8]
    if not admitted(context):
        log.error("error %s before the request was admitted", reference, exc_info=error)
        verified = request.mode == "socket_mode" or context.get(VERIFIED) is True
        return BoltResponse(status=503 if verified else 401, body={"error": "not handled"})
    kind = "slash_command" if "command" in body else body.get("type")
    if kind in SENT_AGAIN and database_unavailable(error):
        # Nothing was kept (the transaction rolled back). A 503 makes Slack send an event
        # again; a click is shown to its clicker as failed, to click again.
        log.warning("database unavailable during a %s request (%s): answered 503", kind, reference)
        return BoltResponse(
            status=503,
            body={"error": "database unavailable"},
            headers={"Retry-After": str(RETRY_SECONDS)},
        )
    log.error("unhandled error %s in a %s request", reference, kind, exc_info=error)
    if kind == "event_callback":
        # A non-200 makes Slack send the event again, and again.
        return BoltResponse(status=200, body="")
    # Said in the person's language (admitted: the user id is the one Slack signed for).
    with use(languages.of(context.user_id) if languages is not None else current()):
        return _tell(kind, body, context, respond, client, reference)


def _tell(
    kind: Any, body: dict[str, Any], context: Any, respond: Any, client: WebClient, reference: str
) -> BoltResponse:
    """Tell the person an error happened, where they will see it (see `_on_error`)."""
    text = _(
        "Something went wrong on loanwatch's side (reference {reference}). Check with "
        "`/loan status` whether your change was made before trying again, and give your admin "
        "the reference if it happens again."
    ).format(reference=reference)
    if kind == "view_submission":
        return _json({"response_action": "update", "view": _error_view(text)})
    if kind == "block_actions":
        try:
            _tell_clicker(body, context.response_url, respond, client, text)
        except Exception:
            log.warning("could not tell the user about error %s", reference, exc_info=True)
        return BoltResponse(status=200, body="")
    return _json({"response_type": "ephemeral", "text": text})


def _unhandled(body: dict[str, Any]) -> BoltResponse:
    """A request no listener takes: one short line in the log, and Bolt's quiet answer (200 to
    an event, so Slack does not send it again and again; 404 to anything else)."""
    kind = "slash_command" if "command" in body else body.get("type")
    if kind == "block_actions":
        actions = body.get("actions") or []
        what = ",".join(str(a.get("action_id")) for a in actions[:3])
    elif kind in ("view_submission", "view_closed"):
        what = str((body.get("view") or {}).get("callback_id"))
    elif kind == "event_callback":
        what = str((body.get("event") or {}).get("type"))
    else:
        what = str(body.get("command") or "")
    log.warning("no listener for a %s request (%s)", _shown(kind), _shown(what))
    if kind == "event_callback":
        return BoltResponse(status=200, body="")
    return BoltResponse(status=404, body={"error": "unhandled request"})


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_ID else text[: SHOWN_ID - 1] + "…"


def _tell_clicker(
    body: dict[str, Any], response_url: str | None, respond: Any, client: WebClient, text: str
) -> None:
    if response_url:
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if isinstance(user_id, str) and user_id:
        client.chat_postMessage(channel=user_id, text=text)


def _error_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": _("Something went wrong")},
        "close": {"type": "plain_text", "text": _("Close")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )
