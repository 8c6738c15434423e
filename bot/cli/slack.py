"""`loanwatch web` (HTTP only) and `loanwatch run` (Slack, checks and delivery in one process)."""

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

import click
from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.api.app import build_api
from bot.api.wsgi import SERVER_MAX_BODY_BYTES as API_MAX_BODY_BYTES
from bot.api.wsgi import ApiWsgi
from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedCommand
from bot.db import require_current_schema
from bot.errors import InputError, SettingsError
from bot.health import Health
from bot.i18n import N_, _
from bot.logs import configure_logging
from bot.metrics.exposition import metrics_page, require_shared_directory, serve_metrics
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.ingress import MAX_BODY_BYTES as SLACK_MAX_BODY_BYTES
from bot.slack.server import Serving, make_server, wsgi_app
from bot.startup import wait_for_database
from jobs.transports import transport_from
from jobs.worker import run_worker

log = logging.getLogger("loanwatch")


@click.command(
    "web",
    cls=TranslatedCommand,
    help=N_(
        "Serve Slack's requests and the ingest API over HTTP on PORT (POST /slack/events, "
        "/api/v1/…, GET /healthz, GET /readyz, GET /metrics)."
    ),
)
@click.pass_obj
def web_command(state: CliState) -> None:
    if not state.settings.slack_bot_token:  # unset or empty
        sessions, app = _api_only(state), None
    else:
        sessions, app = _start(state, socket_mode=False)
    serving, api = _http_server(
        state.settings,
        app,
        Health(sessions, timeout=state.settings.database_timeout_seconds),
        sessions,
    )
    _on_signals(serving.close)
    try:
        _serve(state.settings, serving, slack=app is not None)
    finally:
        api.close()
    log.info("stopped")


# `loanwatch run` whose checks and delivery stopped: a service manager restarts on this.
EXIT_WORKER_DIED = 1


@click.command(
    "run",
    cls=TranslatedCommand,
    help=N_(
        "Everything in one process: Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on "
        "PORT), the scheduled checks and the delivery of notifications.\n\n"
        "If the checks and delivery stop by themselves (an error at their start, say), the "
        "process does not go on serving Slack without them: it logs why and exits with status "
        '1, so that systemd (or any service manager) restarts it; /healthz says "stopped" '
        "meanwhile."
    ),
)
@click.pass_obj
def run_command(state: CliState) -> int:
    settings = state.settings
    socket_mode = settings.slack_app_token is not None
    sessions, app = _start(state, socket_mode=socket_mode)
    stop = threading.Event()
    died = threading.Event()
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        # No HTTP server of its own: /metrics on LOANWATCH_METRICS_PORT, as a worker's.
        metrics = serve_metrics(sessions, host=settings.host, port=settings.metrics_port)
        shutdown = _stopper(stop, handler.close)
        worker = WorkerThread(settings, stop, died, shutdown)
        _on_signals(shutdown)
        worker.start()
        try:
            handler.connect()
            log.info("connected to Slack in Socket Mode")
            stop.wait()
        finally:
            stop.set()
            worker.join()
            if metrics is not None:
                metrics.close()
    else:
        interval = timedelta(minutes=settings.check_interval_minutes)
        health = Health(
            sessions,
            scheduler_interval=interval,
            worker_died=died,
            timeout=settings.database_timeout_seconds,
        )
        serving, api = _http_server(settings, app, health, sessions)
        shutdown = _stopper(stop, serving.close)
        worker = WorkerThread(settings, stop, died, shutdown)
        _on_signals(shutdown)
        worker.start()
        try:
            _serve(settings, serving)
        finally:
            stop.set()
            worker.join()
            api.close()
    if died.is_set():
        log.error("stopped because the checks and delivery had stopped (see above)")
        return EXIT_WORKER_DIED
    log.info("stopped")
    return 0


