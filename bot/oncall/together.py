"""Alerts told together escalate together: one notice per group, per rotation and step.

A storm opens many alerts of one check at once and tells them in one grouped message
(`bot.alerts.notifier.Notifier.tell_in_groups`, which keeps its token as each alert's
`told_in`); one past bill opens both `bill_unexpected` and `bill_overdue` on the same subject.
Escalating each alert alone would mention the person on call once per alert. Instead the
steps due in one run are grouped:

- alerts told in the same grouped message, due at the same rung of the same rotation and
  ladder, make one notice, in that message's thread;
- other alerts on one facility and subject, due at the same rung of the same rotation and
  ladder at the same moment, make one notice, in the thread of the first (lowest id) of them;
  a subject naming a due date (`2026-12-10`, a bill or a draw's installments due then:
  `2026-12-10#b7`, `2026-12-10#d3`) counts as that date, so `bill_amount_mismatch` on the
  date and `bill_due_soon` on its bill are one subject;
- any other step is a notice of its own, as before.

Each alert still gets its `escalation_steps` row and `alert.escalate` audit record (with the
group's words). An acknowledgement (snooze, resolve) of one alert of a group takes that alert
out: its own ladder stops, and the group's next step names the alerts still unacknowledged.
The group's steps stop when all of them are acknowledged (Alertmanager's rule).
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from bot.alerts.at_risk import AtRisk, due_date_of
from bot.i18n.wording import to_json
from bot.models import Rotation
from bot.oncall.policy import Action, Step
from bot.oncall.rotations import OnCall
from bot.oncall.words import EscalationNotice, no_next


@dataclass(frozen=True)
class DueStep:
    """One rung of one alert's round, due by now and not run yet."""

    alert: Row[Any]  # the columns `bot.oncall.engine._open_alerts` reads
    rotation: Rotation
    severity: str  # the ladder it is a rung of
    risk: AtRisk | None
    number: int  # its position in that ladder
    step: Step
    start: datetime
    due: datetime
    key: str  # `dm#0`: what it does, and how many of the same its ladder has before it
    skipped: bool = False  # held by a silence and passed over when it ended
    # When the round began (the opening, or the end of an ack or snooze): what its wait is
    # counted from. `start`, what the rungs are timed from, may be later: an urgent warning's
    # critical ladder starts at the midnight it became urgent, but it waited since it opened.
    began: datetime | None = None


def together(due: DueStep) -> Hashable:
    """What a step is grouped by (see the module's list)."""
    alert = due.alert
    rung = (due.rotation.id, due.severity, due.key)
    if alert.told_in:
        return ("told", alert.told_in, *rung)
    if alert.facility_id is not None:
        subject = due_date_of(alert) or alert.subject
        return ("subject", alert.facility_id, subject, due.due, *rung)
    return ("alert", alert.id, *rung)


def grouped(steps: Sequence[DueStep]) -> list[list[DueStep]]:
    """The steps by group, in the order of each group's first step."""
    groups: dict[Hashable, list[DueStep]] = {}
    for step in steps:
        groups.setdefault(together(step), []).append(step)
    return list(groups.values())


def reached(due: DueStep, duty: OnCall) -> tuple[str | None, str | None]:
    """Whom the step mentions (or sends a DM), and why nobody when nobody could be reached."""
    if due.step.action in (Action.ONCALL, Action.DM):
        return duty.user, None
    if due.step.action == Action.NEXT:
        return duty.next_user, None if duty.next_user else no_next(duty.rotation)
    return None, None


def group_notice(
    group: Sequence[DueStep], on_duty: Mapping[int, OnCall], now: datetime
) -> EscalationNotice:
    """The one notice of a group's step: the first alert's, naming them all, the longest wait
    and the largest money at risk among them."""
    lead = group[0]
    alert, step = lead.alert, lead.step
    duty = on_duty[lead.rotation.id]
    user, missing = reached(lead, duty)
    risks = [d.risk for d in group if d.risk is not None]
    largest = max(risks, key=lambda r: r.amount) if risks else None
    many = len(group) > 1
    return EscalationNotice(
        alert_id=alert.id,
        check=alert.check,
        facility=alert.slug,
        severity=lead.severity,
        action=str(step.action),
        round=alert.escalation_round,
        step=lead.number,
        # How long it has waited now: a run that catches up hours late says hours, not the
        # step's own delay; a group says the longest any of its alerts has waited.
        waited_minutes=int((now - min(d.began or d.start for d in group)).total_seconds() // 60),
        user=user,
        group=step.target,
        rotation=duty.rotation,
        at_risk=largest.words() if largest else None,
        at_risk_worded=to_json(largest.text()) if largest else None,
        missing=missing,
        alert_ids=[d.alert.id for d in group] if many else [],
        checks=sorted({d.alert.check for d in group}) if many else [],
        facilities=sorted({d.alert.slug or "loanwatch" for d in group}) if many else [],
        thread=alert.told_in,
    )
