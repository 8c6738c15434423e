"""The delivery worker: claims due outbox rows, sends them, and records what happened as data.

Any number of workers, in any number of processes, may run over one database. A row is claimed
with a conditional UPDATE (pending → sending, owner and lease set) and only the worker whose
UPDATE matched sends it; on PostgreSQL the candidate rows are also picked with
`FOR UPDATE SKIP LOCKED`, so workers do not queue behind each other's picks. SQLite has no row
locks and needs none: it runs one writer at a time and the conditional UPDATE settles the rest.

What "delivered once" means, said plainly:

- Two workers never send the same row while both are alive: one claim wins, and a worker checks
  (and renews) its lease before each send, so a slow batch does not outlive its claim.
- A worker that dies after claiming leaves rows in `sending`; when the lease runs out another
  worker takes them back. Nothing is lost.
- A worker that dies *after a send returned but before it recorded `sent`* has delivered the
  message, and the row comes back after the lease: that one message is sent again. So delivery to
  the transport is at-least-once, with at most the messages in flight at the moment of the crash
  (one per worker, since a worker sends one at a time) repeated. The Slack transport closes this
  gap by tagging each message with its outbox id, the installation's id and the row's random
  token in message metadata, and skipping a send it finds already posted with all three.
- The same holds when a single send takes longer than the lease: another worker may take the row
  over and send it too. Keep the lease well above the transport's own timeout.
- The rows of one alert go out in the order they were written: a row is not claimed while an
  earlier row (lower id) of the same alert is still pending or sending, so "resolved" never
  overtakes "opened". A dead (or dropped) earlier row no longer holds the later ones back.

What an outage does, said as plainly:

- A transient failure (Slack unreachable, a 5xx, a rate limit, anything but a permanent error)
  never turns a row into a dead letter. It is tried again after a backoff that doubles up to
  `backoff_max` (five minutes by default), for as long as it takes; a `Retry-After` waits no
  longer than `backoff_max` either, whatever it says. Only a permanent error
  (`TransportError(permanent=True)`: a missing channel, a revoked token) makes a dead letter.
- While a row waits, its alert may resolve. When a row that has failed already comes up and
  its alert has a later `resolved` row waiting, the rows between are `dropped` (superseded), and
  so is the row itself if the alert has its message already; the resolved row, which carries
  the alert's whole final state, updates that one message (`jobs.outbox_claims.supersede`).
  So after an outage each alert has one message, showing its final state.
- A destination (transport and channel) that has failed transiently for `degraded_after` raises
  one `delivery_degraded` alert for the admins, resolved by the next send that gets through
  (`jobs.delivery_health`).
- When a row about one alert is sent and the transport gives a reference (its Slack message),
  the alert keeps it as its `message_ref` in the same transaction, if it has none yet, or if the
  reference replaces the one the row was to update (the Slack transport posts the alert again
  when its message was deleted); later rows carry it (`OutboxMessageView.alert_ref`) so the
  transport updates that message in place.

Leases are compared with each worker's own clock, so machines' clocks must agree to well within
the lease (NTP does this).
"""

import logging
import math
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.outbox import DEAD, PENDING, SENDING, SENT, enqueue
from bot.alerts.policy import AlertPolicy
from bot.clock import utcnow
from bot.db import through_outages, transaction
from bot.i18n import default as default_language
from bot.i18n import use
from bot.logs import bound
from bot.models import Alert, OutboxMessage, Ticket
from bot.settings import Settings
from bot.tickets.notices import TicketNoticeKind
from jobs.delivery_health import (
    default_dead_letter_handler,
    destination,
    end_streak,
    note_failure,
    note_success,
    resolve_delivered_dead_letter,
)
from jobs.outbox_claims import Claim, claim_due, mine
from jobs.transports import OutboxMessageView, Transport, TransportError

log = logging.getLogger(__name__)

__all__ = [
    "PENDING",
    "SENDING",
    "DeliveryWorker",
    "backoff_seconds",
    "default_dead_letter_handler",
    "delivery_options",
    "enqueue",
]

