"""One run of the checks: findings become alerts, alerts whose finding is gone resolve.

Decisions, written down because people will ask:

- **Two sorts of notice.** *Attention* (a new alert, a severity rise, a reminder, a grouped
  storm) is withheld while the alert is snoozed or silenced. *Bookkeeping* (acknowledged,
  snoozed, resolved: the posted message updated in place) is always written, except that a
  resolution of an alert that was never posted (it came and went under a silence) tells nobody.
- **Reminders** are written when an acknowledgement expires, a snooze ends or a silence ends
  while the alert still fires; one row per alert per run, listing the reasons. An acknowledged
  alert gets no reminder when a silence ends: someone owns it, and its acknowledgement expiring
  will remind them. Between runs, :func:`wake_up` does the same for acknowledgements and
  snoozes whose time has come.
- **Re-detection** refreshes the alert's facts, summary, severity and `last_seen_at` with plain
  column updates: they never touch the state columns, so they commute with a concurrent
  acknowledgement and need no version check. It is audited only when something a person reads
  changed (facts, summary, severity), not on every run. The usual re-detection changes nothing
  but `last_seen_at`; those are one UPDATE for the whole run, which skips an alert resolved
  meanwhile.
- **Many new alerts at once** (a platform outage opens thousands) are written with one INSERT
  for the alerts and one for their audit records, not object by object; each row goes in with
  its final values (see :func:`bot.alerts.opening.open_many`).
- **A manual resolve is not a mute.** If the check still finds the problem on the next run, a
  NEW alert opens for the same fingerprint and is posted again. Snooze or silence to quiet a
  known condition; resolve when it is dealt with.
- **Races** are settled by :func:`bot.alerts.transition.transition`: an auto-resolve that loses
  to an acknowledgement resolves the acknowledged alert (acknowledged, then resolved).
- **Storms** are counted per check *and destination channel*
  (:meth:`bot.alerts.notifier.Notifier.tell_in_groups`); resolutions in one run are grouped the
  same way, and an alert among them with a message of its own gets that message updated too.
- **Admin alerts** (`bot.alerts.admin`) are not resolved by a run of the checks (no check
  reports them) and silences do not apply to them.
"""

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import ADMIN_CHECKS
from bot.alerts.findings import Finding, wording_json
from bot.alerts.notices import Event, NoticeKind, Reason
from bot.alerts.notifier import Notifier, facility_labels
from bot.alerts.opening import open_many
from bot.alerts.policy import AlertPolicy, AlertState, RunSummary, rank
from bot.alerts.quiet import (
    AlertAsRead,
    ack_expiry,
    end_what_ran_out,
    silence_ended,
    silenced,
    snooze_end,
)
from bot.alerts.resolve_reasons import CONDITION_CLEARED, reason
from bot.alerts.silences import active_silences, silences_ended_between
from bot.alerts.transition import resolving, transition
from bot.clock import require_aware
from bot.db import among
from bot.models import Alert, Silence

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
    Alert.wording,
    Alert.last_seen_at,
    Alert.ack_expires_at,
    Alert.snoozed_until,
)


