"""What people do to alerts: acknowledge, snooze, resolve with a reason, and list them.

Each action goes through the conditional update (`bot.alerts.transition`), writes its audit
record and its notice (`bot.alerts.notifier`) in the caller's transaction, and refuses a
resolved alert with who resolved it and why.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.notices import Event, NoticeKind
from bot.alerts.notifier import Notifier
from bot.alerts.policy import LIST_STATES, MAX_SNOOZE, AlertPolicy, AlertState
from bot.alerts.transition import already_resolved, get_alert, resolving, transition
from bot.clock import require_aware
from bot.errors import InputError
from bot.i18n import _
from bot.models import Alert
from bot.tickets.follow_ups import note_resolved_alerts
from bot.typed import free_text


def acknowledge(
    session: Session, actor: audit.Actor, alert_id: int, *, now: datetime, policy: AlertPolicy
) -> Alert:
    """Someone owns the alert until `now + ack_expiry`; escalation stops, auto-resolve does not.

    Acknowledging an acknowledged alert (a double click, or a colleague a moment later) changes
    nothing and tells nobody: the first owner keeps it. An acknowledgement that has expired can
    be given again. A resolved alert is refused.
    """
    require_aware(now, "now")
    alert = get_alert(session, alert_id)

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == AlertState.RESOLVED:
            raise InputError(already_resolved(a))
        if (
            a.state == AlertState.ACKNOWLEDGED
            and a.ack_expires_at is not None
            and a.ack_expires_at > now
        ):
            return None
        return {
            "state": AlertState.ACKNOWLEDGED,
            "acknowledged_by": actor.name,
            "acknowledged_at": now,
            "ack_expires_at": now + policy.ack_expiry,
        }

    before = transition(session, alert, decide)
    if before is not None:
        audit.record(session, actor, "alert.acknowledge", alert, at=now, before=before)
        Notifier.for_alert(session, alert, now, policy).tell(
            alert, NoticeKind.UPDATED, event=Event.ACKNOWLEDGED, actor=actor
        )
    return alert


def snooze(
    session: Session,
    actor: audit.Actor,
    alert_id: int,
    until: datetime,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
) -> Alert:
    """No reminders until `until`; the alert keeps its state and still resolves by itself."""
    require_aware(now, "now")
    require_aware(until, "the snooze's end")
    if until <= now:
        raise InputError(
            _("snooze until a time in the future, e.g. `loanwatch alert snooze 12 4h`")
        )
    if until - now > MAX_SNOOZE:
        raise InputError(
            _(
                "a snooze can last at most {days} days; resolve the alert or add a silence instead"
            ).format(days=MAX_SNOOZE.days)
        )
    alert = get_alert(session, alert_id)

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == AlertState.RESOLVED:
            raise InputError(already_resolved(a))
        return {"snoozed_until": until}

    before = transition(session, alert, decide)
    assert before is not None  # decide never declines
    audit.record(session, actor, "alert.snooze", alert, at=now, before=before)
    Notifier.for_alert(session, alert, now, policy).tell(
        alert, NoticeKind.UPDATED, event=Event.SNOOZED, actor=actor
    )
    return alert


def resolve(
    session: Session,
    actor: audit.Actor,
    alert_id: int,
    reason: str,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
) -> Alert:
    """Resolve by hand, with a reason. If the check still finds it, the next run opens a new one."""
    require_aware(now, "now")
    reason = free_text(reason, "the reason") or ""
    if not reason:
        raise InputError(
            _("say why the alert is resolved, e.g. --reason 'bill appeared, platform confirmed'")
        )
    alert = get_alert(session, alert_id)

    decide = resolving(now, actor.name, reason, refuse_if_resolved=True)
    before = transition(session, alert, decide)
    assert before is not None  # decide never declines
    audit.record(session, actor, "alert.resolve", alert, at=now, before=before)
    if alert.last_notified_at is not None:
        Notifier.for_alert(session, alert, now, policy).tell(
            alert, NoticeKind.RESOLVED, event=Event.RESOLVED, actor=actor
        )
    # Its open ticket, if any, says so now rather than at the next check cycle.
    note_resolved_alerts(
        session, now=now, default_channel=policy.default_channel if policy else None
    )
    return alert


def list_alerts(session: Session, state: str = "open") -> list[Alert]:
    """Alerts in id order, filtered by state.

    `open` means not resolved: open or acknowledged, snoozed or not (what still needs someone).
    `acknowledged` and `resolved` are those states only; `all` is every alert.
    """
    query = select(Alert).order_by(Alert.id)
    if state == "open":
        query = query.where(Alert.state != AlertState.RESOLVED)
    elif state in (AlertState.ACKNOWLEDGED, AlertState.RESOLVED):
        query = query.where(Alert.state == state)
    elif state != "all":
        raise InputError(
            _("unknown alert state {state!r}; use one of: {states}").format(
                state=state, states=", ".join(LIST_STATES)
            )
        )
    return list(session.scalars(query))