# How long a send's outcome is tried again while the database is unavailable.
OUTCOME_PATIENCE_SECONDS = 30.0
# Error texts are stored on the row; an HTML error page from a proxy need not be kept whole.
MAX_ERROR_LENGTH = 2000

DeadLetterHandler = Callable[[Session, OutboxMessage, datetime], None]


def delivery_options(settings: Settings) -> dict[str, Any]:
    """The DeliveryWorker options the settings describe (backoff, degraded_after, policy)."""
    return {
        "backoff_base": float(settings.delivery_backoff_seconds),
        "backoff_max": float(settings.delivery_backoff_max_seconds),
        "degraded_after": timedelta(minutes=settings.delivery_degraded_after_minutes),
        "policy": settings.alert_policy(),
    }


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """How long to wait after the `attempts`-th failure: full jitter over base·2^(attempts−1).

    The ceiling doubles per failure up to `cap`; the wait is drawn uniformly below it, so many
    messages failing together do not all come back at the same moment.
    """
    exponent = min(max(attempts - 1, 0), 62)  # 2**62·base is past any cap; avoids overflow.
    ceiling = min(cap, base * 2**exponent)
    return rng.uniform(0.0, ceiling)


def _usable(retry_after: float | None, cap: float) -> float | None:
    """A retry-after worth honouring: a number (not NaN), not negative (a negative one means
    now), and never more than `cap` away, whatever the other side said (a proxy's Retry-After
    of a century, or one too large for a date, waits `cap`)."""
    if retry_after is None or math.isnan(retry_after):
        return None
    return min(max(retry_after, 0.0), cap)


def _kept_through_outages(record: Callable[..., None]) -> Callable[..., None]:
    """A send's outcome, recorded again while the database is unavailable (restarting): it is
    known, and the row is still this worker's for half its lease. Left unrecorded, the row would
    sit in `sending` until the lease ran out. Each recording is one transaction."""

    @wraps(record)
    def recorded(
        self: "DeliveryWorker", view: OutboxMessageView, *args: Any, **kwargs: Any
    ) -> None:
        within = min(self.lease.total_seconds() / 2, OUTCOME_PATIENCE_SECONDS)
        through_outages(
            lambda: record(self, view, *args, **kwargs),
            what=f"outbox {view.id} outcome",
            within=within,
        )

    return recorded


