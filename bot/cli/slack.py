"""`loanwatch web` (HTTP only) and `loanwatch run` (Slack, checks and delivery in one process)."""

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

import click

from bot.cli.context import CliState
from bot.db import require_current_schema, session_factory
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
    _logging(state.settings)
    require_current_schema(state.engine)
    sessions = session_factory(state.engine)
    app = build_app(state.settings, sessions)
    _warn_about_roles(state.settings)
    serving = Serving(
        make_server(
            wsgi_app(app, Health(sessions)),
            host=state.settings.host,
            port=state.settings.port,
            threads=state.settings.web_threads,
        )
    )
    _on_signals(threading.Event(), serving.close)
    log.info("serving Slack on http://%s:%s/slack/events", state.settings.host, serving.port)
    serving.run()
    log.info("stopped")


@click.command("run")
@click.pass_obj
def run_command(state: CliState) -> None:
    """Everything in one process: Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT),
    the scheduled checks and the delivery of notifications."""
    settings = state.settings
    _logging(settings)
    require_current_schema(state.engine)
    sessions = session_factory(state.engine)
    socket_mode = settings.slack_app_token is not None
    app = build_app(settings, sessions, socket_mode=socket_mode)
    _warn_about_roles(settings)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(settings, transport_from(settings), stop), name="worker"
    )
    worker.start()
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert settings.slack_app_token is not None
            handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            _on_signals(stop, handler.close)
            handler.connect()
            log.info("connected to Slack in Socket Mode")
            stop.wait()
        else:
            interval = timedelta(minutes=settings.check_interval_minutes)
            serving = Serving(
                make_server(
                    wsgi_app(app, Health(sessions, scheduler_interval=interval)),
                    host=settings.host,
                    port=settings.port,
                    threads=settings.web_threads,
                )
            )
            _on_signals(stop, serving.close)
            log.info("serving Slack on http://%s:%s/slack/events", settings.host, serving.port)
            serving.run()
    finally:
        stop.set()
        worker.join()
    log.info("stopped")


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
