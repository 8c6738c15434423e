"""The alert lifecycle: findings become alerts people work, and each change is told once.

An alert is `open`, `acknowledged` or `resolved`; a snooze (`snoozed_until`) and a silence
quiet it without changing its state. Every transition writes an audit record, and every
transition that should be told writes an outbox row, both in the caller's transaction, so the
change and its notification commit together or not at all.

Decisions, written down because people will ask:

- **Two sorts of notification.** *Attention* (a new alert, a severity rise, a reminder, a grouped
  storm) is withheld while the alert is snoozed or silenced. *Bookkeeping* (acknowledged,
  snoozed, resolved: the posted message updated in place) is always written, except that a
  resolution of an alert that was never posted (it came and went under a silence) tells nobody.
- **Reminders** (`alert.reminder`) are written when an acknowledgement expires, a snooze ends or
  a silence ends while the alert still fires; one row per alert per run, listing the reasons.
  An acknowledged alert gets no reminder when a silence ends: someone owns it, and its
  acknowledgement expiring will remind them. Escalation (issue 4) is left alone: an
  acknowledgement does not reset `escalation_level`.
- **Re-detection** refreshes the alert's facts, summary, severity and `last_seen_at` with plain
  column updates: they never touch the state columns, so they commute with a concurrent
  acknowledgement and need no version check. It is audited only when something a person reads
  changed (facts, summary, severity), not on every run. The usual re-detection changes nothing
  but `last_seen_at`; those are one UPDATE for the whole run, which skips an alert resolved
  meanwhile.
- **Many new alerts at once** (a platform outage opens thousands) are written with one INSERT
  for the alerts and one for their audit records, not object by object; each row goes in with
  its final values (see :func:`_open_many`).
- **A manual resolve is not a mute.** If the check still finds the problem on the next run, a
  NEW alert opens for the same fingerprint and is posted again. Snooze or silence to quiet a
  known condition; resolve when it is dealt with.
- **Races** are settled by a conditional UPDATE on (id, version); the loser reads the alert again
  and decides from what it finds (see :func:`_transition`). A double acknowledgement leaves the
  first owner and one notification; an acknowledgement that loses to an auto-resolve is refused
  ("already resolved"); an auto-resolve that loses to an acknowledgement resolves the
  acknowledged alert (acknowledged, then resolved).
- **Storms** are counted per check *and destination channel*: more than `storm_threshold` new
  alerts of one check bound for one channel become one `alert.group` row. With one channel
  (the usual case) that is exactly "per check"; with several, each channel gets one grouped
  message about its own facilities. Resolutions in one run are grouped the same way, and an
  alert among them with a message of its own (someone acted on it) gets that message updated
  too, so none is left looking live.
- **Admin alerts** (`delivery_failed`, from the delivery worker's dead letters) are not
  resolved by a run of the checks (no check reports them) and silences do not apply to them.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import ADMIN_CHECKS, Check
from bot.alerts.findings import Finding, Severity
from bot.alerts.outbox import PENDING, SENDING, enqueue
from bot.alerts.silences import (
    active_silences,
    add_silence,
    covers,
    end_of,
    remove_silence,
    silences_ended_between,
)
from bot.clock import require_aware
from bot.db import among, insert_many
from bot.errors import InputError, NotFoundError
from bot.models import Alert, Facility, OutboxMessage, Silence
from bot.typed import fold_width, free_text

__all__ = [
    "AlertPolicy",
    "RunSummary",
    "acknowledge",
    "active_silences",
    "add_silence",
    "alert_payload",
    "apply_findings",
    "get_alert",
    "list_alerts",
    "open_admin_alert",
    "parse_duration",
    "remove_silence",
    "resolve",
    "resolve_admin_alert",
    "snooze",
]

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"

OPENED_KIND = "alert.opened"
UPDATED_KIND = "alert.updated"
RESOLVED_KIND = "alert.resolved"
REMINDER_KIND = "alert.reminder"
GROUP_KIND = "alert.group"

# Admin alerts: about loanwatch itself, not about a facility. No run of the checks reports
# them, so a run never resolves them; whoever raised one resolves it (`resolve_admin_alert`) when
# its condition clears, or a person does by hand.
DELIVERY_FAILED = Check.DELIVERY_FAILED
DELIVERY_DEGRADED = Check.DELIVERY_DEGRADED
CHECK_FAILED = Check.CHECK_FAILED

SEVERITY_RANK = {Severity.WARNING.value: 0, Severity.CRITICAL.value: 1}
LIST_STATES = ("open", "acknowledged", "resolved", "all")

# A snooze longer than this is a mute by another name: resolve the alert or add a silence.
MAX_SNOOZE = timedelta(days=30)
# Durations people type: longer than a year is a typo, not a plan.
MAX_DURATION = timedelta(days=366)
# A conditional update that keeps losing means something rewrites the alert in a loop.
MAX_ATTEMPTS = 10

# ASCII digits (full-width ones are folded first): \d would take every script's digits.
DURATION = re.compile(r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?", re.IGNORECASE)

REMINDER_WORDS = {
    "ack_expired": "the acknowledgement expired",
    "snooze_ended": "the snooze ended",
    "silence_ended": "the silence ended",
    "severity_raised": "severity raised",
}


@dataclass(frozen=True)
class AlertPolicy:
    """How alerts behave; built from settings by the CLI and the scheduler."""

    ack_expiry: timedelta = timedelta(hours=24)
    # More than this many NEW alerts of one check for one channel in one run → one grouped message.
    storm_threshold: int = 5
    # Where alerts of facilities without their own channel (and admin alerts) go.
    default_channel: str | None = None


_NO_VALUES: dict[str, Any] = dict.fromkeys(Alert.__table__.columns.keys())


class AlertValues(SimpleNamespace):
    """An alert's columns as plain attributes (None where not given): what payloads read.

    Stands in for an `Alert` in the payloads about alerts opened in bulk: building thousands
    of ORM objects that never join the session would cost more than writing the rows did.
    """

    def __init__(self, **values: Any) -> None:
        super().__init__(**(_NO_VALUES | values))


# What notifications are built from: an alert in the session, or one opened in bulk.
AlertLike = Alert | AlertValues

# The columns a run of the checks decides from: which alerts are found again, cleared, or
# need no more than `last_seen_at` moved (see _only_seen_again).
DECIDED_FROM = (
    Alert.id,
    Alert.fingerprint,
    Alert.check,
    Alert.facility_id,
    Alert.state,
    Alert.severity,
    Alert.summary,
    Alert.facts,
    Alert.last_seen_at,
    Alert.ack_expires_at,
    Alert.snoozed_until,
)
# An alert as the rules read it: the ORM object, or a row of those columns.
AlertRead = Alert | Row[Any]


class FacilityLabel(Protocol):
    """What a notification shows of a facility: a `Facility`, or a row of these columns."""

    @property
    def slug(self) -> str: ...

    @property
    def alert_channel(self) -> str | None: ...

    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True)
class RunSummary:
    """What one run did to the alerts."""

    opened: int = 0
    # Alerts found again (re-detected) this run.
    updated: int = 0
    resolved: int = 0
    reminded: int = 0
    # Outbox rows written.
    notified: int = 0
    # Notifications withheld because a silence covered the alert.
    silenced: int = 0
    # Alerts told about inside an `alert.group` row instead of one row each.
    grouped: int = 0


# --- one run of the checks -----------------------------------------------------------------------


def apply_findings(
    session: Session,
    findings: list[Finding],
    *,
    now: datetime,
    policy: AlertPolicy,
    checks_run: set[str] | None = None,
    written_at: datetime | None = None,
) -> RunSummary:
    """Turn one run's findings into alert changes and the notifications they call for.

    `now` is the moment the run evaluates the alerts as of; `written_at` (default `now`) is the
    real time the notifications are written at, from which they are due. They differ for
    `loanwatch check --at`: a run as of last week still notifies now, not a week late (its
    rows would be overdue at once, and their claims already expired), and a run as of next
    month does not hold its notifications back until then.

    1. A finding whose fingerprint has an alert that is not resolved updates it; an expired
       acknowledgement or an ended snooze is ended, and a reminder is written for those and for
       a silence that ended, unless the alert is quiet (snoozed or silenced) now.
    2. A new fingerprint opens an alert; told one by one, or grouped when there is a storm.
       A silenced one is opened and recorded but not told.
    3. An alert of a check that ran (`checks_run`; by default every check) whose fingerprint was
       not found resolves by itself, and its posted message is updated.
    """
    require_aware(now, "now")
    if written_at is not None:
        require_aware(written_at, "written_at")
    current = _by_fingerprint(findings)
    # Read as plain rows: most alerts found again need only `last_seen_at` moved, less work
    # than building an ORM object for each.
    unresolved = {
        row.fingerprint: row
        for row in session.execute(
            select(*DECIDED_FROM).where(Alert.state != RESOLVED).order_by(Alert.id)
        )
    }
    silences = active_silences(session, now)

    seen_again = [(unresolved[fp], f) for fp, f in current.items() if fp in unresolved]
    ended: list[Silence] = []
    if seen_again:
        earliest = min(row.last_seen_at for row, _ in seen_again)
        ended = silences_ended_between(session, earliest, now)
    only_seen: list[int] = []
    to_redetect: list[tuple[int, Finding]] = []
    for row, finding in seen_again:
        if _only_seen_again(row, finding, ended, now):
            only_seen.append(row.id)
        else:
            to_redetect.append((row.id, finding))
    new = [f for fp, f in current.items() if fp not in unresolved]
    scope = (
        checks_run
        if checks_run is not None
        else {row.check for row in unresolved.values()} - ADMIN_CHECKS
    )
    cleared = [row.id for fp, row in unresolved.items() if fp not in current and row.check in scope]

    # The alerts that change one by one (transitions, new facts, resolution) as ORM objects.
    alerts = _alerts(session, [alert_id for alert_id, _ in to_redetect] + cleared)
    # Only alerts that may be told need their facility's channel and names.
    facility_ids = {a.facility_id for a in alerts.values()} | {f.facility_id for f in new}
    teller = _Teller(
        session, now, policy, _facilities(session, facility_ids), written_at=written_at
    )

    _mark_seen(session, only_seen, now)
    for alert_id, finding in to_redetect:
        _redetect(teller, alerts[alert_id], finding, silences, ended)
    teller.tally["updated"] += len(seen_again)

    _open_many(teller, new, silences)

    to_tell: list[Alert] = []
    for alert in (alerts[alert_id] for alert_id in cleared):
        if _auto_resolve(session, alert, now):
            teller.tally["resolved"] += 1
            # Only a posted message needs saying so; one opened and cleared under a silence
            # was never shown to anyone.
            if alert.last_notified_at is not None:
                to_tell.append(alert)
    teller.tell_in_groups(to_tell, RESOLVED_KIND, event="auto_resolved")
    return RunSummary(**teller.tally)


def _by_fingerprint(findings: Iterable[Finding]) -> dict[str, Finding]:
    """One finding per fingerprint, the most severe when a check reported one twice."""
    chosen: dict[str, Finding] = {}
    for finding in findings:
        held = chosen.get(finding.fingerprint)
        if held is None or _rank(finding.severity) > _rank(held.severity):
            chosen[finding.fingerprint] = finding
    return chosen


def _open(session: Session, finding: Finding, now: datetime) -> Alert:
    alert = Alert(**_opening_values(finding, now))
    session.add(alert)
    return alert


def _opening_values(finding: Finding, now: datetime) -> dict[str, Any]:
    """The columns of a new alert for `finding`; the others start empty."""
    return {
        "fingerprint": finding.fingerprint,
        "check": finding.check,
        "facility_id": finding.facility_id,
        "subject": finding.subject,
        "severity": str(finding.severity),
        "state": OPEN,
        "summary": finding.summary,
        "facts": dict(finding.facts),
        "opened_at": now,
        "last_seen_at": now,
        "escalation_level": 0,
        "version": 1,
    }


def _open_many(teller: "_Teller", findings: list[Finding], silences: list[Silence]) -> None:
    """Open an alert for each new finding, with its audit record, and tell them as usual.

    A run can open thousands (a platform outage), so this does in a few statements what the
    ORM would do object by object, with the same rows as a result:
    1. Decide first who is told (every alert not silenced; in a storm, inside one grouped
       message), so each alert goes in with its final `last_notified_at`: no UPDATE after.
    2. One INSERT for the alerts (`bot.db.insert_many`), their ids back.
    3. One INSERT for their audit records: the alert as it opened, before anyone was told,
       which is what `audit.record` wrote one by one.
    4. The outbox rows, one per alert or one per storm (:meth:`_Teller.tell_in_groups`).
    """
    if not findings:
        return
    session, now = teller.session, teller.now
    # What this run changed so far goes in first, so rows keep the order things happened in.
    session.flush()
    rows = [
        _opening_values(f, now) | {"last_notified_at": None if _silenced(f, silences) else now}
        for f in findings
    ]
    inserted = insert_many(session, Alert.__table__, rows, returning=(Alert.id, Alert.fingerprint))
    ids = {fingerprint: alert_id for alert_id, fingerprint in inserted}
    for row in rows:
        row["id"] = ids[row["fingerprint"]]
    rows.sort(key=lambda row: row["id"])  # the order `list_alerts` shows them in
    as_opened = [row | {"last_notified_at": None} for row in rows]
    audit.record_inserted(session, audit.SYSTEM, "alert.open", Alert, as_opened, at=now)

    to_tell: list[AlertLike] = []
    for row, values in zip(rows, as_opened, strict=True):
        if row["last_notified_at"] is None:
            teller.tally["silenced"] += 1
        else:
            to_tell.append(AlertValues(**values))
    teller.tally["opened"] += len(rows)
    teller.tell_in_groups(to_tell, OPENED_KIND, event="opened")


def _only_seen_again(
    alert: AlertRead, finding: Finding, ended: list[Silence], now: datetime
) -> bool:
    """True if re-detecting would change only `last_seen_at` and tell nobody (the usual case).

    Nothing ran out (acknowledgement, snooze), the finding reads the same (severity, summary,
    facts), and no silence over the alert ended since it was last seen: :func:`_redetect`
    would do nothing else.
    """
    return (
        _ack_expiry(alert, now) is None
        and _snooze_end(alert, now) is None
        and (alert.severity, alert.summary, alert.facts)
        == (str(finding.severity), finding.summary, dict(finding.facts))
        and not _silence_ended(alert, ended, alert.last_seen_at, now)
    )


def _mark_seen(session: Session, alert_ids: list[int], now: datetime) -> None:
    """`last_seen_at = now` for alerts found again unchanged: one UPDATE for the whole run.

    Like every re-detection it sets that column only, so it commutes with a concurrent
    acknowledgement; an alert resolved since it was read is left as it is. Those of the alerts
    the session holds are brought up to date with the rows actually changed.
    """
    if not alert_ids:
        return
    session.execute(
        update(Alert)
        .where(among(session, Alert.id, alert_ids), Alert.state != RESOLVED)
        .values(last_seen_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _redetect(
    teller: "_Teller",
    alert: Alert,
    finding: Finding,
    silences: list[Silence],
    ended: list[Silence],
) -> None:
    """A finding seen again: end what has run out, refresh the facts, remind if due."""
    session, now = teller.session, teller.now
    previously_seen = alert.last_seen_at
    reasons, extra = _end_what_ran_out(session, alert, now)
    if alert.state == RESOLVED:
        # Resolved by hand while this run was under way (a transition above re-read it): leave
        # it be; if the check still finds the problem, the next run opens a new alert.
        return

    before = audit.snapshot(alert)
    raised = _rank(finding.severity) > _rank(alert.severity)
    changed = (alert.severity, alert.summary, alert.facts) != (
        str(finding.severity),
        finding.summary,
        dict(finding.facts),
    )
    alert.last_seen_at = now
    if changed:
        alert.severity = str(finding.severity)
        alert.summary = finding.summary
        alert.facts = dict(finding.facts)
        # The alert has its id already; its change and the record go in with the next flush.
        audit.record(
            session, audit.SYSTEM, "alert.update", alert, at=now, before=before, flush=False
        )
    if raised:
        reasons.append("severity_raised")
        extra["previous_severity"] = before["severity"]

    silenced = _silenced(alert, silences)
    if alert.state == OPEN and not silenced and _silence_ended(alert, ended, previously_seen, now):
        reasons.append("silence_ended")
    if not reasons:
        return
    if silenced:
        teller.tally["silenced"] += 1
        return
    if alert.snoozed_until is not None and alert.snoozed_until > now:
        return
    if reasons == ["severity_raised"]:
        teller.tell(alert, UPDATED_KIND, event="severity_raised", **extra)
    else:
        teller.tally["reminded"] += 1
        teller.tell(alert, REMINDER_KIND, event="reminder", reasons=reasons, **extra)


def _end_what_ran_out(
    session: Session, alert: Alert, now: datetime
) -> tuple[list[str], dict[str, Any]]:
    """End an acknowledgement or a snooze whose time has come; the reasons to remind, and facts."""
    reasons: list[str] = []
    extra: dict[str, Any] = {}
    before = _transition(session, alert, lambda a: _ack_expiry(a, now))
    if before is not None:
        audit.record(session, audit.SYSTEM, "alert.ack_expire", alert, at=now, before=before)
        reasons.append("ack_expired")
        extra["previously_acknowledged_by"] = before["acknowledged_by"]
    before = _transition(session, alert, lambda a: _snooze_end(a, now))
    if before is not None:
        audit.record(session, audit.SYSTEM, "alert.snooze_end", alert, at=now, before=before)
        reasons.append("snooze_ended")
    return reasons, extra


def wake_up(session: Session, *, now: datetime, policy: AlertPolicy) -> RunSummary:
    """Between check runs: expire acknowledgements and end snoozes whose time has come.

    The alert is unresolved, so as far as anyone knows its condition still holds (the last check
    run found it); the reminder goes out now rather than at the next run. The next run then
    finds nothing left to expire and does not remind twice.
    """
    require_aware(now, "now")
    due = list(
        session.scalars(
            select(Alert)
            .where(
                Alert.state != RESOLVED,
                or_(
                    and_(Alert.state == ACKNOWLEDGED, Alert.ack_expires_at <= now),
                    Alert.snoozed_until <= now,
                ),
            )
            .order_by(Alert.id)
        )
    )
    teller = _Teller(session, now, policy, _facilities(session, {a.facility_id for a in due}))
    silences = active_silences(session, now) if due else []
    for alert in due:
        reasons, extra = _end_what_ran_out(session, alert, now)
        if not reasons or alert.state == RESOLVED:
            continue
        if _silenced(alert, silences):
            teller.tally["silenced"] += 1
            continue
        if alert.snoozed_until is not None and alert.snoozed_until > now:
            continue
        teller.tally["reminded"] += 1
        teller.tell(alert, REMINDER_KIND, event="reminder", reasons=reasons, **extra)
    return RunSummary(**teller.tally)


def _ack_expiry(alert: AlertRead, now: datetime) -> dict[str, Any] | None:
    """Back to open when an acknowledgement has run out and the alert still fires."""
    if alert.state != ACKNOWLEDGED or alert.ack_expires_at is None or alert.ack_expires_at > now:
        return None
    return {"state": OPEN, "acknowledged_by": None, "acknowledged_at": None, "ack_expires_at": None}


def _snooze_end(alert: AlertRead, now: datetime) -> dict[str, Any] | None:
    """The snooze is over once its time has come."""
    if alert.state == RESOLVED or alert.snoozed_until is None or alert.snoozed_until > now:
        return None
    return {"snoozed_until": None}


def _auto_resolve(session: Session, alert: Alert, now: datetime) -> bool:
    """Resolve an alert whose condition cleared; False if someone resolved it first."""

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == RESOLVED:
            return None
        return {
            "state": RESOLVED,
            "resolved_at": now,
            "resolved_by": audit.SYSTEM.name,
            "resolve_reason": "the condition cleared",
            "snoozed_until": None,
        }

    before = _transition(session, alert, decide)
    if before is None:
        return False
    audit.record(session, audit.SYSTEM, "alert.auto_resolve", alert, at=now, before=before)
    return True


def _silenced(alert: Alert | Finding, silences: list[Silence]) -> bool:
    if alert.check in ADMIN_CHECKS:
        return False
    return any(covers(s, check=alert.check, facility_id=alert.facility_id) for s in silences)


def _silence_ended(
    alert: AlertRead, ended: list[Silence], previously_seen: datetime, now: datetime
) -> bool:
    """A silence that held the alert at the previous run it was seen in has ended since."""
    return any(
        covers(s, check=alert.check, facility_id=alert.facility_id)
        and s.starts_at <= previously_seen < end_of(s) <= now
        for s in ended
    )


# --- what people do ------------------------------------------------------------------------------


def get_alert(session: Session, alert_id: int) -> Alert:
    """The alert with this id, or a NotFoundError that says where to look."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError(
            f"no alert with id {alert_id}; `loanwatch alert list` shows the open ones"
        )
    return alert


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
        if a.state == RESOLVED:
            raise InputError(_already_resolved(a))
        if a.state == ACKNOWLEDGED and a.ack_expires_at is not None and a.ack_expires_at > now:
            return None
        return {
            "state": ACKNOWLEDGED,
            "acknowledged_by": actor.name,
            "acknowledged_at": now,
            "ack_expires_at": now + policy.ack_expiry,
        }

    before = _transition(session, alert, decide)
    if before is not None:
        audit.record(session, actor, "alert.acknowledge", alert, at=now, before=before)
        _Teller.for_alert(session, alert, now, policy).tell(
            alert, UPDATED_KIND, event="acknowledged", actor=actor
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
        raise InputError("snooze until a time in the future, e.g. `loanwatch alert snooze 12 4h`")
    if until - now > MAX_SNOOZE:
        raise InputError(
            f"a snooze can last at most {MAX_SNOOZE.days} days; "
            "resolve the alert or add a silence instead"
        )
    alert = get_alert(session, alert_id)

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == RESOLVED:
            raise InputError(_already_resolved(a))
        return {"snoozed_until": until}

    before = _transition(session, alert, decide)
    assert before is not None  # decide never declines
    audit.record(session, actor, "alert.snooze", alert, at=now, before=before)
    _Teller.for_alert(session, alert, now, policy).tell(
        alert, UPDATED_KIND, event="snoozed", actor=actor
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
            "say why the alert is resolved, e.g. --reason 'bill appeared, platform confirmed'"
        )
    alert = get_alert(session, alert_id)

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == RESOLVED:
            raise InputError(_already_resolved(a))
        return {
            "state": RESOLVED,
            "resolved_at": now,
            "resolved_by": actor.name,
            "resolve_reason": reason,
            "snoozed_until": None,
        }

    before = _transition(session, alert, decide)
    assert before is not None  # decide never declines
    audit.record(session, actor, "alert.resolve", alert, at=now, before=before)
    if alert.last_notified_at is not None:
        _Teller.for_alert(session, alert, now, policy).tell(
            alert, RESOLVED_KIND, event="resolved", actor=actor
        )
    return alert


def list_alerts(session: Session, state: str = "open") -> list[Alert]:
    """Alerts in id order, filtered by state.

    `open` means not resolved: open or acknowledged, snoozed or not (what still needs someone).
    `acknowledged` and `resolved` are those states only; `all` is every alert.
    """
    query = select(Alert).order_by(Alert.id)
    if state == "open":
        query = query.where(Alert.state != RESOLVED)
    elif state in (ACKNOWLEDGED, RESOLVED):
        query = query.where(Alert.state == state)
    elif state != "all":
        raise InputError(f"unknown alert state {state!r}; use one of: {', '.join(LIST_STATES)}")
    return list(session.scalars(query))


def open_admin_alert(
    session: Session,
    *,
    fingerprint: str,
    summary: str,
    facts: dict[str, str],
    now: datetime,
    policy: AlertPolicy | None = None,
    check: str = DELIVERY_FAILED,
    written_at: datetime | None = None,
) -> Alert:
    """Tell the admins that something in loanwatch itself failed (a dead letter, a check).

    A critical alert of `check` (one of ADMIN_CHECKS) on no facility, posted to
    `policy.default_channel` (with no policy, the outbox row's channel is None: the transport's
    own default). The same fingerprint again while the alert is not resolved updates it and
    tells nobody again, so a condition that lasts many cycles is one alert, not one per cycle.
    """
    require_aware(now, "now")
    if check not in ADMIN_CHECKS:
        raise ValueError(f"{check!r} is not an admin check; those are {sorted(ADMIN_CHECKS)}")
    alert = _unresolved_by_fingerprint(session, fingerprint)
    if alert is not None:
        if (alert.summary, alert.facts) != (summary, dict(facts)):
            before = audit.snapshot(alert)
            alert.summary, alert.facts = summary, dict(facts)
            alert.last_seen_at = now
            audit.record(session, audit.SYSTEM, "alert.update", alert, at=now, before=before)
        else:
            alert.last_seen_at = now
        return alert
    finding = Finding(
        check=check,
        facility_id=None,
        subject=fingerprint.split(":", 2)[-1][:100],
        severity=Severity.CRITICAL,
        summary=summary,
        facts=facts,
    )
    alert = _open(session, finding, now)
    # The caller's fingerprint is the identity, even when it is not `check:facility:subject`.
    alert.fingerprint = fingerprint
    audit.record(session, audit.SYSTEM, "alert.open", alert, at=now)
    teller = _Teller(session, now, policy or AlertPolicy(), {}, written_at=written_at)
    teller.tell(alert, OPENED_KIND, event="opened")
    return alert


def resolve_admin_alert(
    session: Session,
    *,
    fingerprint: str,
    reason: str,
    now: datetime,
    policy: AlertPolicy | None = None,
    written_at: datetime | None = None,
) -> Alert | None:
    """Resolve the unresolved admin alert with this fingerprint: its condition cleared.

    Returns the alert, or None when there was none to resolve (the usual case: nothing was
    wrong). Its message, if it was posted, says so, like any auto-resolved alert.
    """
    require_aware(now, "now")
    alert = _unresolved_by_fingerprint(session, fingerprint)
    if alert is None:
        return None

    def decide(a: Alert) -> dict[str, Any] | None:
        if a.state == RESOLVED:
            return None
        return {
            "state": RESOLVED,
            "resolved_at": now,
            "resolved_by": audit.SYSTEM.name,
            "resolve_reason": reason,
            "snoozed_until": None,
        }

    before = _transition(session, alert, decide)
    if before is None:
        return None
    audit.record(session, audit.SYSTEM, "alert.auto_resolve", alert, at=now, before=before)
    if alert.last_notified_at is not None:
        _Teller(session, now, policy or AlertPolicy(), {}, written_at=written_at).tell(
            alert, RESOLVED_KIND, event="auto_resolved"
        )
    return alert


def _unresolved_by_fingerprint(session: Session, fingerprint: str) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.fingerprint == fingerprint, Alert.state != RESOLVED)
    )


