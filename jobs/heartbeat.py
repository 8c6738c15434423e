"""The dead man's switch: LOANWATCH_HEARTBEAT_URL hears from the worker after each check cycle.

healthchecks.io's convention (and Cronitor's, Uptime Kuma's push monitors'): a GET on the URL
says "ran, all well", a GET on `<url>/fail` says "ran, and failed"; the service alerts someone
when neither comes for longer than the period it was told. So a worker that stops, hangs or
loses its database is heard of by someone, which loanwatch's own alerts cannot do.

A ping never holds up a cycle: it is handed to one background thread and the cycle goes on.
At most MAX_IN_FLIGHT pings wait for that thread; past that (the service hangs for longer than
the cycles come) a ping is dropped and logged, never queued without end. A failed ping is
logged, never raised.
"""

import logging
import threading
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor

from bot.logs import keep_secret

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MAX_IN_FLIGHT = 2


class Heartbeat:
    """Pings `url` (or nothing, when it is None) after each cycle."""

    def __init__(self, url: str | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url.rstrip("/") if url else None
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._executor: ThreadPoolExecutor | None = None
        # A ping URL is a credential of sorts: whoever has it can say loanwatch is alive.
        keep_secret(self.url)

    def cycle_done(self, *, ok: bool) -> Future[None] | None:
        """Ping for a cycle that ran clean (`ok`) or failed, in the background; None when
        there is no URL or too many pings are still waiting."""
        if self.url is None:
            return None
        if not self._slots.acquire(blocking=False):
            log.warning("heartbeat: %d pings still waiting; this one is dropped", MAX_IN_FLIGHT)
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heartbeat")
        target = self.url if ok else f"{self.url}/fail"
        future = self._executor.submit(self._ping, target)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def _ping(self, target: str) -> None:
        try:
            with urllib.request.urlopen(target, timeout=self.timeout) as answer:
                answer.read(1024)
        except Exception as exc:  # anything: a ping must never stop the worker
            log.warning("heartbeat: the ping failed (%s: %s)", type(exc).__name__, exc)

    def close(self) -> None:
        """Stop the background thread; a ping in flight ends within its timeout."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
