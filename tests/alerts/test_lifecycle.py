"""The alert lifecycle, on SQLite and PostgreSQL: transitions, notifications, races, silences."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import acknowledge, list_alerts, resolve, snooze
from bot.alerts.admin import open_admin_alert, resolve_admin_alert
from bot.alerts.detection import apply_findings, wake_up
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy, RunSummary
from bot.alerts.silences import active_silences, add_silence, remove_silence
from bot.audit import Actor
from bot.db import transaction
from bot.durations import parse_duration
from bot.errors import InputError, NotFoundError
from bot.models import Alert, AuditRecord, OutboxMessage
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line

BOB = Actor("slack:U0BOB", "slack")
WARNING, CRITICAL = Severity.WARNING, Severity.CRITICAL
POLICY = AlertPolicy(default_channel="C0FINOPS")
DUE = "2026-12-10"


def missing_bill(facility_id: int, severity: Severity = WARNING, subject: str = DUE) -> Finding:
    """The finding the bill_missing check would report for an installment due on `subject`."""
    return Finding(
        check="bill_missing",
        facility_id=facility_id,
        subject=subject,
        severity=severity,
        summary=f"expected 899.75 due {subject}, no bill seen",
        facts={"Expected": "899.75", "Due": subject, "Lead": "10 days", "Grace": "24 h"},
    )


# --- the lifecycle table -------------------------------------------------------------------------


@dataclass
class World:
    """A facility with a missing bill, a clock measured in hours from `now`, and the sessions."""

    sessions: sessionmaker[Session]
    now: datetime
    facility_id: int

    def at(self, hours: float) -> datetime:
        return self.now + timedelta(hours=hours)

    def alert_id(self) -> int:
        """The newest alert for the missing bill."""
        with self.sessions() as session:
            return session.scalars(select(Alert.id).order_by(Alert.id.desc())).first() or 0


class Step(Protocol):
    def play(self, world: World) -> None: ...


@dataclass(frozen=True)
class Run:
    """The checks run at `at`; the bill is still missing (firing) or has arrived."""

    at: float
    firing: bool = True
    severity: Severity = WARNING

    def play(self, world: World) -> None:
        findings = [missing_bill(world.facility_id, self.severity)] if self.firing else []
        with transaction(world.sessions) as session:
            apply_findings(session, findings, now=world.at(self.at), policy=POLICY)


@dataclass(frozen=True)
class Ack:
    at: float
    by: Actor = ALICE

    def play(self, world: World) -> None:
        with transaction(world.sessions) as session:
            acknowledge(session, self.by, world.alert_id(), now=world.at(self.at), policy=POLICY)


@dataclass(frozen=True)
class Snooze:
    at: float
    hours: float

    def play(self, world: World) -> None:
        until = world.at(self.at + self.hours)
        with transaction(world.sessions) as session:
            snooze(session, ALICE, world.alert_id(), until, now=world.at(self.at))


@dataclass(frozen=True)
class Quiet:
    """Alice silences the facility for `hours` (platform maintenance)."""

    at: float
    hours: float

    def play(self, world: World) -> None:
        with transaction(world.sessions) as session:
            add_silence(
                session,
                ALICE,
                facility_id=world.facility_id,
                duration=timedelta(hours=self.hours),
                reason="Jiebei maintenance",
                now=world.at(self.at),
            )


@dataclass(frozen=True)
class Wake:
    """The scheduler's wake-up between check runs: acks and snoozes whose time has come end."""

    at: float

    def play(self, world: World) -> None:
        with transaction(world.sessions) as session:
            wake_up(session, now=world.at(self.at), policy=POLICY)


@dataclass(frozen=True)
class Resolve:
    at: float

    def play(self, world: World) -> None:
        with transaction(world.sessions) as session:
            resolve(session, ALICE, world.alert_id(), "paid by phone", now=world.at(self.at))


