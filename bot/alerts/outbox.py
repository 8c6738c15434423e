"""The outbox: notifications written in the same transaction as the change they report.

`bot.alerts.notifier` writes rows here; the delivery worker (`jobs.delivery`) claims and sends
them, and `bot.alerts.outbox_admin` retries or drops what it could not deliver.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
# A permanent failure (a missing channel, a revoked token): a person must act.
DEAD = "dead"
# Never to be sent: an admin dropped it, or a later row of its alert superseded it.
DROPPED = "dropped"


def enqueue(
    session: Session,
    *,
    kind: str,
    channel: str | None,
    payload: dict[str, Any],
    now: datetime,
    alert_id: int | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Add a pending outbox row, due now; it commits with the caller's transaction.

    It flushes so the row has its id at once; a caller writing many rows and needing no ids
    passes `flush=False`, and the rows go in together (in the order they were added).
    """
    message = OutboxMessage(
        alert_id=alert_id,
        kind=kind,
        channel=channel,
        payload=payload,
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        permanent=False,
        created_at=now,
    )
    session.add(message)
    if flush:
        session.flush()
    return message