def parse_duration(text: str) -> timedelta:
    """`30m`, `4h`, `2d`, or combined largest unit first (`1h30m`, `2d 4h`)."""
    match = DURATION.fullmatch(fold_width(text).strip())
    if match is None or not any(match.groups()):
        raise InputError(
            f"{text!r} is not a duration; write a number and a unit: "
            "30m (minutes), 4h (hours), 2d (days), or combined like 1h30m"
        )
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    longest = MAX_DURATION.days
    if days > longest or hours > longest * 24 or minutes > longest * 24 * 60:
        raise InputError(f"{text!r} is too long; a duration can be at most {longest} days")
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise InputError(f"{text!r} is no time at all; give a duration longer than zero")
    if duration > MAX_DURATION:
        raise InputError(f"{text!r} is too long; a duration can be at most {longest} days")
    return duration


# --- the conditional update ----------------------------------------------------------------------

Decide = Callable[[Alert], dict[str, Any] | None]


def _transition(session: Session, alert: Alert, decide: Decide) -> dict[str, Any] | None:
    """Change the alert only if nobody changed it since it was read; the loser re-reads.

    1. `decide` looks at the alert as read and returns the columns to set (None: nothing to do;
       it may raise InputError, e.g. for an alert that is resolved).
    2. `UPDATE alerts SET …, version = version + 1 WHERE id = :id AND version = :version`.
    3. One row: done; the alert is read back and its snapshot from before is returned.
    4. No row: someone else changed it first. Read it again and go back to 1 with what they
       left, so a double click becomes one acknowledgement and an acknowledgement that lost to
       an auto-resolve is refused instead of reopening a resolved alert.
    """
    for _ in range(MAX_ATTEMPTS):
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


