"""What an admin does with the outbox: see what is not delivered, send it again, or drop it.

`loanwatch outbox list | retry | drop` call these. Each change is a conditional UPDATE on the
row's state (a worker may be claiming it at the same moment: one of the two wins, and the other
is told what happened), audited, in the caller's transaction. A retry or a drop also ends the
streak of failures at the row's channel (`bot.alerts.destinations`): a person has dealt with it.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts import resolve_reasons
from bot.alerts.admin import resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.destinations import end_streaks_to
from bot.alerts.outbox import DEAD, DROPPED, PENDING, SENDING, SENT
from bot.alerts.policy import AlertPolicy
from bot.clock import require_aware
from bot.errors import InputError, NotFoundError
from bot.models import OutboxMessage
from bot.typed import free_text

__all__ = [
    "delivery_failed_fingerprint",
    "drop",
    "retry",
    "retry_all_dead",
    "undelivered",
]

# What `outbox list` shows by default: every row not delivered (and not dropped).
UNDELIVERED = (PENDING, SENDING, DEAD)


def delivery_failed_fingerprint(message_id: int) -> str:
    """The fingerprint of the `delivery_failed` alert about one dead letter."""
    return f"{Check.DELIVERY_FAILED}:-:outbox-{message_id}"


def undelivered(
    session: Session, *, dead_only: bool = False, limit: int | None = None
) -> tuple[list[OutboxMessage], int]:
    """Rows not delivered yet (or only the dead letters), oldest first, and how many in all."""
    wanted = (DEAD,) if dead_only else UNDELIVERED
    where = OutboxMessage.state.in_(wanted)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(where)) or 0
    rows = session.scalars(
        select(OutboxMessage).where(where).order_by(OutboxMessage.id).limit(limit)
    )
    return list(rows), total


def retry(session: Session, actor: audit.Actor, message_id: int, *, now: datetime) -> OutboxMessage:
    """Send a dead letter (or a row waiting for its next try) again: pending, due now.

    Its attempts are kept: a transport that can look (Slack) still checks whether an earlier
    try got through before it sends.
    """
    return _change(session, actor, message_id, (DEAD, PENDING), "outbox.retry", _due(now), now)


def retry_all_dead(session: Session, actor: audit.Actor, *, now: datetime) -> list[OutboxMessage]:
    """Every dead letter pending again, due now; the rows, oldest first (none: an empty list)."""
    ids = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.state == DEAD).order_by(OutboxMessage.id)
    ).all()
    return [retry(session, actor, message_id, now=now) for message_id in ids]


def drop(
    session: Session,
    actor: audit.Actor,
    message_id: int,
    reason: str,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
) -> OutboxMessage:
    """Never send this row: state `dropped`, with who dropped it and why.

    A dead letter's `delivery_failed` alert resolves with it: an admin has dealt with it.
    """
    why = free_text(reason, "the reason")
    if why is None:
        raise InputError(
            "say why the notification is dropped, e.g. --reason 'channel archived, alert done'"
        )
    was_dead = _get(session, message_id).state == DEAD
    values = {
        "state": DROPPED,
        "dropped_reason": f"dropped by {actor.name}: {why}",
        "claimed_by": None,
        "claimed_until": None,
    }
    message = _change(session, actor, message_id, (DEAD, PENDING), "outbox.drop", values, now)
    if was_dead:
        resolve_admin_alert(
            session,
            fingerprint=delivery_failed_fingerprint(message_id),
            reason=resolve_reasons.reason(
                resolve_reasons.OUTBOX_DROPPED, message=message_id, who=actor.name, why=why
            ),
            now=now,
            policy=policy,
        )
    return message


def _due(now: datetime) -> dict[str, Any]:
    return {
        "state": PENDING,
        "next_attempt_at": now,
        "permanent": False,
        "claimed_by": None,
        "claimed_until": None,
    }


def _get(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(
            f"no outbox message with id {message_id}; `loanwatch outbox list` shows the ones "
            "not delivered"
        )
    return message


def _change(
    session: Session,
    actor: audit.Actor,
    message_id: int,
    allowed: Sequence[str],
    action: str,
    values: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    """Apply `values` if the row is still in one of the `allowed` states; audit it."""
    require_aware(now, "now")
    message = _get(session, message_id)
    before = audit.snapshot(message)
    changed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(message)
    if changed.rowcount != 1:
        raise InputError(_why_not(message, action))
    end_streaks_to(session, message.channel)
    audit.record(session, actor, action, message, at=now, before=before)
    return message


def _why_not(message: OutboxMessage, action: str) -> str:
    """Why a row in its state cannot be retried or dropped, and what to do instead."""
    what = f"outbox message {message.id}"
    if message.state == SENT:
        when = f" at {message.sent_at:%Y-%m-%d %H:%M} UTC" if message.sent_at else ""
        return f"{what} was already delivered{when}; there is nothing to do"
    if message.state == DROPPED:
        return f"{what} was {message.dropped_reason or 'dropped'}; it will not be sent"
    if message.state == SENDING:
        until = f"{message.claimed_until:%H:%M:%S} UTC" if message.claimed_until else "soon"
        return (
            f"{what} is being sent right now by {message.claimed_by}; if that worker died, it is "
            f"taken back when its lease ends ({until}): {action.split('.')[-1]} it after that"
        )
    return f"{what} is {message.state}"
