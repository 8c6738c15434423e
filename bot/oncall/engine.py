"""The escalation wake-up: every step due by `now`, each exactly once across workers.

`loanwatch check` (as of `--at T`) and the worker's wake-ups run :func:`run_escalations` after
the acknowledgements and snoozes that ran out have been ended (`bot.alerts.quiet`, which starts
a new round timed from when they ran out). For each alert that is open (not acknowledged, not
snoozed, not silenced, not resolved) on a facility with a rotation (its own, or
`LOANWATCH_DEFAULT_ROTATION`; without one nothing escalates, and alerts about loanwatch itself
never do):

1. The severity it escalates as: critical if it is critical, or if the money it puts at risk
   is due within `LOANWATCH_URGENT_DAYS` business days (`bot.oncall.urgency`); else its own.
2. That severity's ladder (`bot.oncall.policy`); none for info.
3. Each rung's due time: the round's start (or the rotation's creation, if later) plus the
   rung's delay. A warning's delays count
   business time only: its round starts at the next business moment, and its clock stops
   outside business hours (a 2-hour step of a round started Thursday 16:10 is due Friday
   09:10). Critical ones run at any hour.
4. A rung due by `now` and not run yet is claimed by inserting its `escalation_steps` row
   (unique per alert, round and step) in a savepoint of the caller's transaction, which also
   writes its outbox notice and its audit record. A second worker's insert of the same row
   fails on the key (on PostgreSQL it waits for the first to commit) and it runs nothing.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import ADMIN_CHECKS
from bot.alerts.findings import Severity
from bot.alerts.notifier import Notifier
from bot.alerts.outbox import enqueue
from bot.alerts.policy import AlertPolicy, AlertState
from bot.alerts.quiet import silenced
from bot.alerts.silences import active_silences
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.models import Alert, EscalationStep, Facility, Rotation
from bot.oncall.config import EscalationConfig
from bot.oncall.hours import BusinessHours, add_business_time
from bot.oncall.policy import Action, Step, ladder_for
from bot.oncall.rotations import rotation_of, who
from bot.oncall.urgency import AtRisk, at_risk
from bot.oncall.words import ESCALATION_KIND, EscalationNotice, no_next


@dataclass(frozen=True)
class _Alerting:
    """One alert as this run escalates it."""

    alert: Alert
    rotation: Rotation
    severity: str
    risk: AtRisk | None
    zone: ZoneInfo
    facility: str | None


def run_escalations(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    config: EscalationConfig,
    policy: AlertPolicy,
    written_at: datetime | None = None,
) -> int:
    """Run every escalation step due by `now`; how many ran (the caller commits)."""
    require_aware(now, "now")
    alerts = session.scalars(
        select(Alert)
        .where(
            Alert.state == AlertState.OPEN,
            Alert.snoozed_until.is_(None),
            Alert.check.not_in(ADMIN_CHECKS),
        )
        .order_by(Alert.id)
    ).all()
    silences = active_silences(session, now) if alerts else []
    ran = 0
    for alert in alerts:
        if silenced(alert, silences):
            continue
        rotation = rotation_of(session, alert.facility_id, config.default_rotation)
        if rotation is None:
            continue  # escalation is for teams with a rotation: nobody to escalate to
        alerting = _alerting(session, alert, rotation, now, calendar, config, policy)
        ran += _climb(session, alerting, now, calendar, config, policy, written_at or now)
    return ran


def _alerting(
    session: Session,
    alert: Alert,
    rotation: Rotation,
    now: datetime,
    calendar: BusinessCalendar,
    config: EscalationConfig,
    policy: AlertPolicy,
) -> _Alerting:
    facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
    risk = at_risk(session, alert, now=now, calendar=calendar)
    urgent = risk is not None and risk.urgent(config.urgent_days)
    severity = str(Severity.CRITICAL) if urgent else alert.severity
    zone = ZoneInfo(facility.timezone if facility is not None else policy.timezone)
    return _Alerting(alert, rotation, severity, risk, zone, facility.slug if facility else None)


def step_due(
    start: datetime,
    step: Step,
    *,
    critical: bool,
    zone: ZoneInfo,
    calendar: BusinessCalendar,
    hours: BusinessHours,
) -> datetime:
    """When a rung of a round that started at `start` is due (see the module's point 3)."""
    if critical:
        return start + step.after
    return add_business_time(start, step.after, zone, calendar, hours)


def _climb(
    session: Session,
    alerting: _Alerting,
    now: datetime,
    calendar: BusinessCalendar,
    config: EscalationConfig,
    policy: AlertPolicy,
    written_at: datetime,
) -> int:
    """Run the rungs of the alert's current round that are due and not run yet."""
    alert = alerting.alert
    ladder = ladder_for(session, alerting.severity)
    if ladder is None:
        return 0
    done = set(
        session.scalars(
            select(EscalationStep.step).where(
                EscalationStep.alert_id == alert.id,
                EscalationStep.round == alert.escalation_round,
            )
        )
    )
    # A rotation added after the alert opened starts its ladder then, not in the past: an
    # admin adding the team's first rotation does not set off every old alert's steps at once.
    start = max(alert.escalation_from or alert.opened_at, alerting.rotation.created_at)
    ran = 0
    for number, step in enumerate(ladder.rungs()):
        due = step_due(
            start,
            step,
            critical=alerting.severity == Severity.CRITICAL,
            zone=alerting.zone,
            calendar=calendar,
            hours=config.business_hours,
        )
        if due > now:
            break
        if number in done:
            continue
        notice = _notice(session, alerting, number, step, start, due, now, config)
        if _claim_and_write(session, alerting, notice, due, now, policy, written_at):
            ran += 1
    return ran


def _notice(
    session: Session,
    alerting: _Alerting,
    number: int,
    step: Step,
    start: datetime,
    due: datetime,
    now: datetime,
    config: EscalationConfig,
) -> EscalationNotice:
    alert = alerting.alert
    on_call = who(session, alerting.rotation, now)
    user, missing = None, None
    if step.action in (Action.ONCALL, Action.DM, Action.NEXT):
        if step.action == Action.NEXT:
            user = on_call.next_user
            missing = None if user else no_next(on_call.rotation)
        else:
            user = on_call.user
    return EscalationNotice(
        alert_id=alert.id,
        check=alert.check,
        facility=alerting.facility,
        severity=alerting.severity,
        action=str(step.action),
        round=alert.escalation_round,
        step=number,
        # How long it had waited when the step fell due (a catch-up run words it the same).
        waited_minutes=int((due - start).total_seconds() // 60),
        user=user,
        group=step.target,
        rotation=on_call.rotation,
        at_risk=alerting.risk.words() if alerting.risk else None,
        missing=missing,
    )


def _claim_and_write(
    session: Session,
    alerting: _Alerting,
    notice: EscalationNotice,
    due: datetime,
    now: datetime,
    policy: AlertPolicy,
    written_at: datetime,
) -> bool:
    """Insert the step's row, its notice and audit record together; False if it ran elsewhere."""
    alert = alerting.alert
    row = EscalationStep(
        alert_id=alert.id,
        round=notice.round,
        step=notice.step,
        action=notice.action,
        user=notice.user,
        due_at=due,
        ran_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    channel = Notifier.for_alert(session, alert, now, policy).channel(alert)
    enqueue(
        session,
        kind=ESCALATION_KIND,
        channel=channel,
        payload=notice.to_payload(),
        now=written_at,
        alert_id=alert.id,
    )
    audit.record(
        session,
        audit.SYSTEM,
        "alert.escalate",
        row,
        at=now,
        after={**audit.snapshot(row), "text": notice.to_payload()["text"]},
    )
    return True