def _already_resolved(alert: Alert) -> str:
    when = f"{alert.resolved_at:%Y-%m-%d %H:%M} UTC" if alert.resolved_at else "earlier"
    why = f" ({alert.resolve_reason})" if alert.resolve_reason else ""
    return f"alert {alert.id} was already resolved by {alert.resolved_by} at {when}{why}"


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(str(severity), 0)


def _alerts(session: Session, ids: list[int]) -> dict[int, Alert]:
    """These alerts as ORM objects, by id."""
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Alert).where(among(session, Alert.id, ids)))}


def _facilities(session: Session, ids: set[int | None]) -> dict[int, FacilityLabel]:
    """What notifications show of these facilities: names, channel and time zone only."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    labels = select(Facility.id, Facility.slug, Facility.alert_channel, Facility.timezone)
    rows = session.execute(labels.where(among(session, Facility.id, wanted)))
    return {row.id: row for row in rows}


# --- telling: outbox rows ------------------------------------------------------------------------


class _Teller:
    """Writes outbox rows for alerts, in the caller's transaction, and counts what it did."""

    def __init__(
        self,
        session: Session,
        now: datetime,
        policy: AlertPolicy | None,
        facilities: dict[int, FacilityLabel],
        *,
        written_at: datetime | None = None,
    ) -> None:
        self.session = session
        # What the alerts' own times say (`last_notified_at`): the moment the run is about.
        self.now = now
        # When the outbox rows are written and due: the real time, even for a run `--at`.
        self.written_at = written_at or now
        self.policy = policy
        self.facilities = facilities
        self.tally: Counter[str] = Counter({name: 0 for name in RunSummary.__dataclass_fields__})

    @classmethod
    def for_alert(
        cls, session: Session, alert: Alert, now: datetime, policy: AlertPolicy | None
    ) -> "_Teller":
        facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
        return cls(session, now, policy, {facility.id: facility} if facility else {})

    def channel(self, alert: AlertLike) -> str | None:
        """The facility's channel, else the default, else where the alert was last posted."""
        facility = self.facilities.get(alert.facility_id) if alert.facility_id else None
        if facility is not None and facility.alert_channel:
            return facility.alert_channel
        if self.policy is not None and self.policy.default_channel:
            return self.policy.default_channel
        if alert.last_notified_at is None:
            return None
        return self.session.scalar(
            select(OutboxMessage.channel)
            .where(OutboxMessage.alert_id == alert.id)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )

    def tell(
        self,
        alert: AlertLike,
        kind: str,
        *,
        event: str,
        actor: audit.Actor = audit.SYSTEM,
        **extra: Any,
    ) -> OutboxMessage:
        """One outbox row about one alert."""
        facility = self.facilities.get(alert.facility_id) if alert.facility_id else None
        payload = alert_payload(
            alert,
            facility,
            event=event,
            actor=actor,
            first_notice=alert.last_notified_at is None,
            **extra,
        )
        return self._write(kind, self.channel(alert), payload, alert_id=alert.id, about=[alert])

    def tell_in_groups(self, alerts: Sequence[AlertLike], kind: str, *, event: str) -> None:
        """One row per alert, except where more than storm_threshold share a check and channel.

        A storm is one grouped row; an alert in it that has a message of its own (posted, or on
        its way) also gets its own row, so that message is updated too: otherwise an
        acknowledged alert's message would still look live, buttons and all, after the storm
        it cleared in was told as resolved.
        """
        threshold = (self.policy or AlertPolicy()).storm_threshold
        batches: dict[tuple[str, str | None], list[AlertLike]] = defaultdict(list)
        for alert in alerts:
            batches[(alert.check, self.channel(alert))].append(alert)
        for (check, channel), batch in batches.items():
            if len(batch) <= threshold:
                for alert in batch:
                    self.tell(alert, kind, event=event)
                continue
            # A new alert has no message yet; only later events need to look.
            own = set() if kind == OPENED_KIND else self._with_own_message(batch)
            payload = group_payload(check, event, batch, self.facilities)
            self._write(GROUP_KIND, channel, payload, alert_id=None, about=batch)
            for alert in batch:
                if alert.id in own:
                    self.tell(alert, kind, event=event)
            self.tally["grouped"] += len(batch) - len(own)

    def _with_own_message(self, alerts: Sequence[AlertLike]) -> set[int]:
        """The ids of these alerts that have a message of their own, or a notice on its way.

        The delivery worker keeps an alert's message as its `message_ref` when its first row
        of its own is sent; a row still pending (or being sent) will post one.
        """
        own = {a.id for a in alerts if a.message_ref is not None}
        rest = [a.id for a in alerts if a.id not in own]
        if rest:
            own.update(
                self.session.scalars(
                    select(OutboxMessage.alert_id)
                    .where(
                        among(self.session, OutboxMessage.alert_id, rest),
                        OutboxMessage.state.in_((PENDING, SENDING)),
                    )
                    .distinct()
                )
            )
        return own

    def _write(
        self,
        kind: str,
        channel: str | None,
        payload: dict[str, Any],
        *,
        alert_id: int | None,
        about: Sequence[AlertLike],
    ) -> OutboxMessage:
        message = enqueue(
            self.session,
            kind=kind,
            channel=channel,
            payload=payload,
            now=self.written_at,
            alert_id=alert_id,
            flush=False,  # nobody here needs its id; a run's rows go in together
        )
        for alert in about:
            alert.last_notified_at = self.now
        self.tally["notified"] += 1
        return message


