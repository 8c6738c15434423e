"""`/metrics`: on the HTTP server of `loanwatch web` and `run` (bot.slack.server), and on a port
of its own (LOANWATCH_METRICS_PORT) for `loanwatch worker`, served by prometheus_client.

Without PROMETHEUS_MULTIPROC_DIR a process shows its own values (and prometheus_client's
process_* and python_* metrics); with it, the values every process wrote in that directory,
added up (docs/operations.md). The figures read from the database come once either way.
"""

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InputError
from bot.metrics import SHARED_DIRECTORY_PROBLEM
from bot.metrics.database import DatabaseCollector

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# How often a process whose metrics port a sibling serves tries to take it over (the sibling
# may have died).
TAKEOVER_SECONDS = 30.0

StartResponse = Callable[..., Any]


class _ThisProcess(Collector):
    """Everything in prometheus_client's default registry, passed through."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def require_shared_directory() -> None:
    """InputError (one line, exit 2) when PROMETHEUS_MULTIPROC_DIR is set but cannot be used:
    for the commands that serve metrics, which would otherwise show only their own."""
    if SHARED_DIRECTORY_PROBLEM is not None:
        raise InputError(SHARED_DIRECTORY_PROBLEM)


def multiprocess_dir() -> str | None:
    """The directory prometheus_client keeps every process's values in, if one is set."""
    return os.environ.get(MULTIPROC_DIR) or None


def scrape_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """What one scrape shows: this process's metrics (or every process's, in multiprocess
    mode) and those read from the database."""
    registry = CollectorRegistry(auto_describe=False)
    shared = multiprocess_dir()
    if shared is not None:
        MultiProcessCollector(registry, path=shared)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(sessions))
    return registry


def metrics_page(
    sessions: sessionmaker[Session],
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI app answering GET /metrics in Prometheus' text format (or OpenMetrics, when the
    scraper's Accept header asks for it, as prometheus_client's own server does)."""
    registry = scrape_registry(sessions)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        encoder, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
        body = encoder(registry)
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]

    return application


class MetricsServer:
    """prometheus_client's own HTTP server on host:port, in a daemon thread."""

    def __init__(self, sessions: sessionmaker[Session], *, host: str, port: int) -> None:
        """Bound and serving when it returns; OSError when host:port cannot be bound."""
        self._server, self._thread = start_http_server(
            port, addr=host, registry=scrape_registry(sessions)
        )
        self.port = int(self._server.server_port)
        log.info("serving metrics on http://%s:%d%s", host, self.port, METRICS_PATH)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Standby:
    """A process whose metrics port a sibling serves (multiprocess mode): a daemon thread tries
    to bind the port every `every` seconds and serves it once the sibling is gone, so /metrics
    outlives the process that first took it."""

    def __init__(
        self, sessions: sessionmaker[Session], *, host: str, port: int, every: float
    ) -> None:
        self.port = port
        self.server: MetricsServer | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._take_over,
            args=(sessions, host, every),
            name="metrics-standby",
            daemon=True,
        )
        self._thread.start()

    def _take_over(self, sessions: sessionmaker[Session], host: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.server = MetricsServer(sessions, host=host, port=self.port)
            except OSError:
                continue
            log.info("metrics: took port %d over from a process that is gone", self.port)
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.server is not None:
            self.server.close()


def serve_metrics(
    sessions: sessionmaker[Session], *, host: str, port: int
) -> MetricsServer | Standby | None:
    """/metrics on host:port for a process without an HTTP server of its own (`loanwatch
    worker`, `run` in Socket Mode); None when `port` is 0 (none wanted) or cannot be bound.

    A port that cannot be bound does not stop the process: its checks and deliveries matter
    more than its metrics, and Prometheus shows the target down (deploy/prometheus/rules.yaml
    names the workers' metrics missing). The log says what to do. In multiprocess mode a port
    already taken is a sibling's on this host, which serves this process's values too.
    """
    if port == 0:
        log.info("metrics not served: LOANWATCH_METRICS_PORT is 0")
        return None
    try:
        return MetricsServer(sessions, host=host, port=port)
    except OSError as exc:
        if multiprocess_dir() is not None:
            log.info(
                "metrics: port %d is taken, by another process of this host sharing %s, which "
                "serves this one's values too; this one takes the port over if it frees",
                port,
                MULTIPROC_DIR,
            )
            return Standby(sessions, host=host, port=port, every=TAKEOVER_SECONDS)
        else:
            log.error(
                "cannot serve metrics on %s:%d (%s); going on without them. Give each process "
                "on this host its own LOANWATCH_METRICS_PORT, set 0 to serve none, or see "
                "docs/operations.md for several workers on one port",
                host,
                port,
                exc.strerror or exc,
            )
        return None
