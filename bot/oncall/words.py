"""What an escalation step says, once, for every surface (the Slack thread, a DM, the console).

The engine writes an `alert.escalation` outbox row whose payload is an `EscalationNotice`; a
transport words it here in its own voice: `person` names a user (`<@U0123>` in Slack),
`group` a user group (`<!subteam^S0123>`), `here` the channel's `@here`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from bot.durations import spoken

ESCALATION_KIND = "alert.escalation"


@dataclass(frozen=True)
class EscalationNotice:
    """One step of one alert's ladder: what to do, to whom, and why now."""

    alert_id: int
    check: str
    facility: str | None
    severity: str  # the severity it escalates as (critical when its deadline is near)
    action: str  # bot.oncall.policy.Action
    round: int
    step: int
    waited_minutes: int  # since the round started, when the step was taken (a late run too)
    user: str | None = None  # the person mentioned or sent a DM
    group: str | None = None  # a user group's id, for `group`
    rotation: str | None = None
    at_risk: str | None = None  # "¥4,498.77 due in 1 business day; late fee ≈ ¥2.70/day"
    missing: str | None = None  # why nobody could be reached, when nobody could
    # Alerts told together escalate together (bot.oncall.together): all their ids, checks and
    # facilities, or empty for one alert alone; `at_risk` is then the largest among them.
    alert_ids: list[int] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    # The token of the grouped message they were told in: the notice goes in its thread.
    thread: str | None = None

    @property
    def count(self) -> int:
        return len(self.alert_ids) or 1

    def to_payload(self) -> dict[str, Any]:
        # Its fields are plain strings and numbers: a shallow copy (asdict deep-copies each,
        # which cost the escalation engine a third of a second per thousand steps).
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("alert_ids", "checks", "facilities"):
            payload[name] = list(payload[name])
        payload["header"] = headline(self)
        payload["text"] = thread_line(self, _plain, _plain_group, "@here")
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "EscalationNotice":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


def _plain(user: str | None) -> str:
    return f"@{user}" if user else "someone"


def _plain_group(group: str) -> str:
    return f"@{group}"


def waited(minutes: int) -> str:
    """`15 min`, `2 h`, `1 h 15 min`, `1 day 3 h`: every surface words a wait alike
    (`bot.durations.spoken`)."""
    return spoken(timedelta(minutes=minutes))


def headline(notice: EscalationNotice) -> str:
    """`Escalation of alert 4 (critical), step 2: dm`; `Escalation of 123 alerts (…)…`."""
    which = f"alert {notice.alert_id}" if notice.count == 1 else f"{notice.count} alerts"
    return f"Escalation of {which} ({notice.severity}), step {notice.step + 1}: {notice.action}"


# Alerts told together: their ids are listed up to this many, else counted.
_LISTED = 3


def _about(notice: EscalationNotice) -> str:
    """`alert 4 (limit_frozen on jiebei-main)`; `alerts 4 and 5 (bill_overdue, bill_unexpected
    on jiebei-main)`; `123 alerts (bill_missing on 2 facilities)`."""
    if notice.count == 1:
        where = notice.facility or "loanwatch"
        return f"alert {notice.alert_id} ({notice.check} on {where})"
    ids = [str(i) for i in notice.alert_ids]
    which = (
        f"alerts {', '.join(ids[:-1])} and {ids[-1]}"
        if len(ids) <= _LISTED
        else f"{len(ids)} alerts"
    )
    places = notice.facilities
    where = places[0] if len(places) == 1 else f"{len(places)} facilities"
    return f"{which} ({', '.join(notice.checks)} on {where})"


def _is(notice: EscalationNotice, one: str, many: str) -> str:
    return one if notice.count == 1 else many


def _risk(notice: EscalationNotice) -> str:
    if not notice.at_risk:
        return ""
    return f" — {_is(notice, '', 'the largest at risk: ')}{notice.at_risk}"


def thread_line(
    notice: EscalationNotice,
    person: Callable[[str | None], str],
    group: Callable[[str], str],
    here: str,
) -> str:
    """The step's line in the alert's thread."""
    if notice.missing:
        return f"Could not escalate (step {notice.step + 1}, {notice.action}): {notice.missing}"
    time = waited(notice.waited_minutes)
    return _line(notice, person, group, here, time) + _risk(notice)


def _line(
    notice: EscalationNotice,
    person: Callable[[str | None], str],
    group: Callable[[str], str],
    here: str,
    time: str,
) -> str:
    match notice.action:
        case "oncall":
            return (
                f"{person(notice.user)}, you are on call: {_about(notice)} "
                f"{_is(notice, 'needs', 'need')} an acknowledgement"
            )
        case "dm":
            # One alert's line is in its own thread; a group's names the alerts the DM names.
            which = "" if notice.count == 1 else f"{_about(notice)} "
            return f"Sent {person(notice.user)} a direct message: {which}unacknowledged for {time}"
        case "next":
            return (
                f"{person(notice.user)}, next on call: {_about(notice)} "
                f"{_is(notice, 'is', 'are')} unacknowledged after {time}"
            )
        case "group":
            return (
                f"{group(notice.group or '')}: {_about(notice)} "
                f"{_is(notice, 'is', 'are')} unacknowledged after {time}"
            )
        case "here":
            return f"{here} {_about(notice)} {_is(notice, 'is', 'are')} unacknowledged after {time}"
    return f"Escalation step {notice.step + 1} ({notice.action}) of {_about(notice)}"


def dm_text(notice: EscalationNotice, person: Callable[[str | None], str], channel: str) -> str:
    """The direct message of a `dm` step."""
    return (
        f"{person(notice.user)}, you are on call and {_about(notice)} "
        f"{_is(notice, 'has', 'have')} been unacknowledged for {waited(notice.waited_minutes)}"
        f"{_risk(notice)}. Acknowledge {_is(notice, 'it', 'them')} in <#{channel}>."
    )


def no_next(rotation: str) -> str:
    """Why a `next` step reached nobody: the rotation has one person."""
    return f"rotation {rotation} has nobody after the person on call"
