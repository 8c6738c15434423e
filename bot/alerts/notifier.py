"""Writing notices into the outbox: a row per alert, or one per storm, in the caller's transaction.

The alert change and its notice commit together or not at all; the delivery worker sends the
row afterwards. A storm (more than `storm_threshold` alerts of one check for one channel in one
run) is one grouped row instead of many.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.at_risk import money_at_risk
from bot.alerts.notices import (
    AlertNotice,
    Event,
    GroupedAlert,
    GroupNotice,
    NoticeKind,
    worst,
)
from bot.alerts.outbox import PENDING, SENDING, enqueue
from bot.alerts.policy import AlertPolicy, AlertState, RunSummary
from bot.db import among
from bot.i18n.wording import Text, Wording, english
from bot.models import Alert, Facility, OutboxMessage, Platform, Ticket, TicketAlert
from bot.models.alerts import new_token
from bot.tickets.words import is_overdue, ticket_status

_NO_VALUES: dict[str, Any] = dict.fromkeys(Alert.__table__.columns.keys())


class AlertSnapshot(SimpleNamespace):
    """An alert's columns as plain attributes (None where not given), for one opened in bulk.

    Stands in for an `Alert` in the notices about alerts opened in bulk: building thousands
    of ORM objects that never join the session would cost more than writing the rows did.
    """

    def __init__(self, **values: Any) -> None:
        super().__init__(**(_NO_VALUES | values))


# What a notice is built from: an alert in the session, or a snapshot of one opened in bulk.
AlertToTell = Alert | AlertSnapshot


class FacilityLabel(Protocol):
    """What a notice shows of a facility: a `Facility`, or a row of these columns."""

    @property
    def slug(self) -> str: ...

    @property
    def alert_channel(self) -> str | None: ...

    @property
    def timezone(self) -> str: ...


def facility_labels(session: Session, ids: set[int | None]) -> dict[int, FacilityLabel]:
    """What notices show of these facilities: names, channel and time zone only."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    labels = select(Facility.id, Facility.slug, Facility.alert_channel, Facility.timezone)
    rows = session.execute(labels.where(among(session, Facility.id, wanted)))
    return {row.id: row for row in rows}


class Notifier:
    """Writes outbox rows about alerts, in the caller's transaction, and counts what it did.

    `now` is the moment the alerts' own times say (`last_notified_at`); `written_at` is when
    the rows are written and due: the real time, even for a run of the checks `--at` another.
    """

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
        self.now = now
        self.written_at = written_at or now
        self.policy = policy or AlertPolicy()
        self.facilities = facilities
        self.tally: Counter[str] = Counter({name: 0 for name in RunSummary.__dataclass_fields__})

    @classmethod
    def for_alert(
        cls,
        session: Session,
        alert: Alert,
        now: datetime,
        policy: AlertPolicy | None,
        *,
        written_at: datetime | None = None,
    ) -> "Notifier":
        """A notifier for notices about this one alert."""
        facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
        labels: dict[int, FacilityLabel] = {facility.id: facility} if facility else {}
        return cls(session, now, policy, labels, written_at=written_at)

    def summary(self) -> RunSummary:
        """What this notifier (and the run that used it) did, as counted."""
        return RunSummary(**self.tally)

    def channel(self, alert: AlertToTell) -> str | None:
        """The facility's channel, else the default (for loanwatch's own alerts, the admins':
        the default, else the first admin's DM), else where the alert was last posted."""
        facility = self.facilities.get(alert.facility_id) if alert.facility_id else None
        if facility is not None and facility.alert_channel:
            return facility.alert_channel
        if alert.facility_id is None and self.policy.admin_channel:
            return self.policy.admin_channel
        if self.policy.default_channel:
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
        alert: AlertToTell,
        kind: NoticeKind,
        *,
        event: Event,
        actor: audit.Actor = audit.SYSTEM,
        **extra: Any,
    ) -> OutboxMessage:
        """One outbox row about one alert (`extra`: a reminder's reasons, what changed; `at_risk`
        when the caller read it for many alerts at once)."""
        facility = self.facilities.get(alert.facility_id) if alert.facility_id else None
        risk = extra.pop("at_risk") if "at_risk" in extra else self.at_risk([alert]).get(alert.id)
        if isinstance(risk, Text):
            # Its English as before, and how it was worded, to say it in the reader's language.
            worded = Wording(risk, (), self.now.year).to_json()
            extra |= {"at_risk": english(risk), "at_risk_wording": worded}
        else:
            extra["at_risk"] = risk
        notice = notice_of(
            alert,
            facility,
            event=event,
            actor=actor,
            first_notice=alert.last_notified_at is None,
            default_zone=self.policy.timezone,
            ticket=open_ticket_status(self.session, alert.id),
            **extra,
        )
        return self._write(kind, self.channel(alert), notice.to_payload(), alert.id, [alert])

    def tell_in_groups(
        self, alerts: Sequence[AlertToTell], kind: NoticeKind, *, event: Event
    ) -> None:
        """One row per alert, except where more than storm_threshold share a check and channel.

        A storm is one grouped row; an alert in it that has a message of its own (posted, or on
        its way) also gets its own row, so that message is updated too: otherwise an
        acknowledged alert's message would still look live, buttons and all, after the storm
        it cleared in was told as resolved.
        """
        batches: dict[tuple[str, str | None], list[AlertToTell]] = defaultdict(list)
        for alert in alerts:
            batches[(alert.check, self.channel(alert))].append(alert)
        # Who gets a row of their own: all of a small batch; in a storm, those with a message.
        alone: dict[tuple[str, str | None], list[AlertToTell]] = {}
        for key, batch in batches.items():
            if len(batch) <= self.policy.storm_threshold:
                alone[key] = batch
            elif kind == NoticeKind.OPENED:
                alone[key] = []  # a new alert has no message yet; only later events look
            else:
                own = self._with_own_message(batch)
                alone[key] = [alert for alert in batch if alert.id in own]
        # The money at risk of every alert told on its own, read for all of them at once.
        risks = self.at_risk([alert for told in alone.values() for alert in told])
        for (check, channel), batch in batches.items():
            if len(batch) > self.policy.storm_threshold:
                storm = storm_notice(check, event, batch, self.facilities)
                row = self._write(NoticeKind.GROUP, channel, storm.to_payload(), None, batch)
                if kind == NoticeKind.OPENED:
                    self._told_together(row, batch)
                self.tally["grouped"] += len(batch) - len(alone[check, channel])
            for alert in alone[check, channel]:
                self.tell(alert, kind, event=event, at_risk=risks.get(alert.id))

    def _told_together(self, row: OutboxMessage, alerts: Sequence[AlertToTell]) -> None:
        """Keep the storm's token as each alert's `told_in`: alerts told together escalate
        together, in this message's thread (`bot.oncall.together`). One UPDATE a storm."""
        row.token = new_token()
        self.session.execute(
            update(Alert)
            .where(among(self.session, Alert.id, sorted(a.id for a in alerts)))
            .values(told_in=row.token)
            .execution_options(synchronize_session=False)
        )
        for alert in alerts:
            alert.told_in = row.token

    def at_risk(self, alerts: Sequence[AlertToTell]) -> dict[int, Text]:
        """Alert id → the money it puts at risk, as its message shows it (by date), worded; a
        resolved alert puts nothing at risk any more."""
        live = [alert for alert in alerts if alert.state != AlertState.RESOLVED]
        if not live:
            return {}
        risks = money_at_risk(self.session, live, now=self.now, collection=self.policy.calendar)
        return {alert_id: risk.fact_text() for alert_id, risk in risks.items()}

    def _with_own_message(self, alerts: Sequence[AlertToTell]) -> set[int]:
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
        kind: NoticeKind,
        channel: str | None,
        payload: dict[str, Any],
        alert_id: int | None,
        about: Sequence[AlertToTell],
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


