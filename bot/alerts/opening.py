"""A new alert: its first columns, and how a run of the checks opens thousands at once.

An admin alert opens one by one (`bot.alerts.admin`); a run of the checks opens every new
finding's alert in a few statements (`bot.alerts.detection`), with the same rows as a result.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.findings import Finding, wording_json
from bot.alerts.notices import Event, NoticeKind
from bot.alerts.notifier import AlertSnapshot, AlertToTell, Notifier
from bot.alerts.policy import AlertState
from bot.alerts.quiet import silenced
from bot.db import insert_many
from bot.models import Alert, Silence


def open_alert(session: Session, finding: Finding, now: datetime) -> Alert:
    """A new alert for `finding`, added to the session (the caller audits and tells it)."""
    alert = Alert(**opening_values(finding, now))
    session.add(alert)
    return alert


def opening_values(finding: Finding, now: datetime) -> dict[str, Any]:
    """The columns of a new alert for `finding`; the others start empty."""
    return {
        "fingerprint": finding.fingerprint,
        "check": finding.check,
        "facility_id": finding.facility_id,
        "subject": finding.subject,
        "severity": str(finding.severity),
        "state": AlertState.OPEN,
        "summary": finding.summary,
        "facts": dict(finding.facts),
        "wording": wording_json(finding, now.year),
        "opened_at": now,
        "last_seen_at": now,
        "escalation_level": 0,
        "escalation_round": 0,
        "version": 1,
    }


def open_many(notifier: Notifier, findings: list[Finding], silences: list[Silence]) -> None:
    """Open an alert for each new finding, with its audit record, and tell them as usual.

    A run can open thousands (a platform outage), so this does in a few statements what the
    ORM would do object by object, with the same rows as a result:
    1. Decide first who is told (every alert not silenced; in a storm, inside one grouped
       message), so each alert goes in with its final `last_notified_at`: no UPDATE after.
    2. One INSERT for the alerts (`bot.db.insert_many`), their ids back. One whose fingerprint
       another transaction opened meanwhile is left out (`ON CONFLICT DO NOTHING` on the one
       open alert per fingerprint): a race between two runs is a finding found again, not a
       failed check.
    3. One INSERT for their audit records: the alert as it opened, before anyone was told,
       which is what `audit.record` wrote one by one.
    4. The outbox rows, one per alert or one per storm (:meth:`Notifier.tell_in_groups`).
    """
    if not findings:
        return
    session, now = notifier.session, notifier.now
    # What this run changed so far goes in first, so rows keep the order things happened in.
    session.flush()
    rows = [
        opening_values(f, now) | {"last_notified_at": None if silenced(f, silences) else now}
        for f in findings
    ]
    inserted = insert_many(
        session, Alert.__table__, rows, returning=(Alert.id, Alert.fingerprint), skip_existing=True
    )
    ids = {fingerprint: alert_id for alert_id, fingerprint in inserted}
    # A fingerprint left out was opened meanwhile by another run (a prompt run beside a cycle,
    # two workers): that run opened it and tells it; for this one it was found again.
    rows = [row | {"id": ids[row["fingerprint"]]} for row in rows if row["fingerprint"] in ids]
    rows.sort(key=lambda row: row["id"])  # the order `list_alerts` shows them in
    as_opened = [row | {"last_notified_at": None} for row in rows]
    audit.record_inserted(session, audit.SYSTEM, "alert.open", Alert, as_opened, at=now)

    to_tell: list[AlertToTell] = []
    for row, values in zip(rows, as_opened, strict=True):
        if row["last_notified_at"] is None:
            notifier.tally["silenced"] += 1
        else:
            to_tell.append(AlertSnapshot(**values))
    notifier.tally["opened"] += len(rows)
    notifier.tell_in_groups(to_tell, NoticeKind.OPENED, event=Event.OPENED)