def alert_payload(
    alert: AlertLike,
    facility: FacilityLabel | None,
    *,
    event: str,
    actor: audit.Actor,
    first_notice: bool,
    **extra: Any,
) -> dict[str, Any]:
    """Everything a transport needs to render a message about one alert, without querying.

    `header`, `summary` and `facts` come first (the console transport shows them so); times are
    ISO-8601 in UTC, plus `timezone` (the facility's) for showing them locally. Keys whose value
    is None are left out. `first_notice` is True when nothing about this alert was posted
    before (it opened under a silence), so a transport cannot update a message in place and
    should post the whole alert.
    """
    zone: tzinfo = ZoneInfo(facility.timezone) if facility is not None else UTC
    payload: dict[str, Any] = {
        "header": _header(alert, facility, event, actor, zone, extra),
        "summary": alert.summary,
        "facts": dict(alert.facts),
        "event": event,
        "alert_id": alert.id,
        "fingerprint": alert.fingerprint,
        "check": alert.check,
        "facility": facility.slug if facility is not None else None,
        "subject": alert.subject,
        "severity": alert.severity,
        "state": alert.state,
        "opened_at": _iso(alert.opened_at),
        "last_seen_at": _iso(alert.last_seen_at),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": _iso(alert.acknowledged_at),
        "ack_expires_at": _iso(alert.ack_expires_at),
        "snoozed_until": _iso(alert.snoozed_until),
        "resolved_at": _iso(alert.resolved_at),
        "resolved_by": alert.resolved_by,
        "resolve_reason": alert.resolve_reason,
        "escalation_level": alert.escalation_level,
        "actor": actor.name,
        "first_notice": first_notice,
        "timezone": str(zone),
        **extra,
    }
    return {key: value for key, value in payload.items() if value is not None}