@dataclass(frozen=True)
class AckRacesAck:
    """Alice and Bob both read the alert, Alice's acknowledgement commits first, then Bob's."""

    at: float

    def play(self, world: World) -> None:
        alert_id, now = world.alert_id(), world.at(self.at)
        with world.sessions() as alices, world.sessions() as bobs:
            alices.get(Alert, alert_id)
            bobs_copy = bobs.get(Alert, alert_id)
            acknowledge(alices, ALICE, alert_id, now=now, policy=POLICY)
            alices.commit()
            assert bobs_copy is not None
            assert (bobs_copy.state, bobs_copy.version) == ("open", 1)  # what Bob read, now stale
            # Bob's UPDATE … WHERE version = :read matches no row; he re-reads and finds it owned.
            assert acknowledge(bobs, BOB, alert_id, now=now, policy=POLICY).acknowledged_by == (
                ALICE.name
            )
            bobs.commit()


@dataclass(frozen=True)
class AckRacesClear:
    """Alice acknowledges while a run finds the bill arrived; both read first, `first` commits."""

    at: float
    first: Literal["run", "ack"]

    def play(self, world: World) -> None:
        alert_id, now = world.alert_id(), world.at(self.at)
        with world.sessions() as alices, world.sessions() as runs:
            # Both read the alert before either writes; each decides from that read.
            alices.get(Alert, alert_id)
            runs_copy = runs.get(Alert, alert_id)
            if self.first == "run":
                apply_findings(runs, [], now=now, policy=POLICY)
                runs.commit()
                with pytest.raises(InputError, match="already resolved"):
                    acknowledge(alices, ALICE, alert_id, now=now, policy=POLICY)
                alices.rollback()
            else:
                acknowledge(alices, ALICE, alert_id, now=now, policy=POLICY)
                alices.commit()
                assert runs_copy is not None
                assert (runs_copy.state, runs_copy.version) == ("open", 1)  # the run's stale read
                apply_findings(runs, [], now=now, policy=POLICY)
                runs.commit()


@dataclass(frozen=True)
class Case:
    steps: list[Step]
    state: str
    kinds: list[str]
    owner: str | None = None
    alerts: int = 1


OPENED, UPDATED, RESOLVED, REMINDER = (
    "alert.opened",
    "alert.updated",
    "alert.resolved",
    "alert.reminder",
)
A = ALICE.name
CASES = {
    "first firing": Case([Run(0)], "open", [OPENED]),
    "re-detection tells no one again": Case([Run(0), Run(0.25), Run(0.5)], "open", [OPENED]),
    "severity rising is told": Case(
        [Run(0), Run(0.25, severity=CRITICAL)], "open", [OPENED, UPDATED]
    ),
    "severity falling is not told": Case(
        [Run(0, severity=CRITICAL), Run(0.25, severity=WARNING)], "open", [OPENED]
    ),
    "clear": Case([Run(0), Run(0.25, firing=False)], "resolved", [OPENED, RESOLVED]),
    "ack then clear": Case(
        [Run(0), Ack(0.1), Run(0.25, firing=False)], "resolved", [OPENED, UPDATED, RESOLVED], A
    ),
    "ack holds until it expires": Case(
        [Run(0), Ack(1), Run(24.75)], "acknowledged", [OPENED, UPDATED], A
    ),
    "ack expiry while still firing": Case(
        [Run(0), Ack(1), Run(24.75), Run(25.25)], "open", [OPENED, UPDATED, REMINDER]
    ),
    "ack expired but the condition cleared": Case(
        [Run(0), Ack(1), Run(25.25, firing=False)], "resolved", [OPENED, UPDATED, RESOLVED], A
    ),
    "snooze ending while still firing": Case(
        [Run(0), Snooze(1, hours=4), Run(2), Run(5.25)], "open", [OPENED, UPDATED, REMINDER]
    ),
    "ack expiry between runs is told at the wake-up, once": Case(
        [Run(0), Ack(1), Wake(25.1), Run(25.25)], "open", [OPENED, UPDATED, REMINDER]
    ),
    "a wake-up before the ack expires changes nothing": Case(
        [Run(0), Ack(1), Wake(20)], "acknowledged", [OPENED, UPDATED], A
    ),
    "snooze ending between runs is told at the wake-up, once": Case(
        [Run(0), Snooze(1, hours=4), Wake(5.1), Run(5.25)], "open", [OPENED, UPDATED, REMINDER]
    ),
    "a snoozed alert still resolves by itself": Case(
        [Run(0), Snooze(1, hours=4), Run(2, firing=False)], "resolved", [OPENED, UPDATED, RESOLVED]
    ),
    "severity rising while snoozed waits for the snooze to end": Case(
        [Run(0), Snooze(1, hours=4), Run(2, severity=CRITICAL), Run(5.25, severity=CRITICAL)],
        "open",
        [OPENED, UPDATED, REMINDER],
    ),
    "silence ending while still firing": Case(
        [Quiet(0, hours=2), Run(0.25), Run(1), Run(2.25)], "open", [REMINDER]
    ),
    "silence ending while still firing, posted before the silence": Case(
        [Run(0), Quiet(0.1, hours=2), Run(1), Run(2.25)], "open", [OPENED, REMINDER]
    ),
    "cleared under a silence, never posted": Case(
        [Quiet(0, hours=2), Run(0.25), Run(1, firing=False)], "resolved", []
    ),
    "ack expiring under a silence is told when the silence ends": Case(
        [Run(0), Ack(0.5), Quiet(24, hours=4), Run(24.75), Run(28.25)],
        "open",
        [OPENED, UPDATED, REMINDER],
    ),
    # A manual resolve is not a mute: the check still finds it, so a new alert is posted.
    "manual resolve while the condition still holds": Case(
        [Run(0), Resolve(1), Run(1.25)], "open", [OPENED, RESOLVED, OPENED], alerts=2
    ),
    "double acknowledge": Case(
        [Run(0), Ack(1), Ack(1.1, by=BOB)], "acknowledged", [OPENED, UPDATED], A
    ),
    "double acknowledge, racing": Case(
        [Run(0), AckRacesAck(1)], "acknowledged", [OPENED, UPDATED], A
    ),
    "ack racing an auto-resolve, the run commits first": Case(
        [Run(0), AckRacesClear(1, first="run")], "resolved", [OPENED, RESOLVED]
    ),
    "ack racing an auto-resolve, the ack commits first": Case(
        [Run(0), AckRacesClear(1, first="ack")], "resolved", [OPENED, UPDATED, RESOLVED], A
    ),
}


