"""`loanwatch worker`: the checks, wake-ups and delivery on a clock, until SIGTERM or Ctrl-C."""

import logging
import signal
import threading
from types import FrameType

import click

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedCommand
from bot.i18n import N_
from bot.logs import configure_logging
from bot.metrics.exposition import require_shared_directory, serve_metrics
from bot.sessions import session_factory
from jobs.transports import transport_from
from jobs.worker import run_worker


@click.command(
    "worker",
    cls=TranslatedCommand,
    help=N_(
        "Run the scheduler and the delivery loop (to Slack with SLACK_BOT_TOKEN, else the "
        "console), with /metrics on LOANWATCH_METRICS_PORT."
    ),
)
@click.pass_obj
def worker_command(state: CliState) -> None:
    require_shared_directory()
    configure_logging(state.settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("%s received, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    settings = state.settings
    # /metrics on LOANWATCH_METRICS_PORT (docs/operations.md), up before the scheduler starts.
    metrics = serve_metrics(
        session_factory(state.engine), host=settings.host, port=settings.metrics_port
    )
    try:
        run_worker(settings, transport_from(settings), stop)
    finally:
        if metrics is not None:
            metrics.close()


def register(cli: click.Group) -> None:
    """Add the worker command."""
    cli.add_command(worker_command)
