"""Escalation policies: the ladder of steps an alert nobody owns climbs, per severity.

`loanwatch escalation set critical --steps "0m:oncall,15m:dm,45m:next,2h:here" --repeat 2`.
A step is `DELAY:ACTION`, its delay measured from the start of the round (the alert's opening,
or the moment an acknowledgement or a snooze ran out):

- `oncall`: mention the person on call in the alert's thread;
- `dm`: a direct message to them (and a line in the thread saying so);
- `next`: mention the next person in the rotation in the thread;
- `group:S0123ABCD`: mention a Slack user group in the thread instead;
- `here`: `@here` in the alert's channel.

The last step repeats up to `repeat` more times, each after the gap between the last two steps
(or the last step's own delay when it is the only one; at least 15 minutes).

Critical and warning have defaults (below) until an admin sets their own; anything else
(an `info` severity) never escalates.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.findings import Severity
from bot.durations import parse_duration, typed
from bot.errors import InputError
from bot.i18n import _
from bot.models import EscalationPolicy
from bot.typed import fold_width

MAX_STEPS = 10
MAX_REPEAT = 10
MIN_REPEAT_GAP = timedelta(minutes=15)
_GROUP = re.compile(r"S[A-Z0-9]{2,31}")


class Action(StrEnum):
    """What a step does."""

    ONCALL = "oncall"
    DM = "dm"
    NEXT = "next"
    GROUP = "group"
    HERE = "here"


@dataclass(frozen=True)
class Step:
    """One rung: after `after`, do `action` (`target`: a user group's id, for `group`)."""

    after: timedelta
    action: Action
    target: str | None = None

    @property
    def kind(self) -> str:
        """What the step does, to whom: `dm`, `group:S0123ABCD` (what a round does once)."""
        return f"{self.action}:{self.target}" if self.target else str(self.action)

    def typed(self) -> str:
        """The step as an admin types it: `15m:dm`, `45m:group:S0123ABCD`."""
        action = f"group:{self.target}" if self.action == Action.GROUP else str(self.action)
        return f"{typed_delay(self.after)}:{action}"


def typed_delay(delay: timedelta) -> str:
    """A delay as an admin types it: `0m`, `15m`, `2h`, `1h15m`, `300d`."""
    return typed(delay)


@dataclass(frozen=True)
class Ladder:
    """A severity's steps and how many times the last one repeats."""

    steps: tuple[Step, ...]
    repeat: int

    def typed(self) -> str:
        return ",".join(step.typed() for step in self.steps)

    @property
    def repeat_gap(self) -> timedelta:
        last = self.steps[-1].after
        gap = last - self.steps[-2].after if len(self.steps) > 1 else last
        return max(gap, MIN_REPEAT_GAP)

    def rungs(self) -> list[Step]:
        """Every step in order, the repeats of the last one included (index = step number)."""
        last = self.steps[-1]
        repeats = [
            Step(last.after + self.repeat_gap * n, last.action, last.target)
            for n in range(1, self.repeat + 1)
        ]
        return [*self.steps, *repeats]


def rung_keys(rungs: list[Step]) -> list[str]:
    """Each rung's key: its kind and how many rungs before it are of that kind (`dm#0`,
    `here#1`). A round runs each key once, whatever ladder it came from."""
    seen: dict[str, int] = {}
    keys = []
    for rung in rungs:
        count = seen.get(rung.kind, 0)
        keys.append(f"{rung.kind}#{count}")
        seen[rung.kind] = count + 1
    return keys


def parse_steps(text: str) -> tuple[Step, ...]:
    """`0m:oncall,15m:dm,45m:next,2h:here` → steps, each no earlier than the one before."""
    parts = [part.strip() for part in fold_width(text).split(",") if part.strip()]
    if not parts:
        raise InputError(_('give at least one step, e.g. --steps "0m:oncall,15m:dm"'))
    if len(parts) > MAX_STEPS:
        raise InputError(_("a ladder has at most {most} steps").format(most=MAX_STEPS))
    steps = []
    for part in parts:
        delay, sep, action = part.partition(":")
        if not sep:
            raise InputError(
                _('step "{step}" is not DELAY:ACTION; write it like 15m:dm').format(step=part)
            )
        after = (
            timedelta(0) if re.fullmatch(r"0+\s*[dhm]?", delay.strip()) else parse_duration(delay)
        )
        steps.append(Step(after, *_action(action.strip().lower(), part)))
    twice = next((step for n, step in enumerate(steps) if step in steps[:n]), None)
    if twice is not None:
        raise InputError(
            _('step "{step}" is given twice; list each step once').format(step=twice.typed())
        )
    for earlier, later in pairwise(steps):
        if later.after < earlier.after:
            raise InputError(
                _('step "{later}" comes before "{earlier}"; list the steps in order').format(
                    later=later.typed(), earlier=earlier.typed()
                )
            )
    return tuple(steps)


def _action(text: str, part: str) -> tuple[Action, str | None]:
    name, _colon, target = text.partition(":")
    if name not in Action._value2member_map_:
        known = [str(a) for a in Action if a != Action.GROUP] + ["group:S0123ABCD"]
        raise InputError(
            _('step "{step}": {name} is not an action; use one of {known}').format(
                step=part, name=repr(name), known=_(", ").join(known)
            )
        )
    action = Action(name)
    if action == Action.GROUP:
        group = target.upper()
        if not _GROUP.fullmatch(group):
            raise InputError(
                _('step "{step}": a user group is named by its id, like group:S0123ABCD').format(
                    step=part
                )
            )
        return action, group
    if target:
        raise InputError(
            _('step "{step}": {action} takes nothing after it').format(step=part, action=name)
        )
    return action, None


def check_repeat(repeat: int) -> int:
    if not 0 <= repeat <= MAX_REPEAT:
        raise InputError(
            _("--repeat is from 0 to {most}, not {repeat}").format(most=MAX_REPEAT, repeat=repeat)
        )
    return repeat


DEFAULTS: dict[str, Ladder] = {
    Severity.CRITICAL: Ladder(parse_steps("0m:oncall,15m:dm,45m:next,2h:here"), 2),
    Severity.WARNING: Ladder(parse_steps("0m:oncall,30m:dm,2h:next,4h:here"), 1),
}


def _stored(row: EscalationPolicy) -> Ladder:
    steps = tuple(
        Step(timedelta(seconds=s["after"]), Action(s["action"]), s.get("target")) for s in row.steps
    )
    return Ladder(steps, row.repeat)


def ladder_for(session: Session, severity: str) -> Ladder | None:
    """The ladder of `severity`: the admin's, else the default; None: it never escalates."""
    row = session.get(EscalationPolicy, severity)
    if row is not None:
        return _stored(row)
    return DEFAULTS.get(severity)


def ladders(session: Session) -> dict[str, Ladder]:
    """Every severity's ladder in one query: the admins', else the defaults (info has none)."""
    found: dict[str, Ladder] = {str(severity): ladder for severity, ladder in DEFAULTS.items()}
    for row in session.scalars(select(EscalationPolicy)):
        found[row.severity] = _stored(row)
    return found


def check_severity(severity: str) -> str:
    if severity not in DEFAULTS:
        raise InputError(
            _(
                "severity {severity} has no escalation; give critical or warning "
                "(info alerts never escalate)"
            ).format(severity=repr(severity))
        )
    return severity


def set_policy(
    session: Session,
    actor: audit.Actor,
    severity: str,
    *,
    steps: str,
    repeat: int,
    now: datetime,
) -> Ladder:
    """Replace `severity`'s ladder (audited)."""
    check_severity(severity)
    parsed = parse_steps(steps)
    check_repeat(repeat)
    stored: list[dict[str, Any]] = [
        {"after": int(s.after.total_seconds()), "action": str(s.action), "target": s.target}
        for s in parsed
    ]
    row = session.get(EscalationPolicy, severity)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = EscalationPolicy(severity=severity)
        session.add(row)
    row.steps = stored
    row.repeat = repeat
    row.updated_at = now
    row.updated_by = actor.name
    audit.record(session, actor, "escalation.set", row, at=now, before=before)
    return Ladder(parsed, repeat)


def reset_policy(session: Session, actor: audit.Actor, severity: str, *, now: datetime) -> bool:
    """Put `severity`'s default ladder back (audited); False when it had it already."""
    check_severity(severity)
    row = session.get(EscalationPolicy, severity)
    if row is None:
        return False
    audit.record(
        session, actor, "escalation.reset", row, at=now, before=audit.snapshot(row), after={}
    )
    session.delete(row)
    session.flush()
    return True


def policies(session: Session) -> dict[str, tuple[Ladder, bool]]:
    """Each severity's ladder and whether an admin set it (False: the default)."""
    shown: dict[str, tuple[Ladder, bool]] = {}
    for severity, default in DEFAULTS.items():
        row = session.get(EscalationPolicy, severity)
        shown[str(severity)] = (_stored(row), True) if row is not None else (default, False)
    return shown