@pytest.fixture
def world(sessions: sessionmaker[Session], alice: Actor, now: datetime) -> World:
    """Alice's Jiebei line, committed, with its own alert channel."""
    with transaction(sessions) as session:
        facility = jiebei_line(session, alice, now)
        facility.alert_channel = "C0JIEBEI"
        session.flush()
        facility_id = facility.id
    return World(sessions, now, facility_id)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_lifecycle_ends_in_one_consistent_state(world: World, case: Case) -> None:
    """Each sequence of runs and actions ends in the expected state, told by the expected rows."""
    for step in case.steps:
        step.play(world)

    with world.sessions() as session:
        alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        kinds = list(session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert len(alerts) == case.alerts
    newest = alerts[-1]
    assert (newest.state, newest.acknowledged_by) == (case.state, case.owner)
    assert kinds == case.kinds
    for alert in alerts:
        assert_consistent(alert)


def assert_consistent(alert: Alert) -> None:
    """No mix of states: resolved has its time and resolver, acknowledged its owner, open none."""
    if alert.state == "resolved":
        assert alert.resolved_at is not None
        assert alert.resolved_by is not None
        assert alert.snoozed_until is None
    else:
        assert (alert.resolved_at, alert.resolved_by, alert.resolve_reason) == (None, None, None)
    if alert.state == "acknowledged":
        assert None not in (alert.acknowledged_by, alert.acknowledged_at, alert.ack_expires_at)
    if alert.state == "open":
        assert (alert.acknowledged_by, alert.acknowledged_at, alert.ack_expires_at) == (
            None,
            None,
            None,
        )


def test_an_auto_resolve_that_loses_to_an_ack_rereads_and_resolves_the_acknowledged_alert(
    world: World,
) -> None:
    """The run's UPDATE matches no row after Alice's ack; it re-reads, then resolves from there."""
    Run(0).play(world)
    AckRacesClear(1, first="ack").play(world)
    with world.sessions() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "alert.auto_resolve")
        ).one()
    assert record.before is not None
    assert record.after is not None
    assert record.before["state"] == "acknowledged"
    assert record.before["version"] == record.after["version"] - 1 == 2


