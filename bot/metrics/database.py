"""The metrics read from the database when Prometheus scrapes: alerts and the outbox.

Two small queries per scrape (a GROUP BY over the unresolved alerts, which an index covers, and
a count over the outbox rows still to go), so every process shows the same figures, whichever
wrote the rows, and nothing has to be kept in step by hand.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.findings import Severity
from bot.alerts.outbox import PENDING, SENDING
from bot.alerts.policy import AlertState
from bot.bounded import Bounded
from bot.clock import utcnow
from bot.models import Alert, OutboxMessage

log = logging.getLogger(__name__)

UNRESOLVED = tuple(state for state in AlertState if state != AlertState.RESOLVED)


class DatabaseCollector(Collector):
    """`loanwatch_alerts{state,severity}`, `loanwatch_outbox_pending`,
    `loanwatch_outbox_oldest_age_seconds` and `loanwatch_database_up`, read at each scrape."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = utcnow,
        timeout: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        # A database that hangs makes a scrape say loanwatch_database_up 0 within `timeout`
        # seconds, one read at a time however often Prometheus asks (bot.bounded).
        self._bounded_read = Bounded(self._read, seconds=timeout, name="metrics")

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "loanwatch_database_up",
            "1 when this scrape's queries to the database answered, else 0 (and the figures "
            "read from it are missing from this scrape).",
        )
        try:
            counts, pending, oldest = self._bounded_read()
        except Exception:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        alerts = GaugeMetricFamily(
            "loanwatch_alerts",
            "Alerts not resolved, by state (open, acknowledged) and severity.",
            labels=["state", "severity"],
        )
        # Every pair, zeros too: a panel shows 0 rather than "no data" when all is quiet.
        for state in UNRESOLVED:
            for severity in Severity:
                alerts.add_metric([state, severity], counts.get((state, severity), 0))
        yield alerts
        yield GaugeMetricFamily(
            "loanwatch_outbox_pending",
            "Outbox rows waiting to be sent or being sent (pending or sending).",
            value=pending,
        )
        age = max((self.clock() - oldest).total_seconds(), 0.0) if oldest else 0.0
        yield GaugeMetricFamily(
            "loanwatch_outbox_oldest_age_seconds",
            "How long the oldest outbox row still to be sent has waited (0 when none waits).",
            value=age,
        )

    def _read(self) -> tuple[dict[tuple[str, str], int], int, datetime | None]:
        with self.sessions() as session:
            rows = session.execute(
                select(Alert.state, Alert.severity, func.count())
                .where(Alert.state != AlertState.RESOLVED)
                .group_by(Alert.state, Alert.severity)
            ).all()
            pending, oldest = session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.state.in_((PENDING, SENDING))
                )
            ).one()
        return {(state, severity): count for state, severity, count in rows}, pending, oldest
