"""What a request asks Slack while Slack waits for its answer (3 s): the person's language and
their user groups (for their role). Both are started at once, on a small pool of their own, and
waited for together until one deadline; an answer that comes later is still kept (the next
request has it) but this request goes on without it.

    lookups = Lookups()
    lookups.begin()                          # each request, as it starts: its deadline
    lookups.start(key, load)                 # ask now, wait later (one call per key at a time)
    lookups.wait(key, load)                  # the answer, or TimeoutError at the deadline

Outside a request's own thread (the CLI; a lazy listener, which runs on another thread after
Slack had its answer, in a copy of the request's context) there is no deadline: `wait` waits
for the call, which its client's own timeout bounds.
"""

import contextvars
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# The lookups' share of Slack's 3 s: the listener's own work and the way back take the rest.
BUDGET_SECONDS = 1.2
WORKERS = 8

# (the request's thread, its deadline)
_deadline: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar(
    "slack_lookup_deadline", default=None
)


class Lookups:
    """Slack lookups run on a pool of their own, one call per key at a time, each request
    waiting for them until its deadline."""

    def __init__(
        self, *, budget: float = BUDGET_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._budget = budget
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="slack-lookup")
        self._running: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()

    def begin(self) -> None:
        """This request's deadline: its lookups are waited for `budget` seconds from now (the
        request's dispatch runs in a context of its own: bot.slack.app)."""
        _deadline.set((threading.get_ident(), self._clock() + self._budget))

    def start(self, key: Hashable, load: Callable[[], Any]) -> Future[Any]:
        """`load()` running on the pool: the call already running for `key`, else a new one."""
        with self._lock:
            running = self._running.get(key)
            if running is not None:
                return running
            future = self._pool.submit(load)
            self._running[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))
        return future

    def wait(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """What `load()` (started now, or already running for `key`) answers; TimeoutError when
        this request's deadline comes first (the call goes on and keeps its answer)."""
        future = self.start(key, load)
        deadline = _deadline.get()
        if deadline is None or deadline[0] != threading.get_ident():
            return future.result()
        return future.result(timeout=max(0.0, deadline[1] - self._clock()))

    def _forget(self, key: Hashable, done: Future[Any]) -> None:
        with self._lock:
            if self._running.get(key) is done:
                del self._running[key]
