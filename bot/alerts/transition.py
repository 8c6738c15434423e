"""Every change of an alert's state goes through one conditional UPDATE on its version.

Races (a double click, an acknowledgement racing an auto-resolve) are settled here: the loser
reads the alert again and decides from what it finds, so two writers never both win.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from bot import audit
from bot.alerts.policy import AlertState
from bot.alerts.resolve_reasons import said
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.i18n.formats import moment
from bot.models import Alert
from bot.zones import facility_zone, shown_zone

# A conditional update that keeps losing means something rewrites the alert in a loop.
MAX_ATTEMPTS = 10

# Looks at the alert as read; returns the columns to set, or None for nothing to do.
Decide = Callable[[Alert], dict[str, Any] | None]


def transition(session: Session, alert: Alert, decide: Decide) -> dict[str, Any] | None:
    """Change the alert only if nobody changed it since it was read; the loser re-reads.

    1. `decide` looks at the alert as read and returns the columns to set (None: nothing to do;
       it may raise InputError, e.g. for an alert that is resolved).
    2. `UPDATE alerts SET …, version = version + 1 WHERE id = :id AND version = :version`.
    3. One row: done; the alert is read back and its snapshot from before is returned.
    4. No row: someone else changed it first. Read it again and go back to 1 with what they
       left, so a double click becomes one acknowledgement and an acknowledgement that lost to
       an auto-resolve is refused instead of reopening a resolved alert.
    """
    for _attempt in range(MAX_ATTEMPTS):
        values = decide(alert)
        if values is None:
            return None
        before = audit.snapshot(alert)
        result = session.execute(
            update(Alert)
            .where(Alert.id == alert.id, Alert.version == alert.version)
            .values(**values, version=Alert.version + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(alert)
        if result.rowcount == 1:
            return before
    raise RuntimeError(f"alert {alert.id} kept changing under {MAX_ATTEMPTS} attempts to update it")


def resolving(now: datetime, by: str, reason: str, *, refuse_if_resolved: bool) -> Decide:
    """A decision to resolve the alert: by whom and why; one already resolved is refused
    (a person's resolve) or left as it is (the system's, which lost the race to a person)."""

    def decide(alert: Alert) -> dict[str, Any] | None:
        if alert.state == AlertState.RESOLVED:
            if refuse_if_resolved:
                raise InputError(already_resolved(alert))
            return None
        return {
            "state": AlertState.RESOLVED,
            "resolved_at": now,
            "resolved_by": by,
            "resolve_reason": reason,
            "snoozed_until": None,
        }

    return decide


def get_alert(session: Session, alert_id: int) -> Alert:
    """The alert with this id, or a NotFoundError that says where to look."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError(
            _("no alert with id {id}; `loanwatch alert list` shows the open ones").format(
                id=alert_id
            )
        )
    return alert


def unresolved_by_fingerprint(session: Session, fingerprint: str) -> Alert | None:
    """The alert with this fingerprint that is not resolved (there is at most one)."""
    return session.scalar(
        select(Alert).where(Alert.fingerprint == fingerprint, Alert.state != AlertState.RESOLVED)
    )


def already_resolved(alert: Alert) -> str:
    """Why an action on a resolved alert is refused: who resolved it, when (in its facility's
    zone, as its messages say it; UTC for one of no facility) and why."""
    session = object_session(alert)
    zone = shown_zone(facility_zone(session, alert.facility_id) if session else None, "UTC")
    when = moment(alert.resolved_at, zone) if alert.resolved_at else _("earlier")
    # The checks resolve as the audit's "system": loanwatch, by its name in every language.
    who = "loanwatch" if alert.resolved_by == audit.SYSTEM.name else alert.resolved_by
    if alert.resolve_reason:
        return _("alert {id} was already resolved by {who} at {when} ({reason})").format(
            id=alert.id, who=who, when=when, reason=said(alert.resolve_reason)
        )
    return _("alert {id} was already resolved by {who} at {when}").format(
        id=alert.id, who=who, when=when
    )