def group_payload(
    check: str, event: str, alerts: Sequence[AlertLike], facilities: dict[int, FacilityLabel]
) -> dict[str, Any]:
    """One message about many alerts of one check (a storm), each still listed by its id."""

    def slug(alert: AlertLike) -> str | None:
        facility = facilities.get(alert.facility_id) if alert.facility_id else None
        return facility.slug if facility is not None else None

    by_facility = Counter(slug(a) or "-" for a in alerts)
    where = ", ".join(f"{name} ({n})" for name, n in sorted(by_facility.items()))
    verb = "new" if event == "opened" else "resolved"
    worst = max((a.severity for a in alerts), key=_rank)
    return {
        "header": f"{len(alerts)} {verb} {check} alerts ({worst} at worst), grouped",
        "summary": (
            f"{len(alerts)} {check} alerts {'opened' if event == 'opened' else 'resolved'} in "
            "one run; each can still be acknowledged, snoozed or resolved by its id"
        ),
        "facts": {
            "Alert ids": ", ".join(str(a.id) for a in alerts),
            "Facilities": where,
        },
        "event": event,
        "check": check,
        "severity": worst,
        "count": len(alerts),
        "alert_ids": [a.id for a in alerts],
        # The rows of the CSV a transport attaches.
        "alerts": [
            {
                "alert_id": a.id,
                "fingerprint": a.fingerprint,
                "facility": slug(a),
                "subject": a.subject,
                "severity": a.severity,
                "state": a.state,
                "summary": a.summary,
            }
            for a in alerts
        ],
    }


def _header(
    alert: AlertLike,
    facility: FacilityLabel | None,
    event: str,
    actor: audit.Actor,
    zone: tzinfo,
    extra: dict[str, Any],
) -> str:
    where = facility.slug if facility is not None else "loanwatch"
    severity = alert.severity.upper() if alert.severity == Severity.CRITICAL else "Warning"
    lead = f"{severity}: {alert.check} on {where} (alert {alert.id})"

    def local(moment: datetime | None) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}" if moment else "?"

    what = {
        "opened": "new",
        "severity_raised": f"now {alert.severity}",
        "acknowledged": (
            f"acknowledged by {alert.acknowledged_by} until {local(alert.ack_expires_at)}"
        ),
        "snoozed": f"snoozed by {actor.name} until {local(alert.snoozed_until)}",
        "resolved": f"resolved by {alert.resolved_by}: {alert.resolve_reason}",
        "auto_resolved": "resolved: the condition has cleared",
        "reminder": "still firing: "
        + "; ".join(REMINDER_WORDS.get(r, r) for r in extra.get("reasons", [])),
    }.get(event, event)
    return f"{lead} — {what}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None
