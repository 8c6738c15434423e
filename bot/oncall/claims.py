"""Claiming due escalation steps: once across workers, and never after an acknowledgement.

:func:`claim_steps` takes the rungs the engine found due (`bot.oncall.engine`) and, in the
caller's transaction, in a constant number of statements:

1. **Locks the alerts and reads them again.** On PostgreSQL `SELECT … FOR SHARE SKIP LOCKED`:
   an alert that someone is changing right now (an Acknowledge, a snooze, a resolve not
   committed yet) is skipped, and its step is weighed again at the next run, from what they
   left; an alert locked here cannot be acknowledged until this transaction ends, so its step
   and notice are committed before the acknowledgement is. Two workers' shared locks do not
   block each other. SQLite serialises writers: the transaction that claims holds the
   database's write lock from its first write, and one whose reads are older than a committed
   write cannot write at all. A step whose alert is no longer open and unsnoozed in the same
   round as read is dropped.
2. **Inserts the steps' rows**, `ON CONFLICT DO NOTHING` on the unique (alert, round, rung):
   a row another worker inserted (or is inserting: PostgreSQL waits for it) is skipped, and
   only the rows inserted here go on. A step a silence held and passed over is only a row
   (`skipped`).
3. **Writes their outbox notices and audit records**, one INSERT each: one notice per group
   of alerts told together (`bot.oncall.together`), one audit record per alert.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from bot import audit, i18n
from bot.alerts.outbox import PENDING
from bot.alerts.policy import AlertPolicy, AlertState
from bot.db import among, insert_many
from bot.languages import channel_languages
from bot.models import Alert, AuditRecord, EscalationStep, OutboxMessage
from bot.models.alerts import new_token
from bot.oncall.rotations import OnCall
from bot.oncall.together import DueStep, group_notice, grouped, reached
from bot.oncall.words import ESCALATION_KIND

__all__ = ["DueStep", "claim_steps"]


def claim_steps(
    session: Session,
    due: Sequence[DueStep],
    on_duty: Mapping[int, OnCall],
    now: datetime,
    policy: AlertPolicy,
    written_at: datetime,
) -> int:
    """Claim and write the steps still due on alerts still open; how many alerts' steps ran."""
    still = _lock_still_open(session, list(due))
    wanted = [d for d in due if d.alert.id in still]
    if not wanted:
        return 0
    rows = [
        {
            "alert_id": d.alert.id,
            "round": d.alert.escalation_round,
            "step": d.number,
            "action": str(d.step.action),
            "severity": d.severity,
            "target": d.step.target,
            "rung": d.key,
            "skipped": d.skipped,
            "user": reached(d, on_duty[d.rotation.id])[0],
            "due_at": d.due,
            "ran_at": now,
        }
        for d in wanted
    ]
    table = EscalationStep.__table__
    inserted = insert_many(
        session,
        table,
        rows,
        returning=[table.c.id, table.c.alert_id, table.c.round, table.c.rung],
        skip_existing=True,
    )
    ids = {(r.alert_id, r.round, r.rung): r.id for r in inserted}
    claimed = [(d, row) for d, row in zip(wanted, rows, strict=True) if _key(row) in ids]
    ran = [(d, row) for d, row in claimed if not d.skipped]
    if not ran:
        return 0
    row_of = {id(d): row for d, row in ran}
    groups = grouped([d for d, _ in ran])
    notices = [group_notice(group, on_duty, now) for group in groups]
    channels = _channels(session, [group[0].alert for group in groups], policy)
    payloads = [n.to_payload() for n in notices]
    _say_in_channels_languages(session, groups, payloads, channels)
    insert_many(
        session,
        OutboxMessage.__table__,
        [
            {
                "alert_id": group[0].alert.id,
                "kind": ESCALATION_KIND,
                "channel": channels[group[0].alert.id],
                "payload": payload,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": written_at,
                "permanent": False,
                "created_at": written_at,
                "token": new_token(),
            }
            for group, payload in zip(groups, payloads, strict=True)
        ],
    )
    entries = []
    for group, payload in zip(groups, payloads, strict=True):
        for d in group:
            row = row_of[id(d)]
            entries.append(_audit_entry(ids[_key(row)], row, payload["text"], now))
    insert_many(session, AuditRecord.__table__, entries)
    return len(ran)


def _say_in_channels_languages(
    session: Session,
    groups: list[list[DueStep]],
    payloads: list[dict[str, Any]],
    channels: Mapping[int, str | None],
) -> None:
    """Each step's line is in its channel's language (bot.languages: the facility's, else the
    channel's, else the workspace's); a DM is in its person's, looked up when it is sent."""
    languages = channel_languages(session)
    for group, payload in zip(groups, payloads, strict=True):
        lead = group[0].alert
        payload["language"] = (
            getattr(lead, "facility_language", None)
            or languages.get(channels[lead.id] or "")
            or i18n.default()
        )


def _key(row: dict[str, Any]) -> tuple[int, int, str]:
    return row["alert_id"], row["round"], row["rung"]


def _lock_still_open(session: Session, due: list[DueStep]) -> set[int]:
    """Lock the alerts of these steps (see the module's point 1); those still as they were read."""
    read = {d.alert.id: (d.alert.escalation_round, d.alert.escalation_from) for d in due}
    query = (
        select(
            Alert.id,
            Alert.state,
            Alert.snoozed_until,
            Alert.escalation_round,
            Alert.escalation_from,
        )
        .where(among(session, Alert.id, sorted(read)))
        .order_by(Alert.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True, skip_locked=True)
    return {
        row.id
        for row in session.execute(query)
        if row.state == AlertState.OPEN
        and row.snoozed_until is None
        and (row.escalation_round, row.escalation_from) == read[row.id]
    }


def _channels(session: Session, alerts: list[Row[Any]], policy: AlertPolicy) -> dict[int, Any]:
    """Where each alert's notices go: its facility's channel, else the default channel, else
    where it was last posted (as `bot.alerts.notifier.Notifier.channel` decides)."""
    found: dict[int, str | None] = {a.id: a.alert_channel or policy.default_channel for a in alerts}
    unknown = sorted(a.id for a in alerts if found[a.id] is None and a.last_notified_at)
    if unknown:
        latest = (
            select(func.max(OutboxMessage.id))
            .where(among(session, OutboxMessage.alert_id, unknown))
            .group_by(OutboxMessage.alert_id)
        )
        rows = session.execute(
            select(OutboxMessage.alert_id, OutboxMessage.channel).where(
                OutboxMessage.id.in_(latest)
            )
        )
        found.update({row.alert_id: row.channel for row in rows})
    return found


def _audit_entry(step_id: int, row: dict[str, Any], text: str, now: datetime) -> dict[str, Any]:
    """The `alert.escalate` record: the step's row as `audit.snapshot` shows it, and its text."""
    after = {
        "id": step_id,
        **row,
        "due_at": row["due_at"].isoformat(),
        "ran_at": row["ran_at"].isoformat(),
        "text": text,
    }
    return {
        "at": now,
        "actor": audit.SYSTEM.name,
        "source": audit.SYSTEM.source,
        "action": "alert.escalate",
        "entity": EscalationStep.__tablename__,
        "entity_id": str(step_id),
        "before": None,
        "after": after,
    }
