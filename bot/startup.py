"""Waiting for the database at start-up, instead of exiting because it is not up yet.

`loanwatch web`, `run` and `worker` start while the database may be restarting, failing over
or not yet up (a cluster starting together). Exiting then would make the orchestrator restart
them again and again (a crash loop, with a traceback each time); they wait for it instead,
logging one line per try (in LOANWATCH_LOG_FORMAT, the address redacted), with pauses doubling
from 1 s to 30 s. Anything else that is wrong at start-up (bad settings, a schema behind) is
still reported at once.
"""

import logging
import threading

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.db import database_unavailable
from bot.logs import redact

log = logging.getLogger(__name__)


def wait_for_database(
    engine: Engine,
    *,
    stop: threading.Event | None = None,
    first_pause: float = 1.0,
    longest_pause: float = 30.0,
) -> bool:
    """Return True once the database answers; False if `stop` was set while waiting. An error
    other than the database being out of reach is raised at once."""
    stop = stop or threading.Event()
    pause, tries = first_pause, 0
    while not stop.is_set():
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            if not database_unavailable(exc):
                raise
            tries += 1
            why = str(exc.orig or exc).strip().splitlines()
            log.warning(
                "waiting for the database (try %d): %s; trying again in %.0f s",
                tries,
                redact(why[0] if why else type(exc).__name__)[:300],
                pause,
            )
            stop.wait(pause)
            pause = min(pause * 2, longest_pause)
            continue
        if tries:
            log.info("the database answers after %d tries", tries + 1)
        return True
    return False