class WorkerThread(threading.Thread):
    """`run_worker` (the scheduler and delivery) in a thread of `loanwatch run`, watched.

    Should it end while `stop` is not set (it raised, or returned by itself), it logs why, sets
    `died` and calls `shutdown`, which stops the rest of the process.
    """

    def __init__(
        self,
        settings: Settings,
        stop: threading.Event,
        died: threading.Event,
        shutdown: Callable[[], object],
    ) -> None:
        super().__init__(name="worker")
        self.settings = settings
        self.stop = stop
        self.died = died
        self.shutdown = shutdown

    def run(self) -> None:
        try:
            run_worker(self.settings, transport_from(self.settings), self.stop)
        except Exception as exc:
            # A setting's fault (a bad holidays file) says what to fix; anything else is a bug.
            trace = None if isinstance(exc, InputError) else exc
            log.error("the checks and delivery stopped: %s", exc, exc_info=trace)
        if self.stop.is_set():
            return
        log.error(
            "the checks and delivery are not running; stopping loanwatch (exit status %d) so "
            "that its service manager restarts it",
            EXIT_WORKER_DIED,
        )
        self.died.set()
        self.shutdown()


def _start(state: CliState, *, socket_mode: bool) -> tuple[sessionmaker[Session], App]:
    """Logging, a database at the current schema, and the Bolt app; warns about open roles."""
    _logging(state.settings)
    wait_for_database(state.engine)
    require_current_schema(state.engine)
    sessions = session_factory(state.engine)
    app = build_app(state.settings, sessions, socket_mode=socket_mode)
    _warn_about_roles(state.settings)
    return sessions, app


def _api_only(state: CliState) -> sessionmaker[Session]:
    """`web` without SLACK_BOT_TOKEN: the ingest API and the health checks, Slack off."""
    _logging(state.settings)
    wait_for_database(state.engine)
    require_current_schema(state.engine)
    log.warning(
        "Slack is off: SLACK_BOT_TOKEN is not set; serving the ingest API (/api/v1/) and the "
        "health checks only"
    )
    return session_factory(state.engine)


def _http_server(
    settings: Settings, app: App | None, health: Health, sessions: sessionmaker[Session]
) -> tuple[Serving, ApiWsgi]:
    """The HTTP server on LOANWATCH_HOST:PORT (bot.slack.server), bound, not serving yet:
    Slack's endpoint, /healthz, /metrics and the ingest API (bot.api) on one port. The API's
    event loop is closed by the caller once the server has stopped."""
    secret = settings.slack_signing_secret
    if app is not None and secret is None:  # build_app has refused already; for the types
        raise SettingsError(_("SLACK_SIGNING_SECRET is not set; HTTP needs it"))
    api = ApiWsgi(build_api(sessions, rate_limit=settings.api_rate_limit))
    serving = Serving(
        make_server(
            wsgi_app(
                app,
                health,
                signing_secret=secret and secret.get_secret_value(),
                api=api,
                metrics=metrics_page(sessions),
            ),
            host=settings.host,
            port=settings.port,
            threads=settings.web_threads,
            max_body_bytes=max(API_MAX_BODY_BYTES, SLACK_MAX_BODY_BYTES),
        )
    )
    return serving, api


def _serve(settings: Settings, serving: Serving, *, slack: bool = True) -> None:
    """Serve until closed (SIGTERM, Ctrl-C), then drain."""
    where = f"http://{settings.host}:{serving.port}"
    if slack:
        log.info("serving Slack on %s/slack/events and the API on /api/v1/", where)
    else:
        log.info("serving the API on %s/api/v1/ (Slack off)", where)
    serving.run()


def _stopper(stop: threading.Event, close: Callable[[], object]) -> Callable[[], None]:
    """Stop the process: set `stop`, then `close` what serves Slack (from any thread)."""

    def shutdown() -> None:
        stop.set()
        close()

    return shutdown


def _on_signals(shutdown: Callable[[], object]) -> None:
    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received, stopping", signal.Signals(signum).name)
        shutdown()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


def _warn_about_roles(settings: Settings) -> None:
    if not any(settings.role_members().values()):
        log.warning(
            "no roles configured (LOANWATCH_ADMINS, LOANWATCH_TREASURERS, LOANWATCH_OPERATORS): "
            "everyone in the workspace may do everything, including logging draws"
        )


def _logging(settings: Settings) -> None:
    require_shared_directory()
    configure_logging(settings)


def register(cli: click.Group) -> None:
    """Add the web and run commands."""
    cli.add_command(web_command)
    cli.add_command(run_command)
