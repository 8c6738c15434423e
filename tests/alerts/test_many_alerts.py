"""Runs that open or find again many alerts at once, on SQLite and PostgreSQL."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.alerts.actions import acknowledge, list_alerts, resolve
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy, RunSummary
from bot.alerts.silences import add_silence
from bot.audit import Actor
from bot.db import transaction
from bot.models import Alert, AuditRecord, OutboxMessage
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line

POLICY = AlertPolicy(default_channel="C0FINOPS")


def missing_bills(facility_id: int, months: int) -> list[Finding]:
    """The bill_missing findings for `months` installments of one facility, none with a bill."""
    return [
        Finding(
            check="bill_missing",
            facility_id=facility_id,
            subject=f"2026-{month:02}-10",
            severity=Severity.WARNING,
            summary=f"expected 899.75 due 2026-{month:02}-10, no bill seen",
            facts={"Expected": "899.75", "Due": f"2026-{month:02}-10"},
        )
        for month in range(1, months + 1)
    ]


def test_a_run_opening_many_alerts_audits_and_tells_each_as_it_would_one_alone(
    session: Session, alice: Actor, now: datetime
) -> None:
    """Storm, small batch, silence: one audit record each, the same outbox rows, told ones stamped.

    Seven alerts for the main line's channel are one grouped message, two for the backup line
    (default channel) are told one by one, three under a silence are opened and told nobody.
    """
    main = jiebei_line(session, alice, now)
    main.alert_channel = "C0MAIN"
    backup = jiebei_line(session, alice, now, slug="jiebei-backup")
    quiet = jiebei_line(session, alice, now, slug="jiebei-quiet")
    add_silence(
        session, alice, facility_id=quiet.id, duration=timedelta(hours=4), reason="upgrade", now=now
    )
    findings = missing_bills(main.id, 7) + missing_bills(backup.id, 2) + missing_bills(quiet.id, 3)

    summary = apply_findings(session, findings, now=now, policy=POLICY)
    session.commit()

    assert summary == RunSummary(opened=12, notified=3, silenced=3, grouped=7)
    alerts = list_alerts(session)
    assert [a.fingerprint for a in alerts] == [f.fingerprint for f in findings]
    by_facility = {
        f.id: [a for a in alerts if a.facility_id == f.id] for f in (main, backup, quiet)
    }
    outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.channel, m.alert_id) for m in outbox] == [
        ("alert.group", "C0MAIN", None),
        ("alert.opened", "C0FINOPS", by_facility[backup.id][0].id),
        ("alert.opened", "C0FINOPS", by_facility[backup.id][1].id),
    ]
    assert outbox[0].payload["alert_ids"] == [a.id for a in by_facility[main.id]]
    assert all(m.payload["first_notice"] for m in outbox[1:])

    told = by_facility[main.id] + by_facility[backup.id]
    assert {a.last_notified_at for a in told} == {now}
    # The storm's alerts keep its message's token: they escalate together (bot.oncall.together).
    assert {a.told_in for a in by_facility[main.id]} == {outbox[0].token}
    assert {a.told_in for a in by_facility[backup.id]} == {None}
    assert {a.last_notified_at for a in by_facility[quiet.id]} == {None}
    records = session.scalars(
        select(AuditRecord).where(AuditRecord.entity == "alerts").order_by(AuditRecord.id)
    ).all()
    assert [(r.action, r.actor, r.entity_id) for r in records] == [
        ("alert.open", "system", str(a.id)) for a in alerts
    ]
    for record, alert in zip(records, alerts, strict=True):
        # The alert as it opened, before anyone was told of it.
        assert record.before is None
        told_as = {"last_notified_at": None, "told_in": None}
        assert record.after == audit.snapshot(alert) | told_as


def test_finding_many_alerts_again_unchanged_moves_only_their_last_seen_time(
    session: Session, alice: Actor, now: datetime
) -> None:
    """No audit record, no notification, no new version: the alerts were seen again, that's all."""
    facility = jiebei_line(session, alice, now)
    findings = missing_bills(facility.id, 8)
    apply_findings(session, findings, now=now, policy=POLICY)
    session.commit()
    records, messages = _count(session, AuditRecord), _count(session, OutboxMessage)
    later = now + timedelta(minutes=15)

    summary = apply_findings(session, findings, now=later, policy=POLICY)
    session.commit()

    assert summary == RunSummary(updated=8)
    assert (_count(session, AuditRecord), _count(session, OutboxMessage)) == (records, messages)
    session.expire_all()
    alerts = list_alerts(session)
    assert {(a.state, a.opened_at, a.last_seen_at, a.version) for a in alerts} == {
        ("open", now, later, 1)
    }


Act = Callable[[Session, int, datetime], object]


def _ack(session: Session, alert_id: int, now: datetime) -> object:
    return acknowledge(session, ALICE, alert_id, now=now, policy=POLICY)


def _resolve(session: Session, alert_id: int, now: datetime) -> object:
    return resolve(session, ALICE, alert_id, "paid by phone", now=now)


@pytest.mark.parametrize(
    ("act", "state", "seen_by_the_run"),
    [(_ack, "acknowledged", True), (_resolve, "resolved", False)],
    ids=["acknowledged", "resolved"],
)
def test_what_alice_does_while_a_run_finds_the_alert_again_stands(
    sessions: sessionmaker[Session], now: datetime, act: Act, state: str, seen_by_the_run: bool
) -> None:
    """Alice acts after the run read the alerts, before it writes: her change stands.

    An acknowledgement stays (the run only moves `last_seen_at`); a resolved alert is not
    touched, let alone reopened (if the bill is still missing, the next run opens a new one).
    """
    with transaction(sessions) as session:
        facility = jiebei_line(session, ALICE, now)
        findings = missing_bills(facility.id, 1)
        apply_findings(session, findings, now=now, policy=POLICY)
    with sessions() as session:
        alert_id = session.scalars(select(Alert.id)).one()
    later = now + timedelta(minutes=15)

    with sessions() as run:
        acted: list[object] = []

        @event.listens_for(run.connection(), "before_cursor_execute")
        def alice_acts_first(*args: object) -> None:
            # The run's first change to an alert: it has read them and decided what to do.
            statement = args[2]
            if isinstance(statement, str) and statement.startswith("UPDATE alerts") and not acted:
                with transaction(sessions) as alices:
                    acted.append(act(alices, alert_id, later))

        summary = apply_findings(run, findings, now=later, policy=POLICY)
        run.commit()

    assert acted
    assert summary.updated == 1
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.state == state
        assert ALICE.name == (alert.acknowledged_by or alert.resolved_by)
        assert alert.last_seen_at == (later if seen_by_the_run else now)
        assert _count(session, Alert) == 1


def _count(session: Session, model: type[Alert] | type[AuditRecord] | type[OutboxMessage]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