# --- storms --------------------------------------------------------------------------------------


def six_missing_bills(facility_id: int) -> list[Finding]:
    """Six installments of one facility with no bill: one more than the storm threshold."""
    return [missing_bill(facility_id, subject=f"2026-{month:02}-10") for month in range(1, 7)]


def test_a_storm_of_new_alerts_is_told_in_one_grouped_message(session, alice, now) -> None:
    """Six new bill_missing alerts become one alert.group row listing all six ids."""
    facility = jiebei_line(session, alice, now)
    summary = apply_findings(session, six_missing_bills(facility.id), now=now, policy=POLICY)
    session.commit()

    alerts = list_alerts(session)
    (message,) = session.scalars(select(OutboxMessage)).all()
    assert summary == RunSummary(opened=6, notified=1, grouped=6)
    assert (message.kind, message.channel, message.alert_id) == ("alert.group", "C0FINOPS", None)
    assert message.payload["alert_ids"] == [a.id for a in alerts]
    assert [row["alert_id"] for row in message.payload["alerts"]] == [a.id for a in alerts]
    assert message.payload["check"] == "bill_missing"


def test_each_alert_of_a_storm_can_still_be_acknowledged_by_its_id(session, alice, now) -> None:
    """After a grouped message, Bob acknowledges the third alert alone and only it changes."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, six_missing_bills(facility.id), now=now, policy=POLICY)
    third = list_alerts(session)[2]

    acknowledge(session, BOB, third.id, now=now, policy=POLICY)
    session.commit()

    assert [a.id for a in list_alerts(session, "acknowledged")] == [third.id]
    update = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "alert.updated")
    ).one()
    assert update.alert_id == third.id
    # It was posted, inside the group: the transport updates rather than posts it afresh.
    assert update.payload["first_notice"] is False


def test_at_the_storm_threshold_alerts_are_told_one_by_one(session, alice, now) -> None:
    """Exactly storm_threshold new alerts are not a storm: five alert.opened rows."""
    facility = jiebei_line(session, alice, now)
    findings = six_missing_bills(facility.id)[:5]
    summary = apply_findings(session, findings, now=now, policy=POLICY)

    kinds = session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == ["alert.opened"] * 5
    assert (summary.opened, summary.notified, summary.grouped) == (5, 5, 0)


def test_a_storm_that_clears_is_told_in_one_grouped_message(session, alice, now) -> None:
    """Six alerts resolving in one run are one alert.group row too, saying they resolved."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, six_missing_bills(facility.id), now=now, policy=POLICY)
    summary = apply_findings(session, [], now=now + timedelta(minutes=15), policy=POLICY)

    group = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert summary == RunSummary(resolved=6, notified=1, grouped=6)
    assert group is not None
    assert group.kind == "alert.group"
    assert group.payload["event"] == "auto_resolved"
    assert list_alerts(session, "resolved") == list_alerts(session, "all")


