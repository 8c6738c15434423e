"""HTTP: Slack's requests on POST /slack/events, GET /healthz, GET /readyz and GET /metrics,
served by waitress.

waitress is a production WSGI server (pure Python, threads, no fork), so the same code serves
`loanwatch web`, `loanwatch run` and the tests, which start it on port 0.
"""

import gc
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from bot.health import Health
from bot.logs import bound
from bot.slack.ingress import MAX_BODY_BYTES, SlackEvents

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
# Everything under it goes to the ingest API (bot.api), when the process serves one.
API_PREFIX = "/api/"
# A request id given by a proxy in X-Request-Id is kept when it looks like one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# A connection that sends nothing for this many seconds (idle between requests, or stalled in
# the middle of a body) is closed; waitress looks every SWEEP_SECONDS. Slack sends a request
# whole in milliseconds, so a client trickling its body is cut off within about 12 s and does
# not hold a connection. A request already received is never cut off while it is served.
IDLE_SECONDS = 10
SWEEP_SECONDS = 2

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(
    app: App | None,
    health: Health,
    *,
    signing_secret: str | None,
    api: WsgiApp | None = None,
    metrics: WsgiApp | None = None,
) -> WsgiApp:
    """Slack's requests on POST /slack/events (checked first: bot.slack.ingress), the health
    report on GET /healthz, whether the schema is current on GET /readyz, the ingest API under
    /api/ (`api`, built by bot/cli, as Slack's package does not import the API's), Prometheus'
    metrics on GET /metrics (`metrics`, bot.metrics.exposition), 404 elsewhere. Without `app`
    (Slack off: no SLACK_BOT_TOKEN), /slack/events is a 404 too."""
    events = SlackEvents(app, signing_secret) if app is not None and signing_secret else None

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Every line logged for this request names it; the API reads it from the header.
        environ["HTTP_X_REQUEST_ID"] = request_id = _request_id(environ)
        with bound(request_id=request_id):
            return route(environ, start_response)

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            healthy, details = health.report()
            return _json(start_response, 200 if healthy else 503, {"ok": healthy, **details})
        if path == READY_PATH and method == "GET":
            ready, details = health.readiness()
            return _json(start_response, 200 if ready else 503, {"ok": ready, **details})
        if path == METRICS_PATH and method == "GET" and metrics is not None:
            return metrics(environ, start_response)
        if path == EVENTS_PATH and method == "POST" and events is not None:
            return events(environ, start_response)
        if api is not None and isinstance(path, str) and path.startswith(API_PREFIX):
            return api(environ, start_response)
        return _json(start_response, 404, {"error": "not found"})

    return application


def _request_id(environ: dict[str, Any]) -> str:
    """The caller's X-Request-Id when it is a plain one (a proxy's), else a new one."""
    given = str(environ.get("HTTP_X_REQUEST_ID", ""))
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _json(start_response: StartResponse, status: int, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def make_server(
    application: WsgiApp,
    *,
    host: str,
    port: int,
    threads: int,
    poll_seconds: float = 1.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Any:
    """A waitress server bound to host:port (0 picks a free port: see `.effective_port`).

    `poll_seconds` is how long its loop may take to notice `close()`. `max_body_bytes` is the
    largest body of any request; Slack's endpoint keeps its own, smaller limit (bot.slack.ingress)
    when the API's is larger.
    """
    return create_server(
        application,
        host=host,
        port=port,
        threads=threads,
        asyncore_loop_timeout=poll_seconds,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=SWEEP_SECONDS,
        # waitress answers 413 itself, and stops reading, past the limit (chunked bodies too);
        # it refuses at `>=`, so one more lets a body of exactly the limit through.
        max_request_body_size=max_body_bytes + 1,
        ident="loanwatch",
    )


class Serving:
    """A waitress server that stops gracefully when told to from another thread.

    `close()` (a signal handler, a test) makes the loop stop accepting connections, finish the
    requests it is serving and write their answers, close idle keep-alive connections, and
    return, within `grace` seconds. A slash command in flight at SIGTERM still gets its
    answer: it may have logged a draw, and Slack must not report it as failed.
    """

    def __init__(self, server: Any, *, grace: float = 25.0) -> None:
        self.server = server
        self.grace = grace
        self._closing = threading.Event()
        self._finished = threading.Event()
        # Held while the trigger may be pulled or closed; re-entrant, as close() may run in a
        # signal handler on the thread that holds it.
        self._trigger_lock = threading.RLock()

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def run(self) -> None:
        """Serve until `close()`, then drain; returns when the last answer is written.

        What exists when serving starts (modules, the app, compiled SQL: hundreds of thousands
        of objects that live as long as the process) is moved out of the garbage collector's
        reach first (`gc.freeze`, after a collection so that no garbage is kept with it).
        Otherwise every full collection walks all of it again, and a request that makes many
        objects (a batch of a thousand observations) brings one every few requests: that
        walking was ~40 % of the ingest API's time.
        """
        gc.collect()
        gc.freeze()
        server = self.server
        deadline: float | None = None
        while True:
            server.asyncore.loop(
                timeout=server.adj.asyncore_loop_timeout,
                map=server._map,
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )
            if not self._closing.is_set():
                continue
            if deadline is None:
                deadline = time.monotonic() + self.grace
                # Runs in the loop's own thread: the listening socket leaves the map cleanly.
                wasyncore.dispatcher.close(server)
            # Busy: a request half received, being served, or an answer not yet written.
            busy = [
                c
                for c in self._channels()
                if c.request is not None or c.requests or c.total_outbufs_len
            ]
            for idle in (c for c in self._channels() if c not in busy):
                idle.handle_close()
            if not busy or time.monotonic() > deadline:
                if busy:
                    log.warning("stopping with %d request(s) unanswered", len(busy))
                break
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        with self._trigger_lock:
            self._finished.set()
            # The trigger (waitress's wake-up pipe) is closed only when nothing can write to it
            # any more: no task thread is left, and close() looks at `_finished` under this
            # lock. A task still finishing after the grace may write to it, and a closed
            # descriptor's number could by then belong to a database or Slack socket, so then
            # it stays open (the process is about to exit anyway). A process that serves many
            # times over (the tests) gets its descriptors back.
            if not server.task_dispatcher.threads:
                server.trigger.close()

    def close(self) -> None:
        """Ask the loop to stop (safe from any thread or a signal handler)."""
        self._closing.set()
        with self._trigger_lock:
            if not self._finished.is_set():
                self.server.pull_trigger()  # wake the loop now rather than at its next tick

    def _channels(self) -> list[Any]:
        return [c for c in list(self.server._map.values()) if isinstance(c, HTTPChannel)]
