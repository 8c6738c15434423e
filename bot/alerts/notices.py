"""What a notice about alerts carries, and how it is worded: once, for every surface.

The notifier writes a notice into the outbox as JSON (`AlertNotice.to_payload`); a transport
reads it back (`AlertNotice.from_payload`) and words it with the functions here, in its own
`Voice`: the console names people as they are and shows what they typed as typed; Slack
mentions people and escapes what they typed. The words themselves (what "acknowledged" or
"still firing" says) are written only here.

    notice = AlertNotice.from_payload(row.payload)
    headline(notice, PLAIN)       # "CRITICAL: bill_missing on jiebei-main (alert 4) — new"
    event_line(notice, voice)     # "Acknowledged by <@U0BOB> until 2026-12-02 09:10 CST"
    state_line(notice, voice)     # "Open since 2026-12-01 09:00 CST · Snoozed until …"

Payloads written by an earlier version read back too: unknown keys are ignored, missing ones
take their defaults, an event this version does not know is worded by its name.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from bot.alerts.findings import Severity
from bot.alerts.notice_names import CHECK_NAMES as CHECK_NAMES
from bot.alerts.notice_names import REASON_WORDS as REASON_WORDS
from bot.alerts.notice_names import Reason as Reason
from bot.alerts.notice_names import check_name as check_name
from bot.alerts.policy import AlertState
from bot.alerts.resolve_reasons import said
from bot.alerts.said import severity_name, summary_of
from bot.audit import SYSTEM
from bot.i18n import EN, N_, ZH, _, current, use
from bot.i18n.formats import moment
from bot.zones import shown_zone


class NoticeKind(StrEnum):
    """The kind of an outbox row about alerts (`outbox.kind`)."""

    OPENED = "alert.opened"  # a new alert: attention
    UPDATED = "alert.updated"  # acknowledged, snoozed, severity raised: the message changes
    RESOLVED = "alert.resolved"
    REMINDER = "alert.reminder"  # still firing after an ack expired, a snooze or silence ended
    GROUP = "alert.group"  # many alerts of one check at once (a storm), one message


# Rows about one alert (its own message); GROUP is about many.
ALERT_KINDS = frozenset(
    {NoticeKind.OPENED, NoticeKind.UPDATED, NoticeKind.RESOLVED, NoticeKind.REMINDER}
)


class Event(StrEnum):
    """What just happened to the alert, which the notice tells."""

    OPENED = "opened"
    SEVERITY_RAISED = "severity_raised"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"  # by a person, with a reason
    AUTO_RESOLVED = "auto_resolved"  # the condition cleared
    REMINDER = "reminder"


_TIMES = (
    "opened_at",
    "last_seen_at",
    "acknowledged_at",
    "ack_expires_at",
    "snoozed_until",
    "resolved_at",
)


@dataclass(frozen=True)
class AlertNotice:
    """Everything a transport needs to show one alert and what just happened to it.

    Times are aware (UTC in the payload); `timezone` is the one they are shown in: the
    facility's, or LOANWATCH_TIMEZONE for an alert on no facility (`bot.zones`).
    `first_notice` is True when nothing about this alert was posted before (it opened under
    a silence, or only inside a storm), so a transport posts the whole alert rather than
    updating a message.
    """

    event: Event | str
    alert_id: int
    check: str
    severity: str
    state: str
    summary: str = ""
    facts: Mapping[str, str] = field(default_factory=dict)
    # How summary and facts were worded (bot.i18n.wording, as `alerts.wording` keeps it), to
    # say them in the reader's language (bot.alerts.said); None: said as kept.
    wording: Mapping[str, Any] | None = None
    fingerprint: str = ""
    facility: str | None = None
    subject: str | None = None
    opened_at: datetime | None = None
    last_seen_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    ack_expires_at: datetime | None = None
    snoozed_until: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_reason: str | None = None
    escalation_level: int = 0
    actor: str = SYSTEM.name
    first_notice: bool = False
    timezone: str = "UTC"
    # A reminder's reasons, and what a change replaced.
    reasons: tuple[str, ...] = ()
    previous_severity: str | None = None
    previously_acknowledged_by: str | None = None
    # The open ticket about it, in words ("Ticket T-3 · waiting on Jiebei"), when there is one.
    ticket: str | None = None
    # The money it puts at risk, by date ("¥4,498.77 due 2026-12-07; late fee ≈ ¥2.70/day").
    at_risk: str | None = None
    # How `at_risk` was worded (bot.i18n.wording JSON), to say it in the reader's language
    # (bot.alerts.said.at_risk_of); None: said as kept.
    at_risk_wording: Mapping[str, Any] | None = None

    def to_payload(self) -> dict[str, Any]:
        """The notice as the outbox keeps it (JSON): times ISO-8601 in UTC, None left out.

        `header` (the headline, plain) comes first, for anyone reading the outbox table.
        """
        with use(EN):  # the outbox is read by machines and admins: English, whoever acted
            payload: dict[str, Any] = {"header": headline(self, PLAIN)}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in _TIMES:
                value = value.astimezone(UTC).isoformat()
            elif f.name == "facts":
                value = dict(value)
            elif f.name == "reasons":
                if not value:
                    continue
                value = [str(reason) for reason in value]
            elif isinstance(value, StrEnum):
                value = str(value)
            payload[f.name] = value
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "AlertNotice":
        """A notice from what the outbox kept (see the module's note on older payloads)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in payload.items() if k in known}
        for name in _TIMES:
            if values.get(name):
                values[name] = _aware(values[name])
        event = str(values.get("event", ""))
        values["event"] = Event(event) if event in Event._value2member_map_ else event
        values["facts"] = dict(values.get("facts") or {})
        values["reasons"] = tuple(values.get("reasons") or ())
        values.setdefault("alert_id", 0)
        values.setdefault("check", "")
        values.setdefault("severity", Severity.WARNING)
        values.setdefault("state", AlertState.OPEN)
        return cls(**values)

    @property
    def zone(self) -> tzinfo:
        """The zone the notice's times are shown in (UTC when the name is unknown)."""
        return shown_zone(self.timezone, "UTC")


@dataclass(frozen=True)
class GroupedAlert:
    """One alert of a storm, as its grouped message lists it (and its CSV has a row for)."""

    alert_id: int
    fingerprint: str
    facility: str | None
    subject: str | None
    severity: str
    state: str
    summary: str
    # How the summary was worded (bot.alerts.said), None for an alert kept without it.
    wording: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class GroupNotice:
    """Many alerts of one check told in one message (a storm); each still has its own id."""

    event: Event | str
    check: str
    severity: str  # the worst among them
    alerts: tuple[GroupedAlert, ...]

    @property
    def count(self) -> int:
        return len(self.alerts)

    @property
    def alert_ids(self) -> list[int]:
        return [a.alert_id for a in self.alerts]

    def by_facility(self) -> str:
        """`jiebei-main (3), weilidai-ops (2)`: how many of them each facility has."""
        counts: dict[str, int] = {}
        for alert in self.alerts:
            slug = alert.facility or "-"
            counts[slug] = counts.get(slug, 0) + 1
        return ", ".join(f"{slug} ({n})" for slug, n in sorted(counts.items()))

    def to_payload(self) -> dict[str, Any]:
        """The storm as the outbox keeps it (JSON), with its headline and summary worded."""
        with use(EN):  # kept in English, as an alert's summary is; said again where shown
            header, summary = group_headline(self), group_summary(self)
        return {
            "header": header,
            "summary": summary,
            "facts": {
                N_("Alert ids"): ", ".join(str(i) for i in self.alert_ids),
                N_("Facilities"): self.by_facility(),
            },
            "event": str(self.event),
            "check": self.check,
            "severity": self.severity,
            "count": self.count,
            "alert_ids": self.alert_ids,
            # The rows of the CSV a transport attaches.
            "alerts": [
                {k: v for k, v in vars(a).items() if v is not None or k != "wording"}
                for a in self.alerts
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "GroupNotice":
        known = {f.name for f in fields(GroupedAlert)}
        alerts = tuple(
            GroupedAlert(**{k: row.get(k) for k in known}) for row in payload.get("alerts") or ()
        )
        event = str(payload.get("event", ""))
        return cls(
            event=Event(event) if event in Event._value2member_map_ else event,
            check=str(payload.get("check", "")),
            severity=str(payload.get("severity", Severity.WARNING)),
            alerts=alerts,
        )


# --- the voice of a surface ----------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """How a surface names people and shows what people typed, and how long a line may be.

    `person` turns an actor's name (a Slack user id, `cli:alice`, `system`, or None) into
    text; `typed(text, room)` shows text a person or a platform wrote in at most `room`
    characters (None: no limit).
    """

    person: Callable[[str | None], str]
    typed: Callable[[str, int | None], str]
    limit: int | None = None


def _plain_person(name: str | None) -> str:
    return name if name is not None else _("someone")


# The console, logs and the payload's stored headline: names and text as they are.
PLAIN = Voice(person=_plain_person, typed=lambda text, room: text)


# --- the words -----------------------------------------------------------------------------------


def when(notice: AlertNotice, at: datetime | None) -> str:
    """A moment of the notice, in its zone, as the reader writes it (the year only where it
    differs from the alert's last sighting, in Chinese)."""
    seen = notice.last_seen_at or notice.opened_at
    return moment(at, notice.zone, near=seen.astimezone(notice.zone).date() if seen else None)


def what_happened(notice: AlertNotice, voice: Voice) -> str:
    """What just happened to the alert, as a phrase: `acknowledged by X until T`."""
    match notice.event:
        case Event.OPENED:
            return _("new")
        case Event.SEVERITY_RAISED:
            severity = severity_name(notice.severity)
            if notice.previous_severity:
                return _("severity raised to {severity} (was {previous})").format(
                    severity=severity, previous=severity_name(notice.previous_severity)
                )
            return _("severity raised to {severity}").format(severity=severity)
        case Event.ACKNOWLEDGED:
            who = voice.person(notice.acknowledged_by or notice.actor)
            return _("acknowledged by {who} until {until}").format(
                who=who, until=when(notice, notice.ack_expires_at)
            )
        case Event.SNOOZED:
            who = voice.person(notice.actor)
            return _("snoozed by {who} until {until}").format(
                who=who, until=when(notice, notice.snoozed_until)
            )
        case Event.RESOLVED | Event.AUTO_RESOLVED:
            return _lower_first(resolution(notice, voice))
        case Event.REMINDER:
            return _still_firing(notice, voice)
    return str(notice.event)


def _still_firing(notice: AlertNotice, voice: Voice) -> str:
    reasons = _("; ").join(_reason_words(r) for r in notice.reasons)
    previous = notice.previously_acknowledged_by
    if previous and reasons:
        return _("still firing: {reasons} (was acknowledged by {who})").format(
            reasons=reasons, who=voice.person(previous)
        )
    if previous:
        return _("still firing (was acknowledged by {who})").format(who=voice.person(previous))
    if reasons:
        return _("still firing: {reasons}").format(reasons=reasons)
    return _("still firing")


def resolution(notice: AlertNotice, voice: Voice) -> str:
    """How the alert was resolved: by the checks (the condition cleared) or by whom and why."""
    if notice.resolved_by in (None, SYSTEM.name):
        return _("Resolved: the condition has cleared")
    who = voice.person(notice.resolved_by)
    head = _("Resolved by {who}").format(who=who)
    if not notice.resolve_reason:
        return head
    return _("Resolved by {who}: {reason}").format(
        who=who, reason=voice.typed(said(notice.resolve_reason) or "", _room(voice, len(head) + 2))
    )


def headline(notice: AlertNotice, voice: Voice) -> str:
    """`CRITICAL: bill_missing on jiebei-main (alert 12) — acknowledged by X until T`."""
    return _("{severity}: {check} on {where} (alert {id}) — {what}").format(
        severity=severity_name(notice.severity, headline=True),
        check=check_name(notice.check),
        where=notice.facility or "loanwatch",
        id=notice.alert_id,
        what=what_happened(notice, voice),
    )


def event_line(notice: AlertNotice, voice: Voice) -> str:
    """One line for the alert's history (its Slack thread): what happened and who did it."""
    if notice.event == Event.OPENED:
        summary = summary_of(notice.summary, getattr(notice, "wording", None))
        lead = _("Opened: {summary}")
        room = _room(voice, len(lead.format(summary="")))
        return lead.format(summary=voice.typed(summary, room))
    return _upper_first(what_happened(notice, voice))


def state_line(notice: AlertNotice, voice: Voice) -> str:
    """Where the alert stands now, in one line: open since, acknowledged until, resolved…"""
    if notice.state == AlertState.RESOLVED:
        return resolution(notice, voice)
    if notice.state == AlertState.ACKNOWLEDGED:
        who = voice.person(notice.acknowledged_by)
        words = _("Acknowledged by {who} until {until}").format(
            who=who, until=when(notice, notice.ack_expires_at)
        )
    else:
        words = _("Open since {since}").format(since=when(notice, notice.opened_at))
    if notice.snoozed_until is not None:
        words = _("{state} · Snoozed until {until}").format(
            state=words, until=when(notice, notice.snoozed_until)
        )
    return words


def group_headline(notice: GroupNotice) -> str:
    """`12 new bill_missing alerts (critical at worst), grouped`."""
    words = (
        _("{count} new {check} alerts ({severity} at worst), grouped")
        if notice.event == Event.OPENED
        else _("{count} resolved {check} alerts ({severity} at worst), grouped")
    )
    return words.format(
        count=notice.count,
        check=check_name(notice.check),
        severity=severity_name(notice.severity),
    )


def group_summary(notice: GroupNotice) -> str:
    """What the storm's message says under its title."""
    words = (
        _(
            "{count} {check} alerts opened in one run; each can still be acknowledged, snoozed "
            "or resolved by its id"
        )
        if notice.event == Event.OPENED
        else _(
            "{count} {check} alerts resolved in one run; each can still be acknowledged, "
            "snoozed or resolved by its id"
        )
    )
    return words.format(count=notice.count, check=check_name(notice.check))


def worst(severities: Sequence[str]) -> str:
    """The most severe of these severities."""
    critical = any(s == Severity.CRITICAL for s in severities)
    return str(Severity.CRITICAL if critical else Severity.WARNING)


def _reason_words(reason: str) -> str:
    known = Reason._value2member_map_.get(reason)
    return _(REASON_WORDS[known]) if isinstance(known, Reason) else reason


def _room(voice: Voice, used: int) -> int | None:
    return None if voice.limit is None else max(voice.limit - used, 1)


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    # Payload times are UTC, even when unmarked.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _lower_first(text: str) -> str:
    # English puts a phrase inside a sentence ("… — resolved by X"); Chinese has no case, and
    # its phrases may begin with a name, which stays as written.
    return text if current() == ZH else text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text if current() == ZH else text[:1].upper() + text[1:]