def test_an_alert_of_a_clearing_storm_whose_own_notice_is_on_its_way_is_told_alone_too(
    session, alice, now
) -> None:
    """Six clear at once; the one Bob acked (its update not yet sent) gets a resolved row too."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, six_missing_bills(facility.id), now=now, policy=POLICY)
    third = list_alerts(session)[2]
    acknowledge(session, BOB, third.id, now=now, policy=POLICY)

    summary = apply_findings(session, [], now=now + timedelta(minutes=15), policy=POLICY)

    *_, group, own = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert summary == RunSummary(resolved=6, notified=2, grouped=5)
    assert group.kind == "alert.group"
    assert group.payload["alert_ids"] == [a.id for a in list_alerts(session, "all")]
    assert (own.kind, own.alert_id, own.payload["state"]) == (
        "alert.resolved",
        third.id,
        "resolved",
    )


def test_a_run_as_of_another_moment_writes_its_notices_at_the_real_time(
    session, alice, now
) -> None:
    """A run as of last week opens the alert last week but its notice is due now, not then."""
    facility = jiebei_line(session, alice, now - timedelta(days=30))
    last_week = now - timedelta(days=7)
    apply_findings(
        session, [missing_bill(facility.id)], now=last_week, policy=POLICY, written_at=now
    )
    session.commit()

    (alert,) = list_alerts(session)
    (message,) = session.scalars(select(OutboxMessage)).all()
    assert (alert.opened_at, alert.last_notified_at) == (last_week, last_week)
    assert (message.created_at, message.next_attempt_at) == (now, now)


# --- silences ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "silenced"),
    [
        ("facility", {"bill_missing:main", "limit_dropped:main"}),
        ("check", {"bill_missing:main", "bill_missing:backup"}),
        ("everything", {"bill_missing:main", "limit_dropped:main", "bill_missing:backup"}),
    ],
)
def test_a_silence_quiets_its_scope_only(session, alice, now, scope, silenced) -> None:
    """A facility, a check or everything: findings inside are recorded but not told."""
    main = jiebei_line(session, alice, now)
    backup = jiebei_line(session, alice, now, slug="jiebei-backup")
    scopes = {
        "facility": {"facility_id": main.id},
        "check": {"check": "bill_missing"},
        "everything": {"everything": True},
    }
    add_silence(
        session, alice, **scopes[scope], duration=timedelta(hours=4), reason="upgrade", now=now
    )
    dropped = Finding("limit_dropped", main.id, "", WARNING, "limit fell 40 %")
    findings = [missing_bill(main.id), dropped, missing_bill(backup.id)]

    summary = apply_findings(session, findings, now=now, policy=POLICY)

    names = {main.id: "main", backup.id: "backup"}
    told = set(session.scalars(select(OutboxMessage.alert_id)))
    told_as = {f"{a.check}:{names[a.facility_id]}" for a in list_alerts(session) if a.id in told}
    assert summary.opened == 3
    assert summary.silenced == len(silenced)
    assert told_as == {"bill_missing:main", "limit_dropped:main", "bill_missing:backup"} - silenced


@pytest.mark.parametrize(
    ("scope", "duration", "reason", "message"),
    [
        ({}, timedelta(hours=1), "upgrade", "exactly one of"),
        ({"check": "bill_missing", "everything": True}, timedelta(hours=1), "upgrade", "one of"),
        ({"check": "bill_mising"}, timedelta(hours=1), "upgrade", "unknown check"),
        ({"everything": True}, timedelta(0), "upgrade", "longer than zero"),
        ({"everything": True}, timedelta(days=91), "upgrade", "at most 90 days"),
        ({"everything": True}, timedelta(hours=1), "   ", "needs a reason"),
    ],
)
def test_a_silence_needs_one_scope_a_duration_and_a_reason(
    session, alice, now, scope, duration, reason, message
) -> None:
    """Bad silences are refused with a message that says what to fix, and nothing is written."""
    with pytest.raises(InputError, match=message):
        add_silence(session, alice, **scope, duration=duration, reason=reason, now=now)
    assert active_silences(session, now) == []


def test_a_silence_on_an_unknown_facility_is_not_found(session, alice, now) -> None:
    """A facility id that does not exist is refused as not found."""
    with pytest.raises(NotFoundError):
        add_silence(
            session, alice, facility_id=999, duration=timedelta(hours=1), reason="x", now=now
        )


def test_a_removed_silence_lets_the_next_run_remind(world: World) -> None:
    """Removing a silence early: the next run reminds of the alert it held back."""
    Quiet(0, hours=8).play(world)
    Run(0.25).play(world)
    with transaction(world.sessions) as session:
        (silence,) = active_silences(session, world.at(1))
        remove_silence(session, ALICE, silence.id, now=world.at(1))
        assert active_silences(session, world.at(1)) == []
    Run(1.25).play(world)

    with world.sessions() as session:
        kinds = session.scalars(select(OutboxMessage.kind)).all()
        (reminder,) = session.scalars(select(OutboxMessage)).all()
    assert kinds == ["alert.reminder"]
    assert reminder.payload["reasons"] == ["silence_ended"]
    assert reminder.payload["first_notice"] is True


def test_active_silences_are_the_ones_in_force(session, alice, now) -> None:
    """A silence is active from its start until its end, and not after it is removed."""
    short = add_silence(
        session, alice, everything=True, duration=timedelta(hours=1), reason="a", now=now
    )
    long = add_silence(
        session, alice, check="data_stale", duration=timedelta(hours=4), reason="b", now=now
    )
    assert active_silences(session, now) == [short, long]
    assert active_silences(session, now + timedelta(hours=1)) == [long]
    remove_silence(session, alice, long.id, now=now + timedelta(hours=2))
    assert active_silences(session, now + timedelta(hours=2)) == []
    with pytest.raises(InputError, match="not active"):
        remove_silence(session, alice, long.id, now=now + timedelta(hours=3))


# --- actions people take -------------------------------------------------------------------------


@pytest.fixture
def firing(session: Session, alice: Actor, now: datetime) -> Alert:
    """An open bill_missing alert on Alice's Jiebei line."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, [missing_bill(facility.id)], now=now, policy=POLICY)
    return list_alerts(session)[0]


