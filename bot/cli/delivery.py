"""Commands deliver what they enqueue before they exit, as a worker would."""

from bot.cli.context import CliState
from bot.clock import utcnow
from bot.sessions import session_factory
from jobs.delivery import DeliveryWorker, delivery_options
from jobs.scheduler import worker_name
from jobs.transports import transport_from


def deliver_now(state: CliState) -> None:
    """Send every notification due now (this command's and any other), on the real clock.

    Leases, backoff and due times are shared with any worker running beside the command; the
    worker id is unique, so two commands (or a command and a worker) never take each other's
    claims.
    """
    worker = DeliveryWorker(
        session_factory(state.engine),
        transport_from(state.settings),
        worker_id=f"cli:{worker_name()}",
        clock=utcnow,
        **delivery_options(state.settings),
    )
    while worker.step():
        pass
