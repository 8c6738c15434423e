"""What quiets an alert now, and what has run out since: snoozes, silences, acknowledgements.

A snooze or a silence withholds an alert's attention notices without changing its state; an
acknowledgement stops reminders until it expires. The run of the checks and the wake-ups between
runs (`bot.alerts.detection`) both end what has run out here and remind when the alert still fires.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import ADMIN_CHECKS
from bot.alerts.findings import Finding
from bot.alerts.notices import Reason
from bot.alerts.policy import AlertState
from bot.alerts.silences import covers, end_of
from bot.alerts.transition import transition
from bot.models import Alert, Silence

# An alert as the rules read it: the ORM object, or a row of the columns they decide from.
AlertAsRead = Alert | Row[Any]


def silenced(alert: Alert | Finding, silences: list[Silence]) -> bool:
    """A silence covers the alert now (admin alerts are never silenced)."""
    if alert.check in ADMIN_CHECKS:
        return False
    return any(covers(s, check=alert.check, facility_id=alert.facility_id) for s in silences)


def silence_ended(
    alert: AlertAsRead, ended: list[Silence], previously_seen: datetime, now: datetime
) -> bool:
    """A silence that held the alert at the previous run it was seen in has ended since."""
    return any(
        covers(s, check=alert.check, facility_id=alert.facility_id)
        and s.starts_at <= previously_seen < end_of(s) <= now
        for s in ended
    )


def ack_expiry(alert: AlertAsRead, now: datetime) -> dict[str, Any] | None:
    """Back to open when an acknowledgement has run out and the alert still fires."""
    if (
        alert.state != AlertState.ACKNOWLEDGED
        or alert.ack_expires_at is None
        or alert.ack_expires_at > now
    ):
        return None
    return {
        "state": AlertState.OPEN,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "ack_expires_at": None,
    }


def snooze_end(alert: AlertAsRead, now: datetime) -> dict[str, Any] | None:
    """The snooze is over once its time has come."""
    if (
        alert.state == AlertState.RESOLVED
        or alert.snoozed_until is None
        or alert.snoozed_until > now
    ):
        return None
    return {"snoozed_until": None}


def end_what_ran_out(
    session: Session, alert: Alert, now: datetime
) -> tuple[list[Reason], dict[str, Any]]:
    """End an acknowledgement or a snooze whose time has come; the reasons to remind, and facts."""
    reasons: list[Reason] = []
    extra: dict[str, Any] = {}
    before = transition(session, alert, lambda a: ack_expiry(a, now))
    if before is not None:
        _restart_escalation(alert, before["ack_expires_at"])
        audit.record(session, audit.SYSTEM, "alert.ack_expire", alert, at=now, before=before)
        reasons.append(Reason.ACK_EXPIRED)
        extra["previously_acknowledged_by"] = before["acknowledged_by"]
    before = transition(session, alert, lambda a: snooze_end(a, now))
    if before is not None:
        _restart_escalation(alert, before["snoozed_until"])
        audit.record(session, audit.SYSTEM, "alert.snooze_end", alert, at=now, before=before)
        reasons.append(Reason.SNOOZE_ENDED)
    return reasons, extra


def _restart_escalation(alert: Alert, ran_out: str | None) -> None:
    """The escalation ladder starts again (a new round), timed from when the ack or snooze ran out.

    `ran_out` is the snapshot's ISO time; the round's steps are measured from it, so a check
    run `--at` a later moment still runs them at their own minutes (bot.oncall.engine).
    """
    alert.escalation_round = (alert.escalation_round or 0) + 1
    alert.escalation_from = datetime.fromisoformat(ran_out) if ran_out else None