def test_acknowledging_a_resolved_alert_is_refused(session, alice, now, firing) -> None:
    """Once resolved, an alert cannot be acknowledged; the message says who resolved it."""
    resolve(session, alice, firing.id, "paid", now=now)
    with pytest.raises(InputError, match=r"already resolved by cli:alice .*\(paid\)"):
        acknowledge(session, BOB, firing.id, now=now, policy=POLICY)


def test_a_manual_resolve_needs_a_reason(session, alice, now, firing) -> None:
    """A blank reason is refused and the alert stays open."""
    with pytest.raises(InputError, match="say why"):
        resolve(session, alice, firing.id, "  ", now=now)
    assert firing.state == "open"


def test_a_snooze_must_end_in_the_future(session, alice, now, firing) -> None:
    """Snoozing until now (or earlier) is refused."""
    with pytest.raises(InputError, match="in the future"):
        snooze(session, alice, firing.id, now, now=now)


def test_an_unknown_alert_id_is_not_found(session, alice, now) -> None:
    """Acting on an alert id that does not exist says how to find the real ones."""
    with pytest.raises(NotFoundError, match="alert list"):
        acknowledge(session, alice, 404, now=now, policy=POLICY)


def test_an_acknowledgement_expires_after_the_policys_time(session, alice, now, firing) -> None:
    """The owner is recorded with the time the acknowledgement runs out."""
    acknowledge(
        session, alice, firing.id, now=now, policy=AlertPolicy(ack_expiry=timedelta(hours=2))
    )
    assert (firing.state, firing.acknowledged_by) == ("acknowledged", "cli:alice")
    assert firing.ack_expires_at == now + timedelta(hours=2)


def test_an_acknowledgement_leaves_the_escalation_level_alone(session, alice, now, firing) -> None:
    """Escalation stops on ack, but the rung it reached is kept (issue 4 escalates)."""
    firing.escalation_level = 2
    session.flush()
    acknowledge(session, alice, firing.id, now=now, policy=POLICY)
    assert firing.escalation_level == 2


def test_alerts_of_checks_that_did_not_run_are_not_resolved(session, alice, now, firing) -> None:
    """A run of only the limit checks says nothing about bills: the bill alert stays open."""
    later = now + timedelta(minutes=15)
    summary = apply_findings(session, [], now=later, policy=POLICY, checks_run={"limit_dropped"})
    assert summary.resolved == 0
    assert firing.state == "open"


def test_the_same_fingerprint_twice_in_one_run_opens_one_alert(session, alice, now) -> None:
    """A finding reported twice is one alert, at the higher severity."""
    facility = jiebei_line(session, alice, now)
    findings = [missing_bill(facility.id), missing_bill(facility.id, CRITICAL)]
    apply_findings(session, findings, now=now, policy=POLICY)
    (alert,) = list_alerts(session, "all")
    assert alert.severity == "critical"