def storm_notice(
    check: str,
    event: Event,
    alerts: Sequence[AlertToTell],
    facilities: dict[int, FacilityLabel],
) -> GroupNotice:
    """One notice about many alerts of one check (a storm), each still listed by its id."""

    def slug(alert: AlertToTell) -> str | None:
        facility = facilities.get(alert.facility_id) if alert.facility_id else None
        return facility.slug if facility is not None else None

    listed = tuple(
        GroupedAlert(
            alert_id=a.id,
            fingerprint=a.fingerprint,
            facility=slug(a),
            subject=a.subject,
            severity=a.severity,
            state=a.state,
            summary=a.summary,
            wording=a.wording,
        )
        for a in alerts
    )
    return GroupNotice(event, check, worst([a.severity for a in alerts]), listed)


def open_ticket_status(session: Session, alert_id: int) -> str | None:
    """The open ticket about the alert, in words ("Ticket T-3 · waiting on Jiebei"), if any:
    the alert's message keeps showing it whatever happens to the alert."""
    row = session.execute(
        select(Ticket.number, Ticket.state, Ticket.follow_ups, Platform.display_name)
        .join(TicketAlert, TicketAlert.ticket_id == Ticket.id)
        .join(Platform, Platform.id == Ticket.platform_id)
        .where(TicketAlert.alert_id == alert_id, TicketAlert.ticket_open.is_(True))
    ).first()
    if row is None:
        return None
    overdue = is_overdue(row.state, row.follow_ups)
    return ticket_status(row.number, row.state, row.display_name, overdue)


def notice_of(
    alert: AlertToTell,
    facility: FacilityLabel | None,
    *,
    event: Event,
    actor: audit.Actor,
    first_notice: bool,
    default_zone: str = "UTC",
    **extra: Any,
) -> AlertNotice:
    """The notice about `alert` and what just happened to it, from its columns (no query).

    Its times are shown in the facility's zone, or `default_zone` (LOANWATCH_TIMEZONE) for an
    alert on no facility: the rule of `bot.zones`, which `/loan` answers follow too.
    """
    return AlertNotice(
        event=event,
        alert_id=alert.id,
        check=alert.check,
        severity=alert.severity,
        state=alert.state,
        summary=alert.summary,
        facts=dict(alert.facts),
        wording=alert.wording,
        fingerprint=alert.fingerprint,
        facility=facility.slug if facility is not None else None,
        subject=alert.subject,
        opened_at=alert.opened_at,
        last_seen_at=alert.last_seen_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        ack_expires_at=alert.ack_expires_at,
        snoozed_until=alert.snoozed_until,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        resolve_reason=alert.resolve_reason,
        escalation_level=alert.escalation_level,
        actor=actor.name,
        first_notice=first_notice,
        timezone=facility.timezone if facility is not None else default_zone,
        reasons=tuple(extra.pop("reasons", ())),
        **extra,
    )
