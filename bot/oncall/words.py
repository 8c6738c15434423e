"""What an escalation step says, once, for every surface (the Slack thread, a DM, the console).

The engine writes an `alert.escalation` outbox row whose payload is an `EscalationNotice`; a
transport words it here in its own voice: `person` names a user (`<@U0123>` in Slack),
`group` a user group (`<!subteam^S0123>`), `here` the channel's `@here`.
"""

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from bot.i18n import EN, _, ngettext, use
from bot.i18n.wording import from_json, say

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
    # The same, worded (bot.i18n.wording's JSON), said in the reader's language; a notice kept
    # before it was, or one that cannot be read, says `at_risk` as kept.
    at_risk_worded: Any = None
    missing: str | None = None  # why nobody could be reached, when nobody could
    # Alerts told together escalate together (bot.oncall.together): all their ids, checks and
    # facilities, or empty for one alert alone; `at_risk` is then the largest among them.
    alert_ids: list[int] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    # The token of the grouped message they were told in: the notice goes in its thread.
    thread: str | None = None
    # The language of the channel its line goes to (bot.languages), when it was written.
    language: str | None = None

    @property
    def count(self) -> int:
        return len(self.alert_ids) or 1

    def to_payload(self) -> dict[str, Any]:
        # Its fields are plain strings and numbers: a shallow copy (asdict deep-copies each,
        # which cost the escalation engine a third of a second per thousand steps).
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("alert_ids", "checks", "facilities"):
            payload[name] = list(payload[name])
        with use(EN):  # kept for the console and the audit record, which stay English
            payload["header"] = headline(self)
            payload["text"] = thread_line(self, _plain, _plain_group, "@here")
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "EscalationNotice":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


def _plain(user: str | None) -> str:
    return f"@{user}" if user else _("someone")


def _plain_group(group: str) -> str:
    return f"@{group}"


def waited(minutes: int) -> str:
    """`15 min`, `2 h`, `1 h 15 min`, `1 day 3 h`: every surface words a wait alike (as
    `bot.durations.spoken` does), in the language in use."""
    days, rest = divmod(int(timedelta(minutes=minutes).total_seconds() // 60), 24 * 60)
    hours, left = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("{n} day", "{n} days", days).format(n=days))
    if hours:
        parts.append(_("{n} h").format(n=hours))
    if (left and not days) or not parts:
        parts.append(_("{n} min").format(n=left))
    return " ".join(parts)


def headline(notice: EscalationNotice) -> str:
    """`Escalation of alert 4 (critical), step 2: dm`; `Escalation of 123 alerts (…)…`."""
    said = {"severity": notice.severity, "step": notice.step + 1, "action": notice.action}
    if notice.count == 1:
        return _("Escalation of alert {alert} ({severity}), step {step}: {action}").format(
            alert=notice.alert_id, **said
        )
    return _("Escalation of {count} alerts ({severity}), step {step}: {action}").format(
        count=notice.count, **said
    )


# Alerts told together: their ids are listed up to this many, else counted.
_LISTED = 3


def _about(notice: EscalationNotice) -> str:
    """`alert 4 (limit_frozen on jiebei-main)`; `alerts 4 and 5 (bill_overdue, bill_unexpected
    on jiebei-main)`; `123 alerts (bill_missing on 2 facilities)`."""
    if notice.count == 1:
        where = notice.facility or "loanwatch"
        return _("alert {alert} ({check} on {where})").format(
            alert=notice.alert_id, check=notice.check, where=where
        )
    ids = [str(i) for i in notice.alert_ids]
    places = notice.facilities
    where = (
        places[0]
        if len(places) == 1
        else ngettext("{n} facility", "{n} facilities", len(places)).format(n=len(places))
    )
    checks = ", ".join(notice.checks)
    if len(ids) <= _LISTED:
        return _("alerts {ids} and {last} ({checks} on {where})").format(
            ids=", ".join(ids[:-1]), last=ids[-1], checks=checks, where=where
        )
    return _("{count} alerts ({checks} on {where})").format(
        count=len(ids), checks=checks, where=where
    )


def _risk(notice: EscalationNotice) -> str:
    if not notice.at_risk:
        return ""
    risk = notice.at_risk
    if notice.at_risk_worded is not None:
        with suppress(ValueError, TypeError, KeyError, AttributeError, IndexError):
            risk = say(from_json(notice.at_risk_worded))  # else said as kept
    if notice.count == 1:
        return _(" — {risk}").format(risk=risk)
    return _(" — the largest at risk: {risk}").format(risk=risk)


def thread_line(
    notice: EscalationNotice,
    person: Callable[[str | None], str],
    group: Callable[[str], str],
    here: str,
) -> str:
    """The step's line in the alert's thread, in the language in use."""
    if notice.missing:
        return _("Could not escalate (step {step}, {action}): {why}").format(
            step=notice.step + 1, action=notice.action, why=notice.missing
        )
    time = waited(notice.waited_minutes)
    return _line(notice, person, group, here, time) + _risk(notice)


def _line(
    notice: EscalationNotice,
    person: Callable[[str | None], str],
    group: Callable[[str], str],
    here: str,
    time: str,
) -> str:
    one = notice.count == 1
    said = {"about": _about(notice), "time": time}
    match notice.action:
        case "oncall":
            text = (
                _("{who}, you are on call: {about} needs an acknowledgement")
                if one
                else _("{who}, you are on call: {about} need an acknowledgement")
            )
            return text.format(who=person(notice.user), **said)
        case "dm":
            # One alert's line is in its own thread; a group's names the alerts the DM names.
            if one:
                return _("Sent {who} a direct message: unacknowledged for {time}").format(
                    who=person(notice.user), time=time
                )
            return _("Sent {who} a direct message: {about} unacknowledged for {time}").format(
                who=person(notice.user), **said
            )
        case "next":
            text = (
                _("{who}, next on call: {about} is unacknowledged after {time}")
                if one
                else _("{who}, next on call: {about} are unacknowledged after {time}")
            )
            return text.format(who=person(notice.user), **said)
        case "group":
            text = (
                _("{group}: {about} is unacknowledged after {time}")
                if one
                else _("{group}: {about} are unacknowledged after {time}")
            )
            return text.format(group=group(notice.group or ""), **said)
        case "here":
            text = (
                _("{here} {about} is unacknowledged after {time}")
                if one
                else _("{here} {about} are unacknowledged after {time}")
            )
            return text.format(here=here, **said)
    return _("Escalation step {step} ({action}) of {about}").format(
        step=notice.step + 1, action=notice.action, about=said["about"]
    )


def dm_text(notice: EscalationNotice, person: Callable[[str | None], str], channel: str) -> str:
    """The direct message of a `dm` step, in the language in use (the person's)."""
    said = {
        "who": person(notice.user),
        "about": _about(notice),
        "time": waited(notice.waited_minutes),
        "risk": _risk(notice),
        "channel": f"<#{channel}>",
    }
    if notice.count == 1:
        return _(
            "{who}, you are on call and {about} has been unacknowledged for {time}{risk}. "
            "Acknowledge it in {channel}."
        ).format(**said)
    return _(
        "{who}, you are on call and {about} have been unacknowledged for {time}{risk}. "
        "Acknowledge them in {channel}."
    ).format(**said)


def no_next(rotation: str) -> str:
    """Why a `next` step reached nobody: the rotation has one person."""
    return _("rotation {rotation} has nobody after the person on call").format(rotation=rotation)
