"""What an admin does with the outbox: see what is not delivered, send it again, or drop it.

`loanwatch outbox list | retry | drop` call these. Each change is a conditional UPDATE on the
row's state (a worker may be claiming it at the same moment: one of the two wins, and the other
is told what happened), audited, in the caller's transaction. A retry or a drop also ends the
streak of failures at the row's channel (`bot.alerts.destinations`): a person has dealt with it.
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime
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
from bot.i18n import N_, _
from bot.i18n.formats import moment
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
    why = free_text(reason, N_("the reason"))
    if why is None:
        raise InputError(
            _("say why the notification is dropped, e.g. --reason 'channel archived, alert done'")
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
            _(
                "no outbox message with id {id}; `loanwatch outbox list` shows the ones "
                "not delivered"
            ).format(id=message_id)
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
    if message.state == SENT:
        if message.sent_at is None:
            return _("outbox message {id} was already delivered; there is nothing to do").format(
                id=message.id
            )
        return _(
            "outbox message {id} was already delivered at {at}; there is nothing to do"
        ).format(id=message.id, at=moment(message.sent_at, UTC))
    if message.state == DROPPED:
        return _dropped(message)
    if message.state == SENDING:
        # What to do once the lease ends: the command the admin typed, again.
        said = (
            _(
                "outbox message {id} is being sent right now by {worker}; if that worker died, "
                "it is taken back when its lease ends ({until}): retry it after that"
            )
            if action == "outbox.retry"
            else _(
                "outbox message {id} is being sent right now by {worker}; if that worker died, "
                "it is taken back when its lease ends ({until}): drop it after that"
            )
        )
        until = moment(message.claimed_until, UTC) if message.claimed_until else _("soon")
        return said.format(id=message.id, worker=message.claimed_by, until=until)
    return _("outbox message {id} is {state}").format(id=message.id, state=message.state)


# How `drop` keeps who dropped a row and why (`dropped_reason`, English like the audit).
_DROPPED_BY = re.compile(r"dropped by (?P<actor>\S+): (?P<why>.*)", re.DOTALL)


def _dropped(message: OutboxMessage) -> str:
    """A dropped row: who dropped it and why, in the reader's words around the admin's."""
    if not message.dropped_reason:
        return _("outbox message {id} was dropped; it will not be sent").format(id=message.id)
    kept = _DROPPED_BY.fullmatch(message.dropped_reason)
    if kept is None:  # dropped by loanwatch itself: "superseded by outbox 12: …"
        return _("outbox message {id} was {reason}; it will not be sent").format(
            id=message.id, reason=message.dropped_reason
        )
    return _("outbox message {id} was dropped by {actor}: {why}; it will not be sent").format(
        id=message.id, actor=kept["actor"], why=kept["why"]
    )