def test_open_alerts_include_acknowledged_ones(session, alice, now) -> None:
    """`open` means not resolved; `acknowledged`, `resolved` and `all` filter as they say."""
    facility = jiebei_line(session, alice, now)
    findings = six_missing_bills(facility.id)[:3]
    apply_findings(session, findings, now=now, policy=POLICY)
    first, second, third = list_alerts(session)
    acknowledge(session, alice, second.id, now=now, policy=POLICY)
    resolve(session, alice, third.id, "paid", now=now)

    assert list_alerts(session, "open") == [first, second]
    assert list_alerts(session, "acknowledged") == [second]
    assert list_alerts(session, "resolved") == [third]
    assert list_alerts(session, "all") == [first, second, third]
    with pytest.raises(InputError, match="open, acknowledged, resolved, all"):
        list_alerts(session, "snoozed")


# --- what the outbox carries ---------------------------------------------------------------------


def test_a_notification_carries_what_a_transport_needs(session, alice, now) -> None:
    """The payload renders without a query: ids, check, facility, severity, state, facts, who."""
    facility = jiebei_line(session, alice, now)
    facility.alert_channel = "C0JIEBEI"
    apply_findings(session, [missing_bill(facility.id, CRITICAL)], now=now, policy=POLICY)
    (alert,) = list_alerts(session)
    acknowledge(session, alice, alert.id, now=now, policy=POLICY)
    session.commit()

    opened, acked = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert (opened.channel, opened.state, opened.next_attempt_at) == ("C0JIEBEI", "pending", now)
    assert opened.alert_id == acked.alert_id == alert.id
    assert opened.payload == opened.payload | {
        "alert_id": alert.id,
        "check": "bill_missing",
        "facility": "jiebei-main",
        "severity": "critical",
        "state": "open",
        "summary": "expected 899.75 due 2026-12-10, no bill seen",
        "facts": {"Expected": "899.75", "Due": DUE, "Lead": "10 days", "Grace": "24 h"},
        "first_notice": True,
    }
    assert opened.payload["header"].startswith("CRITICAL: bill_missing on jiebei-main")
    assert acked.payload["state"] == "acknowledged"
    assert acked.payload["acknowledged_by"] == "cli:alice"
    assert "until 2026-11-29 10:00 CST" in acked.payload["header"]


def test_a_facility_without_a_channel_is_told_in_the_default_channel(session, alice, now) -> None:
    """No alert_channel on the facility: the policy's default channel gets the message."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, [missing_bill(facility.id)], now=now, policy=POLICY)
    assert session.scalars(select(OutboxMessage.channel)).all() == ["C0FINOPS"]


# --- admin alerts --------------------------------------------------------------------------------


def test_a_dead_letter_opens_one_critical_admin_alert(session, now) -> None:
    """delivery_failed, no facility, critical, told once to the default channel."""
    fingerprint = "delivery_failed:-:outbox-7"
    first = open_admin_alert(
        session, fingerprint=fingerprint, summary="not delivered", facts={}, now=now, policy=POLICY
    )
    again = open_admin_alert(
        session,
        fingerprint=fingerprint,
        summary="still not delivered",
        facts={"Attempts": "8"},
        now=now + timedelta(minutes=5),
        policy=POLICY,
    )

    (message,) = session.scalars(select(OutboxMessage)).all()
    assert again is first
    assert (first.check, first.facility_id, first.severity) == ("delivery_failed", None, "critical")
    assert (first.fingerprint, first.subject, first.summary) == (
        fingerprint,
        "outbox-7",
        "still not delivered",
    )
    assert (message.kind, message.channel, message.alert_id) == (
        "alert.opened",
        "C0FINOPS",
        first.id,
    )


def test_a_run_of_the_checks_does_not_resolve_an_admin_alert(session, now) -> None:
    """No check reports delivery failures, so their absence from a run clears nothing."""
    alert = open_admin_alert(
        session, fingerprint="delivery_failed:-:outbox-7", summary="x", facts={}, now=now
    )
    apply_findings(session, [], now=now + timedelta(minutes=15), policy=POLICY)
    assert alert.state == "open"


def test_an_admin_alert_resolves_when_its_condition_clears_and_says_so(session, now) -> None:
    """resolve_admin_alert ends the alert once; its posted message is told; a second is a no-op."""
    fingerprint = "check_failed:-:bill_unexpected"
    alert = open_admin_alert(
        session,
        check="check_failed",
        fingerprint=fingerprint,
        summary="bill_unexpected raised",
        facts={},
        now=now,
        policy=POLICY,
    )
    later = now + timedelta(minutes=15)

    resolved = resolve_admin_alert(
        session, fingerprint=fingerprint, reason="the check ran clean", now=later, policy=POLICY
    )
    again = resolve_admin_alert(
        session, fingerprint=fingerprint, reason="the check ran clean", now=later, policy=POLICY
    )

    assert resolved is alert
    assert again is None
    assert (alert.state, alert.resolve_reason) == ("resolved", "the check ran clean")
    kinds = session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["alert.opened", "alert.resolved"]


def test_an_admin_alert_seen_again_unchanged_writes_no_audit_record(session, now) -> None:
    """A condition that lasts many cycles is one alert and one record, not one per cycle."""
    for minutes in (0, 15, 30):
        open_admin_alert(
            session,
            check="check_failed",
            fingerprint="check_failed:-:data_stale",
            summary="data_stale raised",
            facts={},
            now=now + timedelta(minutes=minutes),
            policy=POLICY,
        )
    session.flush()
    actions = session.scalars(select(AuditRecord.action).where(AuditRecord.entity == "alerts"))
    assert actions.all() == ["alert.open"]


def test_only_admin_checks_open_admin_alerts(session, now) -> None:
    """A facility's check is not an admin alert: asking for one is a programming error."""
    with pytest.raises(ValueError, match="not an admin check"):
        open_admin_alert(
            session, check="bill_missing", fingerprint="x", summary="x", facts={}, now=now
        )


