"""`loanwatch web` (HTTP only) and `loanwatch run` (Slack, checks and delivery in one process)."""

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

import click
from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.context import CliState
from bot.db import require_current_schema
from bot.errors import SettingsError
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.server import Health, Serving, make_server, wsgi_app
from jobs.transports import transport_from
from jobs.worker import run_worker

log = logging.getLogger("loanwatch")


@click.command("web")
@click.pass_obj
def web_command(state: CliState) -> None:
    """Serve Slack's requests over HTTP on PORT (POST /slack/events, GET /healthz)."""
    sessions, app = _start(state, socket_mode=False)
    _serve_http(state.settings, app, Health(sessions), threading.Event())
    log.info("stopped")


@click.command("run")
@click.pass_obj
def run_command(state: CliState) -> None:
    """Everything in one process: Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT),
    the scheduled checks and the delivery of notifications."""
    settings = state.settings
    socket_mode = settings.slack_app_token is not None
    sessions, app = _start(state, socket_mode=socket_mode)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(settings, transport_from(settings), stop), name="worker"
    )
    worker.start()
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            _on_signals(stop, handler.close)
            handler.connect()
            log.info("connected to Slack in Socket Mode")
            stop.wait()
        else:
            interval = timedelta(minutes=settings.check_interval_minutes)
            _serve_http(settings, app, Health(sessions, scheduler_interval=interval), stop)
    finally:
        stop.set()
        worker.join()
    log.info("stopped")


def _start(state: CliState, *, socket_mode: bool) -> tuple[sessionmaker[Session], App]:
    """Logging, a database at the current schema, and the Bolt app; warns about open roles."""
    _logging(state.settings)
    require_current_schema(state.engine)
    sessions = session_factory(state.engine)
    app = build_app(state.settings, sessions, socket_mode=socket_mode)
    _warn_about_roles(state.settings)
    return sessions, app


def _serve_http(settings: Settings, app: App, health: Health, stop: threading.Event) -> None:
    """Serve on LOANWATCH_HOST:PORT until SIGTERM or Ctrl-C, then drain (bot.slack.server)."""
    secret = settings.slack_signing_secret
    if secret is None:  # build_app has refused already; this is for the reader and the types
        raise SettingsError("SLACK_SIGNING_SECRET is not set; HTTP needs it")
    serving = Serving(
        make_server(
            wsgi_app(app, health, signing_secret=secret.get_secret_value()),
            host=settings.host,
            port=settings.port,
            threads=settings.web_threads,
        )
    )
    _on_signals(stop, serving.close)
    log.info("serving Slack on http://%s:%s/slack/events", settings.host, serving.port)
    serving.run()


def _on_signals(stop: threading.Event, close: Callable[[], object]) -> None:
    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received, stopping", signal.Signals(signum).name)
        stop.set()
        close()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


def _warn_about_roles(settings: Settings) -> None:
    if not any(settings.role_members().values()):
        log.warning(
            "no roles configured (LOANWATCH_ADMINS, LOANWATCH_TREASURERS, LOANWATCH_OPERATORS): "
            "everyone in the workspace may do everything, including logging draws"
        )


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def register(cli: click.Group) -> None:
    """Add the web and run commands."""
    cli.add_command(web_command)
    cli.add_command(run_command)
