"""The dead man's switch: LOANWATCH_HEARTBEAT_URL hears from the worker after each check cycle.

healthchecks.io's convention (and Cronitor's, Uptime Kuma's push monitors'): a GET on the URL
says "ran, all well", a GET on `<url>/fail` says "ran, and failed"; the service alerts someone
when neither comes for longer than the period it was told. So a worker that stops, hangs or
loses its database is heard of by someone, which loanwatch's own alerts cannot do. What counts
as failed is the worker's to say (`jobs.switch`); `/fail` goes at the end of the URL's path,
before its query (`bot.heartbeat_url`).

A ping never holds up a cycle: it is handed to one background thread and the cycle goes on.
At most MAX_IN_FLIGHT pings wait for that thread; past that (the service hangs for longer than
the cycles come) a ping is dropped and logged, never queued without end. A failed ping is
logged, never raised.

A ping has a total deadline, `timeout`: a socket timeout alone bounds each read, and a service
that drips a byte every few seconds would keep one going for hours. At the deadline the ping's
connection is shut down, which ends the read where it is. The thread is a daemon and `close`
waits for a ping in flight only until its deadline, so a ping never holds up the worker's exit
by more than `timeout` (a name lookup that hangs cannot be cut: its thread is left behind).
"""

import contextlib
import http.client
import logging
import queue
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from bot.heartbeat_url import ping_targets
from bot.logs import keep_secret

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MAX_IN_FLIGHT = 2

_Job = tuple[str, "Future[None]"] | None


class Heartbeat:
    """Pings `url` (or nothing, when it is None) after each cycle."""

    def __init__(self, url: str | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url, self.fail_url = ping_targets(url) if url else (None, None)
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._deadline: float | None = None  # of the ping in flight (time.monotonic)
        # A ping URL is a credential of sorts: whoever has it can say loanwatch is alive.
        keep_secret(self.url)
        keep_secret(self.fail_url)

    def cycle_done(self, *, ok: bool) -> "Future[None] | None":
        """Ping for a cycle that ran clean (`ok`) or failed, in the background; None when
        there is no URL, the heartbeat is closed or too many pings are still waiting."""
        if self.url is None or self.fail_url is None:
            return None
        if not self._slots.acquire(blocking=False):
            log.warning("heartbeat: %d pings still waiting; this one is dropped", MAX_IN_FLIGHT)
            return None
        future: Future[None] = Future()
        future.add_done_callback(lambda _: self._slots.release())
        with self._lock:
            if self._closed:
                future.cancel()
                return None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()
            self._jobs.put((self.url if ok else self.fail_url, future))
        return future

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            target, future = job
            if not future.set_running_or_notify_cancel():
                continue
            self._deadline = time.monotonic() + self.timeout
            try:
                self._ping(target)
            finally:
                self._deadline = None
                future.set_result(None)

    def _ping(self, target: str) -> None:
        deadline = _Deadline()
        timer = threading.Timer(self.timeout, deadline.cut)
        timer.daemon = True
        timer.start()
        try:
            opener = _opener(deadline)
            with opener.open(target, timeout=self.timeout) as answer:
                answer.read(1024)
        except Exception as exc:  # anything: a ping must never stop the worker
            if deadline.passed:
                log.warning("heartbeat: the ping took over %s s and was cut off", self.timeout)
            else:
                log.warning("heartbeat: the ping failed (%s: %s)", type(exc).__name__, exc)
        finally:
            timer.cancel()

    def close(self) -> None:
        """Take no more pings and drop those waiting; a ping in flight has until its deadline
        (at most `timeout`), and the worker's exit waits no longer than that."""
        with self._lock:
            self._closed = True
            thread = self._thread
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1].cancel()
        self._jobs.put(None)
        deadline = self._deadline
        if thread is not None and deadline is not None:
            thread.join(min(max(deadline - time.monotonic(), 0.0) + 0.2, self.timeout))


class _Deadline:
    """The connections of one ping, shut down when its deadline passes."""

    def __init__(self) -> None:
        self.passed = False
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []

    def connection(self, kind: type[http.client.HTTPConnection]) -> Callable[..., Any]:
        """A maker of `kind` connections (as urllib's handlers call one) that this deadline
        can cut, connecting or not yet connected."""

        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            made = kind(host, **kwargs)
            connect = made.connect

            def connect_in_time() -> None:
                connect()
                with self._lock:
                    late = self.passed
                if late:
                    _shut(made)
                    raise TimeoutError("the ping's deadline passed while connecting")

            made.connect = connect_in_time  # type: ignore[method-assign]
            with self._lock:
                self._connections.append(made)
            return made

        return make

    def cut(self) -> None:
        with self._lock:
            self.passed = True
            connections = list(self._connections)
        for made in connections:
            _shut(made)


def _shut(made: http.client.HTTPConnection) -> None:
    """Shut the connection's socket down: a read blocked on it in another thread returns."""
    sock = made.sock
    if sock is not None:
        # socket.socket's own shutdown, also for a TLS socket: the read in flight holds the
        # TLS state, which must not be torn down under it.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _opener(deadline: "_Deadline") -> urllib.request.OpenerDirector:
    """urllib's opener with only HTTP and HTTPS under the deadline: `build_opener` would add
    ftp:, file: and data: too, and a redirect to ftp:// would then be followed, outside the
    deadline (a server dripping its greeting held a ping for ever)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        _HTTP(deadline),
        _HTTPS(deadline),
    ):
        opener.add_handler(handler)
    return opener


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._make = deadline.connection(http.client.HTTPConnection)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._make, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._make = deadline.connection(http.client.HTTPSConnection)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._make, req, context=self._context)  # type: ignore[attr-defined]