class DeliveryWorker:
    """Sends due outbox rows through one transport; safe to run in many processes at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: Transport,
        *,
        worker_id: str,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 50,
        backoff_base: float = 30.0,
        backoff_max: float = 300.0,
        degraded_after: timedelta = timedelta(minutes=10),
        lease: timedelta = timedelta(minutes=5),
        policy: AlertPolicy | None = None,
        on_dead_letter: DeadLetterHandler | None = None,
        rng: random.Random | None = None,
        poll: float = 1.0,
    ) -> None:
        """`policy` says where the admin alerts about delivery go (`delivery_degraded`, and
        `delivery_failed` unless `on_dead_letter` handles dead letters some other way)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self.sessions = sessions
        self.transport = transport
        self.worker_id = worker_id
        self.clock = clock
        self.batch_size = batch_size
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.degraded_after = degraded_after
        self.lease = lease
        self.policy = policy
        self.on_dead_letter = on_dead_letter or partial(default_dead_letter_handler, policy=policy)
        self.rng = rng if rng is not None else random.Random()
        self.poll = poll
        # Names the destination (with a row's channel) in `delivery_degraded` alerts.
        self.transport_name = getattr(transport, "name", type(transport).__name__.lower())

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set, resting `poll` seconds whenever there is nothing due."""
        while not stop.is_set():
            try:
                found = self.step()
            except Exception:
                # A database outage must not end the worker thread; the traceback is logged and
                # the rows it held come back when their lease runs out.
                log.exception("delivery step failed; trying again in %s s", self.poll)
                found = False
            if not found:
                stop.wait(self.poll)

    def step(self) -> bool:
        """Deliver one batch; return whether any row was due.

        1. Claim up to `batch_size` due rows and commit the claim before anything is sent.
        2. For each, in id order: check the claim is still ours (renewing the lease when half of
           it is gone), then send.
        3. Record the outcome in its own transaction: sent; pending again after a backoff (a
           transient failure, however many); or dead (a permanent one), with `on_dead_letter`
           called in that same transaction.
        4. When the transport asks to wait (a retry-after), hand the rest of the batch back
           untried, due after that wait, instead of hammering a rate limit.
        """
        found, claimed = self._claim()
        for index, (view, claimed_until, alert_id) in enumerate(claimed):
            ticket_id = view.payload.get("ticket_id")
            with bound(outbox_id=view.id, alert_id=alert_id, ticket_id=ticket_id):
                if not self._still_ours(view, claimed_until):
                    continue
                log.info("outbox %s: attempt %d to %s", view.id, view.attempts + 1, view.channel)
                try:
                    # Worded in its channel's language (a platform's row: its transport's).
                    with use(view.language or default_language()):
                        reference = self.transport.send(view)
                except TransportError as exc:
                    retry_after = _usable(exc.retry_after, self.backoff_max)
                    self._record_failure(view, exc.message, exc.permanent, retry_after)
                    if not exc.permanent and retry_after is not None:
                        self._release([c.view.id for c in claimed[index + 1 :]], retry_after)
                        break
                except Exception as exc:
                    # Unknown trouble (a bug, a dropped connection) is treated as transient.
                    self._record_failure(view, repr(exc), permanent=False, retry_after=None)
                else:
                    self._record_sent(view, reference, alert_id)
        return found

    def _claim(self) -> tuple[bool, list[Claim]]:
        """Claim due rows (:func:`jobs.outbox_claims.claim_due`) in one transaction."""
        now = self.clock()
        with transaction(self.sessions) as session:
            return claim_due(
                session,
                worker_id=self.worker_id,
                now=now,
                until=now + self.lease,
                batch_size=self.batch_size,
            )

    def _settle(self, session: Session, message_id: int, **values: Any) -> bool:
        """Apply `values` if the row is still ours; False when another worker took it over."""
        result = session.execute(
            update(OutboxMessage)
            .where(mine(message_id, self.worker_id))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def _still_ours(self, view: OutboxMessageView, claimed_until: datetime) -> bool:
        """True if we may send: the lease has time left, or we renewed it before it was taken."""
        now = self.clock()
        if now < claimed_until - self.lease / 2:
            return True
        with transaction(self.sessions) as session:
            renewed = self._settle(session, view.id, claimed_until=now + self.lease)
        if not renewed:
            log.warning("outbox %s: claim lost before sending; another worker has it", view.id)
        return renewed

    @_kept_through_outages
    def _record_sent(
        self, view: OutboxMessageView, reference: str | None, alert_id: int | None
    ) -> None:
        """Mark the row sent, with the transport's reference; a new one becomes the alert's.

        A grouped row has no alert_id: the alerts of a storm get no message of their own until
        one of them is told about alone, and the message posted then becomes its message.
        """
        now = self.clock()
        with transaction(self.sessions) as session:
            recorded = self._settle(
                session,
                view.id,
                state=SENT,
                sent_at=now,
                transport_ref=reference,
                attempts=view.attempts + 1,
                claimed_until=None,
            )
            if recorded and alert_id is not None and reference not in (None, view.alert_ref):
                # A first post, or a message posted again because the one the row was to update
                # was deleted in Slack: either way, it is the alert's message from now on.
                ours = Alert.message_ref.is_(None)
                if view.alert_ref is not None:
                    ours = or_(ours, Alert.message_ref == view.alert_ref)
                session.execute(
                    update(Alert)
                    .where(Alert.id == alert_id, ours)
                    .values(message_ref=reference)
                    .execution_options(synchronize_session=False)
                )
            if recorded and reference is not None and view.kind == TicketNoticeKind.NOTICE:
                _keep_ticket_ref(session, view, reference)
            if recorded:
                note_success(session, self._destination(view), now, policy=self.policy)
                if view.attempts > 0:
                    resolve_delivered_dead_letter(session, view.id, now, self.policy)
        if not recorded:
            log.warning(
                "outbox %s: sent, but the claim had passed to another worker (lease too short?)",
                view.id,
            )

    @_kept_through_outages
    def _record_failure(
        self,
        view: OutboxMessageView,
        error: str,
        permanent: bool,
        retry_after: float | None,
    ) -> None:
        """Store the failure on the row: back to pending after a wait, or (permanent) dead.

        A transient failure is also noted against the row's destination, which raises the
        `delivery_degraded` alert once it has lasted `degraded_after`. A dead letter and what
        `on_dead_letter` writes (the admin alert and its outbox row) commit together. If the
        handler raises, neither is kept: the row stays claimed until its lease runs out and is
        then tried again, rather than dying without anyone being told.
        """
        now = self.clock()
        attempts = view.attempts + 1
        error = error[:MAX_ERROR_LENGTH]
        with transaction(self.sessions) as session:
            if permanent:
                values: dict[str, Any] = {"state": DEAD, "permanent": True}
            else:
                wait = self._wait_seconds(attempts, retry_after)
                values = {
                    "state": PENDING,
                    "next_attempt_at": now + timedelta(seconds=wait),
                    "claimed_by": None,
                }
            if not self._settle(
                session, view.id, attempts=attempts, last_error=error, claimed_until=None, **values
            ):
                log.warning("outbox %s: failure not recorded, another worker has it", view.id)
                return
            if permanent:
                # Slack answered (and said no): whatever failed transiently there before, that
                # streak is over.
                end_streak(session, self._destination(view))
                message = session.get(OutboxMessage, view.id)
                assert message is not None  # we just updated it in this transaction
                self.on_dead_letter(session, message, now)
            else:
                note_failure(
                    session,
                    self._destination(view),
                    error,
                    now,
                    degraded_after=self.degraded_after,
                    policy=self.policy,
                )
                log.warning(
                    "outbox %s: attempt %d failed, retried later: %s", view.id, attempts, error
                )
        if permanent:
            log.error("outbox %s is a dead letter after %s attempts: %s", view.id, attempts, error)

    def _destination(self, view: OutboxMessageView) -> str:
        return destination(self.transport_name, view.channel)

    def _wait_seconds(self, attempts: int, retry_after: float | None) -> float:
        """The backoff, or the transport's retry-after when that is longer.

        A row that was itself rate limited waits its backoff too, while the rows handed back
        untried with it wait only the retry-after (:meth:`_release`): so a rate limit does not
        keep the same few rows at the head of the queue and the rest behind them for good.
        """
        backoff = backoff_seconds(
            attempts, base=self.backoff_base, cap=self.backoff_max, rng=self.rng
        )
        return backoff if retry_after is None else max(retry_after, backoff)

    def _release(self, message_ids: list[int], wait: float) -> None:
        """Hand untried rows back as pending, due after `wait` seconds, attempts unchanged."""
        if not message_ids:
            return
        now = self.clock()
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(message_ids),
                    OutboxMessage.claimed_by == self.worker_id,
                    OutboxMessage.state == SENDING,
                )
                .values(
                    state=PENDING,
                    next_attempt_at=now + timedelta(seconds=wait),
                    claimed_by=None,
                    claimed_until=None,
                )
                .execution_options(synchronize_session=False)
            )


def _keep_ticket_ref(session: Session, view: OutboxMessageView, reference: str) -> None:
    """A ticket's first message (or one posted again) becomes its message from now on, as an
    alert's does."""
    ticket_id = view.payload.get("ticket_id")
    if reference == view.ticket_ref or not isinstance(ticket_id, int):
        return
    ours = Ticket.message_ref.is_(None)
    if view.ticket_ref is not None:
        ours = or_(ours, Ticket.message_ref == view.ticket_ref)
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, ours)
        .values(message_ref=reference)
        .execution_options(synchronize_session=False)
    )