def apply_findings(
    session: Session,
    findings: list[Finding],
    *,
    now: datetime,
    policy: AlertPolicy,
    checks_run: set[str] | None = None,
    written_at: datetime | None = None,
    facility_ids: AbstractSet[int] | None = None,
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

    `facility_ids` (a prompt run, jobs/prompt.py): the run checked those facilities only, so
    only their alerts are decided (found again, opened, resolved by absence); every other
    alert, and any finding about another facility, is left alone.
    """
    require_aware(now, "now")
    if written_at is not None:
        require_aware(written_at, "written_at")
    if facility_ids is not None:
        findings = [f for f in findings if f.facility_id in facility_ids]
    current = _by_fingerprint(findings)
    unresolved = _unresolved(session, facility_ids)
    silences = active_silences(session, now)
    plan = _plan(session, current, unresolved, checks_run, now)

    # The alerts that change one by one (transitions, new facts, resolution) as ORM objects.
    alerts = _alerts(session, [alert_id for alert_id, _ in plan.to_redetect] + plan.cleared)
    # Only alerts that may be told need their facility's channel and names.
    facility_ids = {a.facility_id for a in alerts.values()} | {f.facility_id for f in plan.new}
    notifier = Notifier(
        session, now, policy, facility_labels(session, facility_ids), written_at=written_at
    )

    _mark_seen(session, plan.only_seen, now)
    for alert_id, finding in plan.to_redetect:
        _redetect(notifier, alerts[alert_id], finding, silences, plan.ended)
    notifier.tally["updated"] += len(plan.only_seen) + len(plan.to_redetect)
    open_many(notifier, plan.new, silences)
    _resolve_cleared(notifier, [alerts[alert_id] for alert_id in plan.cleared])
    return notifier.summary()


def _unresolved(session: Session, facility_ids: AbstractSet[int] | None) -> dict[str, Row[Any]]:
    """The alerts not resolved (of `facility_ids` only, when given), by fingerprint, as rows of
    the columns a run decides from.

    Plain rows: most alerts found again need only `last_seen_at` moved, less work than
    building an ORM object for each.
    """
    query = select(*DECIDED_FROM).where(Alert.state != AlertState.RESOLVED)
    if facility_ids is not None:
        query = query.where(among(session, Alert.facility_id, sorted(facility_ids)))
    return {row.fingerprint: row for row in session.execute(query.order_by(Alert.id))}


@dataclass(frozen=True)
class _Plan:
    """What one run does to the alerts, decided before anything changes."""

    # Found again with nothing to do but move `last_seen_at` (see _only_seen_again).
    only_seen: list[int]
    # Found again with more to do: new facts, something ran out, a reminder.
    to_redetect: list[tuple[int, Finding]]
    # Findings with no unresolved alert: each opens one.
    new: list[Finding]
    # Alerts of a check that ran whose finding is gone: each resolves by itself.
    cleared: list[int]
    # Silences that ended since the earliest of the found-again alerts was last seen.
    ended: list[Silence]


def _plan(
    session: Session,
    current: dict[str, Finding],
    unresolved: dict[str, Row[Any]],
    checks_run: set[str] | None,
    now: datetime,
) -> _Plan:
    """Sort the findings and the unresolved alerts into what this run does to each."""
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
    return _Plan(only_seen, to_redetect, new, cleared, ended)


def _by_fingerprint(findings: Iterable[Finding]) -> dict[str, Finding]:
    """One finding per fingerprint, the most severe when a check reported one twice."""
    chosen: dict[str, Finding] = {}
    for finding in findings:
        held = chosen.get(finding.fingerprint)
        if held is None or rank(finding.severity) > rank(held.severity):
            chosen[finding.fingerprint] = finding
    return chosen


def _only_seen_again(
    alert: AlertAsRead, finding: Finding, ended: list[Silence], now: datetime
) -> bool:
    """True if re-detecting would change only `last_seen_at` and tell nobody (the usual case).

    Nothing ran out (acknowledgement, snooze), the finding reads the same (severity, summary,
    facts), and no silence over the alert ended since it was last seen: :func:`_redetect`
    would do nothing else.
    """
    return (
        ack_expiry(alert, now) is None
        and snooze_end(alert, now) is None
        and (alert.severity, alert.summary, alert.facts, alert.wording)
        == (
            str(finding.severity),
            finding.summary,
            dict(finding.facts),
            _worded(alert, finding, now),
        )
        and not silence_ended(alert, ended, alert.last_seen_at, now)
    )


def _worded(alert: AlertAsRead, finding: Finding, now: datetime) -> dict[str, Any] | None:
    """The wording to keep for `finding` found again: worded in the year the alert's wording
    was (so a new year alone changes nothing), else this one."""
    kept = alert.wording if isinstance(alert.wording, dict) else {}
    year = kept.get("year")
    return wording_json(finding, year if isinstance(year, int) else now.year)


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
        .where(among(session, Alert.id, alert_ids), Alert.state != AlertState.RESOLVED)
        .values(last_seen_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _redetect(
    notifier: Notifier,
    alert: Alert,
    finding: Finding,
    silences: list[Silence],
    ended: list[Silence],
) -> None:
    """A finding seen again: end what has run out, refresh the facts, remind if due."""
    session, now = notifier.session, notifier.now
    previously_seen = alert.last_seen_at
    reasons, extra = end_what_ran_out(session, alert, now)
    if alert.state == AlertState.RESOLVED:
        # Resolved by hand while this run was under way (a transition above re-read it): leave
        # it be; if the check still finds the problem, the next run opens a new alert.
        return

    before = audit.snapshot(alert)
    raised = rank(finding.severity) > rank(alert.severity)
    wording = _worded(alert, finding, now)
    changed = (alert.severity, alert.summary, alert.facts, alert.wording) != (
        str(finding.severity),
        finding.summary,
        dict(finding.facts),
        wording,
    )
    alert.last_seen_at = now
    if changed:
        alert.severity = str(finding.severity)
        alert.summary = finding.summary
        alert.facts = dict(finding.facts)
        alert.wording = wording
        # The alert has its id already; its change and the record go in with the next flush.
        audit.record(
            session, audit.SYSTEM, "alert.update", alert, at=now, before=before, flush=False
        )
    if raised:
        reasons.append(Reason.SEVERITY_RAISED)
        extra["previous_severity"] = before["severity"]

    quiet = silenced(alert, silences)
    if (
        alert.state == AlertState.OPEN
        and not quiet
        and silence_ended(alert, ended, previously_seen, now)
    ):
        reasons.append(Reason.SILENCE_ENDED)
    if not reasons:
        return
    if quiet:
        notifier.tally["silenced"] += 1
        return
    if alert.snoozed_until is not None and alert.snoozed_until > now:
        return
    if reasons == [Reason.SEVERITY_RAISED]:
        notifier.tell(alert, NoticeKind.UPDATED, event=Event.SEVERITY_RAISED, **extra)
    else:
        notifier.tally["reminded"] += 1
        notifier.tell(alert, NoticeKind.REMINDER, event=Event.REMINDER, reasons=reasons, **extra)


def _auto_resolve(session: Session, alert: Alert, now: datetime) -> bool:
    """Resolve an alert whose condition cleared; False if someone resolved it first."""
    cleared = reason(CONDITION_CLEARED)
    decide = resolving(now, audit.SYSTEM.name, cleared, refuse_if_resolved=False)
    before = transition(session, alert, decide)
    if before is None:
        return False
    audit.record(session, audit.SYSTEM, "alert.auto_resolve", alert, at=now, before=before)
    return True


def _resolve_cleared(notifier: Notifier, alerts: list[Alert]) -> None:
    """Resolve the alerts whose condition cleared, and update the messages of those posted."""
    to_tell: list[Alert] = []
    for alert in alerts:
        if _auto_resolve(notifier.session, alert, notifier.now):
            notifier.tally["resolved"] += 1
            # Only a posted message needs saying so; one opened and cleared under a silence
            # was never shown to anyone.
            if alert.last_notified_at is not None:
                to_tell.append(alert)
    notifier.tell_in_groups(to_tell, NoticeKind.RESOLVED, event=Event.AUTO_RESOLVED)


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
                Alert.state != AlertState.RESOLVED,
                or_(
                    and_(Alert.state == AlertState.ACKNOWLEDGED, Alert.ack_expires_at <= now),
                    Alert.snoozed_until <= now,
                ),
            )
            .order_by(Alert.id)
        )
    )
    notifier = Notifier(
        session, now, policy, facility_labels(session, {a.facility_id for a in due})
    )
    silences = active_silences(session, now) if due else []
    for alert in due:
        reasons, extra = end_what_ran_out(session, alert, now)
        if not reasons or alert.state == AlertState.RESOLVED:
            continue
        if silenced(alert, silences):
            notifier.tally["silenced"] += 1
            continue
        if alert.snoozed_until is not None and alert.snoozed_until > now:
            continue
        notifier.tally["reminded"] += 1
        notifier.tell(alert, NoticeKind.REMINDER, event=Event.REMINDER, reasons=reasons, **extra)
    return notifier.summary()


def _alerts(session: Session, ids: list[int]) -> dict[int, Alert]:
    """These alerts as ORM objects, by id."""
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Alert).where(among(session, Alert.id, ids)))}
