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
  overtakes "opened". A dead earlier row no longer holds the later ones back.
- When a row about one alert is sent and the transport gives a reference (its Slack message),
  the alert keeps it as its `message_ref` in the same transaction, if it has none yet; later rows
  carry it (`OutboxMessageView.alert_ref`) so the transport updates that message in place.

Leases are compared with each worker's own clock, so machines' clocks must agree to well within
the lease (NTP does this).
"""

import logging
import math
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.alerts.outbox import DEAD, PENDING, SENDING, SENT, enqueue
from bot.clock import utcnow
from bot.db import transaction
from bot.installation import this_installation
from bot.models import Alert, OutboxMessage
from jobs.transports import OutboxMessageView, Transport, TransportError

if TYPE_CHECKING:
    from bot.alerts.lifecycle import AlertPolicy

log = logging.getLogger(__name__)

__all__ = ["DeliveryWorker", "backoff_seconds", "default_dead_letter_handler", "enqueue"]


DELIVERY_FAILED = "delivery_failed"
# Error texts are stored on the row; an HTML error page from a proxy need not be kept whole.
MAX_ERROR_LENGTH = 2000

DeadLetterHandler = Callable[[Session, OutboxMessage, datetime], None]


def default_dead_letter_handler(
    session: Session,
    message: OutboxMessage,
    now: datetime,
    *,
    policy: "AlertPolicy | None" = None,
) -> None:
    """Open (or update) a critical `delivery_failed` alert for the admins about a dead letter.

    `policy` says where admin alerts go; wire it with
    `functools.partial(default_dead_letter_handler, policy=policy)`. Without one the alert's
    notice goes to the transport's default channel.

    A dead letter that was itself the notice of a `delivery_failed` alert is only logged:
    raising another alert about it would write another outbox row to the same unreachable
    place, and so on without end.
    """
    if message.alert_id is not None:
        alert = session.get(Alert, message.alert_id)
        if alert is not None and (
            alert.check == DELIVERY_FAILED or alert.fingerprint.startswith(f"{DELIVERY_FAILED}:")
        ):
            log.error(
                "outbox %s (the notice of delivery_failed alert %s) is a dead letter too: %s",
                message.id,
                alert.id,
                message.last_error,
            )
            return
    # Imported when first needed, so the worker (and its tests) do not depend on the lifecycle.
    from bot.alerts.lifecycle import open_admin_alert

    channel = message.channel or "-"
    error = message.last_error or "(no error text)"
    noun = "attempt" if message.attempts == 1 else "attempts"
    open_admin_alert(
        session,
        fingerprint=f"{DELIVERY_FAILED}:-:outbox-{message.id}",
        summary=(
            f"Outbox message {message.id} ({message.kind} to {channel}) was not delivered "
            f"after {message.attempts} {noun}: {error}"
        ),
        facts={
            "Outbox id": str(message.id),
            "Kind": message.kind,
            "Channel": channel,
            "Attempts": str(message.attempts),
            "Permanent": "yes" if message.permanent else "no",
            "Error": error,
        },
        now=now,
        policy=policy,
    )


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """How long to wait after the `attempts`-th failure: full jitter over base·2^(attempts−1).

    The ceiling doubles per failure up to `cap`; the wait is drawn uniformly below it, so many
    messages failing together do not all come back at the same moment.
    """
    exponent = min(max(attempts - 1, 0), 62)  # 2**62·base is past any cap; avoids overflow.
    ceiling = min(cap, base * 2**exponent)
    return rng.uniform(0.0, ceiling)


class _Claim(NamedTuple):
    """A row this worker won: what the transport sees, the lease's end, and the row's alert."""

    view: OutboxMessageView
    until: datetime
    alert_id: int | None


def _usable(retry_after: float | None) -> float | None:
    """A retry-after worth honouring: finite and not negative (a negative one means now)."""
    if retry_after is None or not math.isfinite(retry_after):
        return None
    return max(retry_after, 0.0)


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
        max_attempts: int = 8,
        backoff_base: float = 30.0,
        backoff_max: float = 3600.0,
        lease: timedelta = timedelta(minutes=5),
        on_dead_letter: DeadLetterHandler = default_dead_letter_handler,
        rng: random.Random | None = None,
        poll: float = 1.0,
    ) -> None:
        if batch_size < 1 or max_attempts < 1:
            raise ValueError("batch_size and max_attempts must be at least 1")
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self.sessions = sessions
        self.transport = transport
        self.worker_id = worker_id
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.lease = lease
        self.on_dead_letter = on_dead_letter
        self.rng = rng if rng is not None else random.Random()
        self.poll = poll

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
        3. Record the outcome in its own transaction: sent; pending again after a backoff; or
           dead, with `on_dead_letter` called in that same transaction.
        4. When the transport asks to wait (a retry-after), hand the rest of the batch back
           untried, due after that wait, instead of hammering a rate limit.
        """
        found, claimed = self._claim()
        for index, (view, claimed_until, alert_id) in enumerate(claimed):
            if not self._still_ours(view, claimed_until):
                continue
            try:
                reference = self.transport.send(view)
            except TransportError as exc:
                retry_after = _usable(exc.retry_after)
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

    def _due(self, now: datetime) -> ColumnElement[bool]:
        """Rows waiting for a send: pending and due, or held by a worker whose lease ran out."""
        return or_(
            and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_until < now),
        )

    def _waits_for_an_earlier_row(self) -> ColumnElement[bool]:
        """An earlier row (lower id) of the same alert is not settled yet: this one must wait.

        Rows only ever move pending → sending → pending/sent/dead, and new rows get higher ids,
        so once this is false for a row it stays false: checking it when picking candidates is
        enough, the claiming UPDATE need not repeat it.
        """
        earlier = aliased(OutboxMessage)
        return exists().where(
            earlier.alert_id == OutboxMessage.alert_id,
            earlier.id < OutboxMessage.id,
            earlier.state.in_((PENDING, SENDING)),
        )

    def _claim(self) -> tuple[bool, list[_Claim]]:
        """Claim due rows; returns whether any were due, and the ones this worker won.

        1. Pick due rows that no earlier row of their alert holds back (skipping rows other
           workers have locked, on PostgreSQL).
        2. Claim them with a conditional UPDATE; RETURNING lists the ones this worker won.
        3. Read the message_ref of their alerts in the same transaction, for the views.
        """
        now = self.clock()
        until = now + self.lease
        with transaction(self.sessions) as session:
            candidates = (
                select(OutboxMessage.id, OutboxMessage.state)
                .where(self._due(now), ~self._waits_for_an_earlier_row())
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                candidates = candidates.with_for_update(of=OutboxMessage, skip_locked=True)
            picked: dict[int, str] = {row.id: row.state for row in session.execute(candidates)}
            if not picked:
                return False, []
            ids = list(picked)
            # The claim itself: only rows still due when the UPDATE runs are taken, and RETURNING
            # lists exactly those (the "did my UPDATE match?" test, for the whole batch at once).
            won = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), self._due(now))
                .values(state=SENDING, claimed_by=self.worker_id, claimed_until=until)
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.alert_id,
                    OutboxMessage.kind,
                    OutboxMessage.channel,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.token,
                )
                .execution_options(synchronize_session=False)
            ).all()
            installation_id = this_installation(session).installation_id
            alert_ids = {row.alert_id for row in won if row.alert_id is not None}
            refs: dict[int, str | None] = {}
            if alert_ids:
                rows = session.execute(
                    select(Alert.id, Alert.message_ref).where(Alert.id.in_(alert_ids))
                )
                refs = {row.id: row.message_ref for row in rows}
        claims = [
            _Claim(
                OutboxMessageView(
                    row.id,
                    row.kind,
                    row.channel,
                    row.payload,
                    row.attempts,
                    alert_ref=refs.get(row.alert_id) if row.alert_id is not None else None,
                    # It was `sending` under a lease that ran out: its worker may have sent it.
                    reclaimed=picked.get(row.id) == SENDING,
                    installation_id=installation_id,
                    token=row.token,
                ),
                until,
                row.alert_id,
            )
            for row in won
        ]
        return True, sorted(claims, key=lambda claim: claim.view.id)

    def _mine(self, message_id: int) -> ColumnElement[bool]:
        """The row is still claimed by this worker and not yet settled."""
        return and_(
            OutboxMessage.id == message_id,
            OutboxMessage.claimed_by == self.worker_id,
            OutboxMessage.state == SENDING,
        )

    def _settle(self, session: Session, message_id: int, **values: Any) -> bool:
        """Apply `values` if the row is still ours; False when another worker took it over."""
        result = session.execute(
            update(OutboxMessage)
            .where(self._mine(message_id))
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

    def _record_sent(
        self, view: OutboxMessageView, reference: str | None, alert_id: int | None
    ) -> None:
        """Mark the row sent, with the transport's reference; a first one becomes the alert's.

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
            if recorded and alert_id is not None and reference is not None:
                session.execute(
                    update(Alert)
                    .where(Alert.id == alert_id, Alert.message_ref.is_(None))
                    .values(message_ref=reference)
                    .execution_options(synchronize_session=False)
                )
        if not recorded:
            log.warning(
                "outbox %s: sent, but the claim had passed to another worker (lease too short?)",
                view.id,
            )

    def _record_failure(
        self,
        view: OutboxMessageView,
        error: str,
        permanent: bool,
        retry_after: float | None,
    ) -> None:
        """Store the failure on the row: back to pending after a wait, or dead.

        A dead letter and what `on_dead_letter` writes (the admin alert and its outbox row)
        commit together. If the handler raises, neither is kept: the row stays claimed until its
        lease runs out and is then tried again, rather than dying without anyone being told.
        """
        now = self.clock()
        attempts = view.attempts + 1
        error = error[:MAX_ERROR_LENGTH]
        dead = permanent or attempts >= self.max_attempts
        with transaction(self.sessions) as session:
            if dead:
                values: dict[str, Any] = {"state": DEAD, "permanent": permanent}
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
            if dead:
                message = session.get(OutboxMessage, view.id)
                assert message is not None  # we just updated it in this transaction
                self.on_dead_letter(session, message, now)
        if dead:
            log.error("outbox %s is a dead letter after %s attempts: %s", view.id, attempts, error)

    def _wait_seconds(self, attempts: int, retry_after: float | None) -> float:
        """The transport's retry-after when it gave one (at least that long), else a backoff."""
        if retry_after is not None:
            return retry_after
        return backoff_seconds(attempts, base=self.backoff_base, cap=self.backoff_max, rng=self.rng)

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
