"""Runs that open or find again many alerts at once, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.findings import Finding, Severity
from bot.alerts.lifecycle import (
    AlertPolicy,
    RunSummary,
    add_silence,
    apply_findings,
    list_alerts,
)
from bot.audit import Actor
from bot.models import Alert, AuditRecord, OutboxMessage
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
        assert record.after == audit.snapshot(alert) | {"last_notified_at": None}


def _count(session: Session, model: type[Alert] | type[AuditRecord] | type[OutboxMessage]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
