"""A database read that answers within a bounded time, whatever the database does.

A PostgreSQL server that is frozen (stopped, swapping, a hung storage volume) still has its
kernel accept connections and acknowledge what is sent, so neither the connection's
`connect_timeout` (once connected) nor TCP keepalives or `tcp_user_timeout` end a query that
waits for its answer, and a server-side `statement_timeout` needs the server to run. The health
checks and the metrics must answer anyway: an orchestrator and Prometheus ask them exactly when
the database is in trouble, and a request thread stuck on each would soon leave none for Slack.

So :class:`Bounded` runs the read on a thread of its own and waits for it at most `seconds`.
One read runs at a time: a caller that comes while one is still running waits for that same
read (within its own bound) instead of starting another, so a scrape storm against a frozen
database leaves one thread stuck, not one per scrape. The stuck thread ends when the database
answers again or its connection breaks.
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

T = TypeVar("T")


class DatabaseTimeoutError(RuntimeError):
    """The database did not answer within the bound."""


class Bounded(Generic[T]):
    """`read()` on its own thread, waited for at most `seconds`; one at a time."""

    def __init__(self, read: Callable[[], T], *, seconds: float, name: str) -> None:
        self.read = read
        self.seconds = seconds
        self.name = name
        self._lock = threading.Lock()
        self._running: Future[T] | None = None

    def __call__(self) -> T:
        """The read's result, or its exception; DatabaseTimeoutError once `seconds` pass."""
        with self._lock:
            future = self._running
            if future is None or future.done():
                future = self._running = Future()
                threading.Thread(
                    target=self._run, args=(future,), name=self.name, daemon=True
                ).start()
        try:
            return future.result(timeout=self.seconds)
        except FutureTimeout:
            raise DatabaseTimeoutError(
                f"the database did not answer within {self.seconds:g} s"
            ) from None

    def _run(self, future: Future[T]) -> None:
        try:
            future.set_result(self.read())
        except BaseException as exc:  # handed to the caller, who logs it
            future.set_exception(exc)
