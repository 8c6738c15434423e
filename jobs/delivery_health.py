"""What the admins hear about delivery: dead letters, and destinations that keep failing.

Two admin alerts, each raised in the same transaction as the outbox change that calls for it:

- `delivery_failed`, one per dead letter: a permanent error (a missing channel, a revoked
  token) that a person must fix. It resolves when the row is delivered after all (an admin
  fixed the cause and ran `loanwatch outbox retry`) or dropped (`loanwatch outbox drop`).
- `delivery_degraded`, one per destination (a transport and a channel, "slack:C0123ABCD"),
  while sending there keeps failing transiently (Slack down, 5xx, rate limits) for longer than
  the worker's `degraded_after`, in one unbroken streak (`bot.alerts.destinations`: a dead
  letter, an admin's drop or retry, or a send that gets through ends it). Nothing is lost
  meanwhile: those rows are retried until they go. It resolves with the next successful send
  to that destination.

Neither loops. The notice of a `delivery_degraded` alert goes to the admins' channel; if that is
the destination that is down, its failures only keep the one alert open. A dead letter that was
itself the notice of an alert about delivery is logged, not alerted on again.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts.admin import admin_words, open_admin_alert, resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.destinations import destination, end_streak
from bot.alerts.outbox_admin import delivery_failed_fingerprint
from bot.alerts.policy import AlertPolicy
from bot.alerts.resolve_reasons import DELIVERED_AFTER_ALL, DELIVERED_TO, reason
from bot.i18n import N_
from bot.i18n.wording import Moment, Text
from bot.ledger.request_owners import owner_gone_letter
from bot.models import Alert, DeliveryDestination, OutboxMessage
from bot.tickets.delivery import record_delivery_failure
from bot.tickets.notices import TicketNoticeKind

log = logging.getLogger(__name__)

__all__ = [
    "default_dead_letter_handler",
    "destination",
    "end_streak",
    "note_failure",
    "note_success",
]

ABOUT_DELIVERY = (Check.DELIVERY_FAILED, Check.DELIVERY_DEGRADED)


# --- dead letters --------------------------------------------------------------------------------


def default_dead_letter_handler(
    session: Session,
    message: OutboxMessage,
    now: datetime,
    *,
    policy: AlertPolicy | None = None,
) -> None:
    """Open (or update) a critical `delivery_failed` alert for the admins about a dead letter.

    A dead letter to a platform (a ticket's `ticket.platform` row) also puts a
    `delivery_failed` entry on its ticket's timeline (bot.tickets.delivery).

    `policy` says where admin alerts go; wire it with
    `functools.partial(default_dead_letter_handler, policy=policy)`. Without one the alert's
    notice goes to the transport's default channel.

    A dead letter that was itself the notice of an alert about delivery is only logged:
    raising another alert about it would write another outbox row to the same unreachable
    place, and so on without end.

    A reading request whose person left the workspace is no delivery failure: the row is
    dropped and one `owner_gone` alert says whom to ask instead (bot.ledger.request_owners).
    """
    if owner_gone_letter(session, message, now, policy=policy):
        return
    if message.alert_id is not None:
        alert = session.get(Alert, message.alert_id)
        if alert is not None and (
            alert.check in ABOUT_DELIVERY
            or any(alert.fingerprint.startswith(f"{check}:") for check in ABOUT_DELIVERY)
        ):
            log.error(
                "outbox %s (the notice of %s alert %s) is a dead letter too: %s",
                message.id,
                alert.check,
                alert.id,
                message.last_error,
            )
            return
    channel = message.channel or "-"
    error = message.last_error or "(no error text)"
    if message.kind == TicketNoticeKind.PLATFORM:
        # The team hears it on the ticket too: its platform was not reached.
        record_delivery_failure(
            session,
            message.payload,
            error,
            now=now,
            default_channel=policy.default_channel if policy is not None else None,
        )
    open_admin_alert(
        session,
        fingerprint=delivery_failed_fingerprint(message.id),
        **_dead_letter_words(message, channel, error),
        now=now,
        policy=policy,
    )


def _dead_letter_words(message: OutboxMessage, channel: object, error: str) -> dict[str, Any]:
    """The delivery_failed alert's summary, facts and wording for a dead letter."""
    return admin_words(
        Text(
            N_(
                "Outbox message {id} ({kind} to {channel}) was not delivered after "
                "{attempts} attempt: {error}"
            ),
            {
                "id": message.id,
                "kind": message.kind,
                "channel": str(channel),
                "attempts": message.attempts,
                "error": error,
            },
            plural=N_(
                "Outbox message {id} ({kind} to {channel}) was not delivered after "
                "{attempts} attempts: {error}"
            ),
            n=message.attempts,
        ),
        [
            (N_("Outbox id"), str(message.id)),
            (N_("Kind"), message.kind),
            (N_("Channel"), str(channel)),
            (N_("Attempts"), str(message.attempts)),
            (N_("Permanent"), Text(N_("yes")) if message.permanent else Text(N_("no"))),
            (N_("Error"), error),
        ],
    )


def resolve_delivered_dead_letter(
    session: Session, message_id: int, now: datetime, policy: AlertPolicy | None
) -> None:
    """A row that had failed was delivered: its `delivery_failed` alert, if any, resolves."""
    resolve_admin_alert(
        session,
        fingerprint=delivery_failed_fingerprint(message_id),
        reason=reason(DELIVERED_AFTER_ALL, message=message_id),
        now=now,
        policy=policy,
    )


# --- destinations that keep failing --------------------------------------------------------------


def _degraded_fingerprint(where: str) -> str:
    return f"{Check.DELIVERY_DEGRADED}:-:{where}"


def note_failure(
    session: Session,
    where: str,
    error: str,
    now: datetime,
    *,
    degraded_after: timedelta,
    policy: AlertPolicy | None,
) -> None:
    """A transient failure sending to `where`; past `degraded_after` of them, tell the admins.

    1. Record it: the destination's row is made if missing, `failing_since` set if empty (a
       new streak; anything but a transient failure ends one: `end_streak`).
    2. If it has been failing for `degraded_after` and no alert is open about it, claim the
       alert with a conditional UPDATE of `alerted_at` (so of several workers one raises it)
       and open one `delivery_degraded` alert in this transaction.
    """
    table = DeliveryDestination
    since = bindparam(None, now, type_=table.failing_since.type)
    record = (
        update(table)
        .where(table.destination == where)
        .values(
            failing_since=func.coalesce(table.failing_since, since),
            last_error=error,
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(record).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(
                    table(
                        destination=where, failing_since=now, last_error=error, last_failure_at=now
                    )
                )
        except IntegrityError:
            session.execute(record)  # another worker made the row first
    failing_since = session.scalar(select(table.failing_since).where(table.destination == where))
    if failing_since is None or now - failing_since < degraded_after:
        return
    claimed = session.execute(
        update(table)
        .where(table.destination == where, table.alerted_at.is_(None))
        .values(alerted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return  # already told
    minutes = int((now - failing_since).total_seconds() // 60)
    log.warning("delivery to %s has been failing for %d min: %s", where, minutes, error)
    open_admin_alert(
        session,
        fingerprint=_degraded_fingerprint(where),
        **admin_words(
            Text(
                N_(
                    "Notifications to {where} have been failing since {since}. Nothing is lost: "
                    "loanwatch keeps trying them and sends them when it gets through; this alert "
                    "resolves by itself then."
                ),
                {"where": where, "since": Moment(failing_since, utc=True)},
            ),
            [
                (N_("Destination"), where),
                (N_("Failing since"), Moment(failing_since, utc=True)),
                (N_("Error"), error),
            ],
        ),
        now=now,
        policy=policy,
        check=Check.DELIVERY_DEGRADED,
    )


def note_success(
    session: Session, where: str, now: datetime, *, policy: AlertPolicy | None
) -> None:
    """A send to `where` went through: it is not failing, and its alert (if any) resolves."""
    table = DeliveryDestination
    state = session.execute(
        select(table.failing_since, table.alerted_at).where(table.destination == where)
    ).first()
    if state is None or (state.failing_since is None and state.alerted_at is None):
        return  # the usual case: one primary-key read
    cleared = session.execute(
        update(table)
        .where(table.destination == where, table.alerted_at.is_not(None))
        .values(failing_since=None, alerted_at=None)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount == 1:
        log.info("delivery to %s works again", where)
        resolve_admin_alert(
            session,
            fingerprint=_degraded_fingerprint(where),
            reason=reason(DELIVERED_TO, where=where),
            now=now,
            policy=policy,
        )
        return
    end_streak(session, where)
