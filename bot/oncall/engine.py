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
4. The rungs due by `now` that the round has not done are claimed (`bot.oncall.claims`). A
   round remembers what it did by rung (`dm#0`: what the step does, and how many of the same
   its ladder has before it), not by position, so when the ladder changes mid-round (an
   admin's `escalation set`, a warning turned critical) the new ladder's due rungs that were
   not done run, and none is done twice. The claim locks the alerts and reads them again: a
   step whose alert was acknowledged, snoozed or resolved meanwhile is dropped; the rest are
   inserted as `escalation_steps` rows (unique per alert, round and rung) together with their
   outbox notices — one per group of alerts told together (`bot.oncall.together`) — and audit
   records. A row a second worker inserted first is skipped, so each step runs once.
5. A silence holds an alert's steps (it is left out while one covers it). When it ends, of the
   steps that fell due while it held them only the latest runs; the others are passed over
   (a `skipped` row), so they never run later.

The selection is set-based: one run reads the open alerts (with their facility), the rungs
their rounds did, the silences (active, and ended since the oldest round began), rotations,
ladders and the money at risk in a constant number of queries however many alerts are open,
and works out the due rungs in Python.
"""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, select
from sqlalchemy.orm import Session

from bot.alerts.at_risk import business_days_until, money_at_risk
from bot.alerts.checks import ADMIN_CHECKS
from bot.alerts.findings import Severity
from bot.alerts.policy import AlertPolicy, AlertState
from bot.alerts.silences import active_silences, covers, end_of, silences_ended_between
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.models import Alert, EscalationStep, Facility, Rotation, Silence
from bot.oncall.claims import DueStep, claim_steps
from bot.oncall.config import EscalationConfig
from bot.oncall.hours import BusinessHours, add_business_time
from bot.oncall.policy import Step, ladders, rung_keys
from bot.oncall.rotations import on_call, overrides_after
from bot.oncall.urgency import escalates_as

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
    """Run every escalation step due by `now`; how many alerts' steps ran (the caller commits)."""
    require_aware(now, "now")
    due = due_steps(session, now=now, calendar=calendar, config=config, policy=policy)
    if not due:
        return 0
    rotations = {d.rotation.id: d.rotation for d in due}
    overrides = overrides_after(session, sorted(rotations), now)
    on_duty = {rid: on_call(r, now, overrides) for rid, r in rotations.items()}
    return claim_steps(session, due, on_duty, now, policy, written_at or now)


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
    keys_of = {severity: rung_keys(rungs) for severity, rungs in rungs_of.items()}
    at_risk = money_at_risk(session, [a for a, _ in escalating], now=now, calendar=calendar)
    done = _done_this_round(session)
    held = _silence_ends(session, [a for a, _ in escalating], now)
    zones: dict[str, ZoneInfo] = {}
    due: list[DueStep] = []
    for alert, rotation in escalating:
        risk = at_risk.get(alert.id)
        # One rule with the digest (`escalates_as`): critical when due within the urgent days.
        severity = escalates_as(alert.severity, risk, config.urgent_days)
        rungs = rungs_of.get(severity)
        if rungs is None:
            continue
        # A rotation added after the alert opened starts its ladder then, not in the past: an
        # admin adding the team's first rotation does not set off every old alert's steps.
        began = alert.escalation_from or alert.opened_at
        start = max(began, rotation.created_at)
        name = alert.timezone or policy.timezone
        zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        if severity != alert.severity and risk and risk.due is not None:
            # Urgent only since its due date came near: the critical ladder starts then, not
            # at the opening, or its first minute runs every step the alert has waited.
            start = max(start, became_urgent(risk.due, config.urgent_days, zone, calendar))
        ran = done.get(alert.id, set())
        mine: list[DueStep] = []
        for number, (rung, key) in enumerate(zip(rungs, keys_of[severity], strict=True)):
            if key in ran:
                continue  # this round did it already, on this ladder or another
            when = step_due(
                start,
                rung,
                critical=severity == Severity.CRITICAL,
                zone=zone,
                calendar=calendar,
                hours=config.business_hours,
            )
            if when > now:
                break  # the rungs are in order of their delay: none after it is due either
            mine.append(
                DueStep(
                    alert, rotation, severity, risk, number, rung, start, when, key, began=began
                )
            )
        due.extend(_after_silence(mine, held, alert))
    return due


def _after_silence(mine: list[DueStep], held: list[Silence], alert: Row[Any]) -> list[DueStep]:
    """The steps that fell due while a silence held them: only the latest runs, the others are
    passed over (their rows say `skipped`); a step due after the silence ended runs as usual."""
    ends = [
        end_of(s)
        for s in held
        if covers(s, check=alert.check, facility_id=alert.facility_id)
        and mine
        and end_of(s) >= mine[0].due
    ]
    if not ends:
        return mine
    end = max(ends)
    during = [d for d in mine if d.due <= end]
    passed = {id(d) for d in during[:-1]}
    return [replace(d, skipped=True) if id(d) in passed else d for d in mine]


def _silence_ends(session: Session, alerts: list[Row[Any]], now: datetime) -> list[Silence]:
    """The silences that ended since the earliest round started (they may have held steps)."""
    earliest = min(a.escalation_from or a.opened_at for a in alerts)
    return silences_ended_between(session, earliest, now)


def _done_this_round(session: Session) -> dict[int, set[str]]:
    """Alert id → the rungs (`dm#0`) its current round ran or passed over, open alerts only."""
    rows = session.execute(
        select(EscalationStep.alert_id, EscalationStep.rung)
        .join(
            Alert,
            and_(
                Alert.id == EscalationStep.alert_id,
                Alert.escalation_round == EscalationStep.round,
            ),
        )
        .where(Alert.state == AlertState.OPEN, Alert.snoozed_until.is_(None))
    )
    done: dict[int, set[str]] = {}
    for row in rows:
        done.setdefault(row.alert_id, set()).add(row.rung)
    return done


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
    """The alerts that may escalate, with their facility's columns."""
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
            Alert.told_in,
            Facility.slug,
            Facility.timezone,
            Facility.alert_channel,
            Facility.oncall_rotation,
            Facility.language.label("facility_language"),
        )
        .outerjoin(Facility, Facility.id == Alert.facility_id)
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
