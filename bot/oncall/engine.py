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
4. The rungs after the last one the round has run that are due by `now` are claimed
   (`bot.oncall.claims`): the alerts are locked and read again, and a step whose alert was
   acknowledged, snoozed or resolved meanwhile is dropped; the rest are inserted as
   `escalation_steps` rows (unique per alert, round and step) together with their outbox
   notices and audit records. A row a second worker inserted first is skipped, so each step
   runs once.

The selection is set-based: one run reads the open alerts (with their facility and the last
step of their round), the silences, rotations, ladders and the money at risk in a constant
number of queries however many alerts are open, and works out the due rungs in Python.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import Session

from bot.alerts.at_risk import business_days_until, money_at_risk
from bot.alerts.checks import ADMIN_CHECKS
from bot.alerts.findings import Severity
from bot.alerts.policy import AlertPolicy, AlertState
from bot.alerts.silences import active_silences, covers
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.models import Alert, EscalationStep, Facility, Rotation
from bot.oncall.claims import DueStep, claim_steps
from bot.oncall.config import EscalationConfig
from bot.oncall.hours import BusinessHours, add_business_time
from bot.oncall.policy import Action, Step, ladders
from bot.oncall.rotations import OnCall, on_call, overrides_after
from bot.oncall.words import EscalationNotice, no_next

# How far before a due date urgency is looked for (more than any holiday closes in a row).
_URGENT_LOOKBACK_DAYS = 60


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
    due = due_steps(session, now=now, calendar=calendar, config=config, policy=policy)
    if not due:
        return 0
    rotations = {d.rotation.id: d.rotation for d in due}
    overrides = overrides_after(session, sorted(rotations), now)
    on_duty = {rid: on_call(r, now, overrides) for rid, r in rotations.items()}
    notices = [_notice(d, on_duty[d.rotation.id], now) for d in due]
    return claim_steps(
        session, list(zip(due, notices, strict=True)), now, policy, written_at or now
    )


def due_steps(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    config: EscalationConfig,
    policy: AlertPolicy,
) -> list[DueStep]:
    """Every rung due by `now` that the alert's round has not run, in alert and step order."""
    alerts = _open_alerts(session)
    if not alerts:
        return []
    silences = active_silences(session, now)
    by_name = {r.name: r for r in session.scalars(select(Rotation))}
    escalating = []
    for alert in alerts:
        rotation = by_name.get(alert.oncall_rotation or config.default_rotation or "")
        if rotation is None:
            continue  # escalation is for teams with a rotation: nobody to escalate to
        if any(covers(s, check=alert.check, facility_id=alert.facility_id) for s in silences):
            continue
        escalating.append((alert, rotation))
    if not escalating:
        return []
    rungs_of = {severity: ladder.rungs() for severity, ladder in ladders(session).items()}
    at_risk = money_at_risk(session, [a for a, _ in escalating], now=now, calendar=calendar)
    zones: dict[str, ZoneInfo] = {}
    due: list[DueStep] = []
    for alert, rotation in escalating:
        risk = at_risk.get(alert.id)
        urgent = risk is not None and risk.urgent(config.urgent_days)
        severity = str(Severity.CRITICAL) if urgent else alert.severity
        rungs = rungs_of.get(severity)
        if rungs is None:
            continue
        # A rotation added after the alert opened starts its ladder then, not in the past: an
        # admin adding the team's first rotation does not set off every old alert's steps.
        start = max(alert.escalation_from or alert.opened_at, rotation.created_at)
        name = alert.timezone or policy.timezone
        zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        if urgent and alert.severity != Severity.CRITICAL and risk and risk.due is not None:
            # Urgent only since its due date came near: the critical ladder starts then, not
            # at the opening, or its first minute runs every step the alert has waited.
            start = max(start, became_urgent(risk.due, config.urgent_days, zone, calendar))
        first = 0 if alert.last_step is None else alert.last_step + 1
        for number in range(first, len(rungs)):
            when = step_due(
                start,
                rungs[number],
                critical=severity == Severity.CRITICAL,
                zone=zone,
                calendar=calendar,
                hours=config.business_hours,
            )
            if when > now:
                break
            due.append(DueStep(alert, rotation, severity, risk, number, rungs[number], start, when))
    return due


def became_urgent(due: date, within: int, zone: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    """The local midnight from which `due` is within `within` business days."""
    day = due
    for _ in range(_URGENT_LOOKBACK_DAYS):
        before = day - timedelta(days=1)
        if business_days_until(calendar, before, due) > within:
            break
        day = before
    return datetime.combine(day, time.min, tzinfo=zone)


def _open_alerts(session: Session) -> list[Row[Any]]:
    """The alerts that may escalate, with their facility's columns and their round's last step."""
    last = (
        select(EscalationStep.alert_id, func.max(EscalationStep.step).label("last_step"))
        .join(
            Alert,
            and_(
                Alert.id == EscalationStep.alert_id,
                Alert.escalation_round == EscalationStep.round,
            ),
        )
        .where(Alert.state == AlertState.OPEN, Alert.snoozed_until.is_(None))
        .group_by(EscalationStep.alert_id)
        .subquery()
    )
    query = (
        select(
            Alert.id,
            Alert.check,
            Alert.facility_id,
            Alert.subject,
            Alert.severity,
            Alert.opened_at,
            Alert.escalation_from,
            Alert.escalation_round,
            Alert.last_notified_at,
            Facility.slug,
            Facility.timezone,
            Facility.alert_channel,
            Facility.oncall_rotation,
            last.c.last_step,
        )
        .outerjoin(Facility, Facility.id == Alert.facility_id)
        .outerjoin(last, last.c.alert_id == Alert.id)
        .where(
            Alert.state == AlertState.OPEN,
            Alert.snoozed_until.is_(None),
            Alert.check.not_in(ADMIN_CHECKS),
        )
        .order_by(Alert.id)
    )
    return list(session.execute(query))


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


def _notice(due: DueStep, on_duty: OnCall, now: datetime) -> EscalationNotice:
    alert, step = due.alert, due.step
    user, missing = None, None
    if step.action in (Action.ONCALL, Action.DM, Action.NEXT):
        if step.action == Action.NEXT:
            user = on_duty.next_user
            missing = None if user else no_next(on_duty.rotation)
        else:
            user = on_duty.user
    return EscalationNotice(
        alert_id=alert.id,
        check=alert.check,
        facility=alert.slug,
        severity=due.severity,
        action=str(step.action),
        round=alert.escalation_round,
        step=due.number,
        # How long it has waited now: a run that catches up hours late says hours, not the
        # step's own delay.
        waited_minutes=int((now - due.start).total_seconds() // 60),
        user=user,
        group=step.target,
        rotation=on_duty.rotation,
        at_risk=due.risk.words() if due.risk else None,
        missing=missing,
    )