# --- the audit trail -----------------------------------------------------------------------------


def test_every_transition_has_an_audit_record(world: World) -> None:
    """Open, ack, ack expiry, snooze, snooze end, update, resolve, auto-resolve, silences."""
    for step in [
        Run(0),  # open
        Ack(1),  # acknowledge
        Run(25.25, severity=CRITICAL),  # ack expires; severity rises
        Snooze(26, hours=1),  # snooze
        Run(27.25, severity=CRITICAL),  # snooze ends
        Resolve(28),  # manual resolve
        Run(28.25),  # the condition holds: a new alert opens
        Run(28.5, firing=False),  # clears: auto-resolve
        Quiet(29, hours=1),  # silence added
    ]:
        step.play(world)
    with transaction(world.sessions) as session:
        (silence,) = active_silences(session, world.at(29.5))
        remove_silence(session, BOB, silence.id, now=world.at(29.5))

    with world.sessions() as session:
        trail = session.execute(
            select(AuditRecord.action, AuditRecord.actor)
            .where(AuditRecord.entity.in_(["alerts", "silences"]))
            .order_by(AuditRecord.id)
        ).all()
    assert [tuple(row) for row in trail] == [
        ("alert.open", "system"),
        ("alert.acknowledge", "cli:alice"),
        ("alert.ack_expire", "system"),
        ("alert.update", "system"),
        ("alert.snooze", "cli:alice"),
        ("alert.snooze_end", "system"),
        ("alert.resolve", "cli:alice"),
        ("alert.open", "system"),
        ("alert.auto_resolve", "system"),
        ("silence.add", "cli:alice"),
        ("silence.remove", BOB.name),
    ]


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d 4h", timedelta(days=2, hours=4)),
        (" 90M ", timedelta(minutes=90)),
        ("３０m", timedelta(minutes=30)),
        ("366d", timedelta(days=366)),
    ],
)
def test_a_duration_reads_minutes_hours_and_days(text: str, expected: timedelta) -> None:
    """The durations people type for snoozes and silences."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a duration"),
        ("30", "not a duration"),
        ("h", "not a duration"),
        ("1.5h", "not a duration"),
        ("30m4h", "not a duration"),
        ("-4h", "is negative; a duration must be positive"),
        ("4 hours", "not a duration"),
        ("0m", "longer than zero"),
        ("367d", "at most 366 days"),
        ("99999999999999999999d", "at most 366 days"),
    ],
)
def test_a_bad_duration_says_how_to_write_one(text: str, message: str) -> None:
    """Anything else is refused with the forms that work."""
    with pytest.raises(InputError, match=message):
        parse_duration(text)
