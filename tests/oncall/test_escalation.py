"""The escalation ladder on a fake clock, as the worker's wake-ups run it minute by minute.

The cast: jiebei-main (Asia/Shanghai) with the rotation `finance` (Ann on call this week, Ben
next); alerts go to #loan-alerts (C0ALERTS). Times are minutes after the alert opened.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.actions import acknowledge, resolve, snooze
from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings, wake_up
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.calendar import BusinessCalendar
from bot.models import Alert, AuditRecord, EscalationStep, OutboxMessage
from bot.oncall.config import EscalationConfig
from bot.oncall.engine import run_escalations
from bot.oncall.rotations import add_rotation, set_facility_rotation
from bot.oncall.words import ESCALATION_KIND
from tests.conftest import ALICE
from tests.ledger.cast import jiebei_line

POLICY = AlertPolicy(default_channel="C0ALERTS", timezone="Asia/Shanghai")
CALENDAR = BusinessCalendar()
CONFIG = EscalationConfig()
# Wednesday 2026-12-02, 10:00 in Shanghai: a working day, within business hours.
OPENED = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def _setup(session: Session, now: datetime) -> int:
    facility = jiebei_line(session, ALICE, now - timedelta(days=30))
    add_rotation(
        session,
        ALICE,
        "finance",
        members="U0ANN,U0BEN",
        handoff="mon 09:00",
        length="1w",
        timezone="Asia/Shanghai",
        now=now - timedelta(days=1),
    )
    set_facility_rotation(session, ALICE, facility, "finance", now=now)
    session.commit()
    return facility.id


def _open(
    session: Session,
    facility_id: int,
    check: str,
    severity: Severity,
    at: datetime,
    subject: str = "-",
) -> Alert:
    finding = Finding(check, facility_id, subject, severity, f"{check} on jiebei-main")
    apply_findings(session, [finding], now=at, policy=POLICY, checks_run=set())
    session.commit()
    return session.scalar(select(Alert).where(Alert.fingerprint == finding.fingerprint))


def _wake(session: Session, at: datetime) -> None:
    """What the worker's wake-up does each minute: end what ran out, then escalate."""
    wake_up(session, now=at, policy=POLICY)
    run_escalations(session, now=at, calendar=CALENDAR, config=CONFIG, policy=POLICY)
    session.commit()


def _walk(session: Session, start: datetime, end: datetime) -> None:
    moment = start
    while moment <= end:
        _wake(session, moment)
        moment += timedelta(minutes=1)


def _steps(session: Session, alert_id: int) -> list[tuple[int, int, str, str | None]]:
    """(minute after opening, round, action, who) of each escalation notice written."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == ESCALATION_KIND, OutboxMessage.alert_id == alert_id)
        .order_by(OutboxMessage.id)
    )
    return [
        (
            int((row.created_at - OPENED).total_seconds() // 60),
            row.payload["round"],
            row.payload["action"],
            row.payload.get("user"),
        )
        for row in rows
    ]


H = 60  # minutes in an hour


def _timeline(session: Session, actions: dict[int, object], last: int, coarse=()) -> None:
    """Wake every minute from the opening to minute `last` (every 7 minutes within the spans
    `coarse`), doing `actions[minute](at)` first at its minute."""
    minute = 0
    while minute <= last:
        at = OPENED + timedelta(minutes=minute)
        if minute in actions:
            actions[minute](at)
            session.commit()
        _wake(session, at)
        within = any(a <= minute < b for a, b in coarse)
        step = 7 if within and not any(minute < m <= minute + 7 for m in actions) else 1
        minute += step


def test_a_critical_alert_climbs_stops_at_ack_restarts_when_it_expires_and_waits_out_a_snooze(
    session,
) -> None:
    facility_id = _setup(session, OPENED)
    ignored = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "a")
    owned = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "b")

    def ack(at):
        acknowledge(session, ALICE, owned.id, now=at, policy=POLICY)

    def pause(at):
        snooze(session, ALICE, owned.id, at + timedelta(hours=1), now=at, policy=POLICY)

    def resolve_both(at):
        for alert in (ignored, owned):
            if alert.state != "resolved":
                resolve(session, ALICE, alert.id, "paid", now=at, policy=POLICY)

    expired = 24 * H + 20  # the acknowledgement (24 h) runs out
    snoozed = expired + 21
    ended = snoozed + H
    _timeline(
        session,
        {20: ack, snoozed: pause, ended + 30: resolve_both},
        ended + 3 * H,
        coarse=[(5 * H, expired - 10), (ended + 31, ended + 3 * H)],
    )
    assert _steps(session, ignored.id) == [
        (0, 0, "oncall", "U0ANN"),
        (15, 0, "dm", "U0ANN"),
        (45, 0, "next", "U0BEN"),
        (2 * H, 0, "here", None),
        (3 * H + 15, 0, "here", None),  # the last step repeated twice, 75 minutes apart
        (4 * H + 30, 0, "here", None),
    ]
    assert _steps(session, owned.id) == [
        (0, 0, "oncall", "U0ANN"),
        (15, 0, "dm", "U0ANN"),
        # Acknowledged at minute 20: nothing for the 24 hours the acknowledgement lasts; it
        # runs out at 24h20m and the ladder starts again, timed from then.
        (expired, 1, "oncall", "U0ANN"),
        (expired + 15, 1, "dm", "U0ANN"),
        # Snoozed for an hour 21 minutes later: nothing during it; again from its end.
        (ended, 2, "oncall", "U0ANN"),
        (ended + 15, 2, "dm", "U0ANN"),
        # Resolved at ended + 30: the ladder ends.
    ]
    escalations = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "alert.escalate")
    ).all()
    assert len(escalations) == 12
    # The audit keeps the plain words; Slack gets the mentions.
    assert escalations[0].after["text"].startswith("@U0ANN, you are on call: alert")


def test_a_warning_climbs_in_business_hours_and_waits_for_the_next_morning(session) -> None:
    facility_id = _setup(session, OPENED)
    alert = _open(session, facility_id, Check.LIMIT_DROPPED, Severity.WARNING, OPENED)
    _walk(session, OPENED, OPENED + timedelta(minutes=6 * H + 5))
    assert _steps(session, alert.id) == [
        (0, 0, "oncall", "U0ANN"),
        (30, 0, "dm", "U0ANN"),
        (2 * H, 0, "next", "U0BEN"),
        (4 * H, 0, "here", None),
        (6 * H, 0, "here", None),  # 16:00, repeated once, 2 hours on
    ]
    # Acknowledged at 16:10; it expires on Thursday at 16:10, when the ladder starts again:
    # at once, 30 minutes later; its clock stops at 18:00 with 1h50m gone, so the 2-hour step
    # is due Friday at 09:10, the 4-hour one at 11:10 and its repeat at 13:10.
    acknowledge(session, ALICE, alert.id, now=OPENED + timedelta(minutes=6 * H + 10), policy=POLICY)
    session.commit()
    moment = OPENED + timedelta(minutes=6 * H + 10)
    while moment < OPENED + timedelta(hours=47):
        _wake(session, moment)
        moment += timedelta(minutes=5)
    _walk(session, OPENED + timedelta(hours=47), OPENED + timedelta(hours=52))
    restart = 30 * H + 10
    friday_nine = 47 * H  # Friday 2026-12-04 09:00 in Shanghai
    assert _steps(session, alert.id)[5:] == [
        (restart, 1, "oncall", "U0ANN"),
        (restart + 30, 1, "dm", "U0ANN"),
        (friday_nine + 10, 1, "next", "U0BEN"),
        (friday_nine + 2 * H + 10, 1, "here", None),
        (friday_nine + 4 * H + 10, 1, "here", None),
    ]


@pytest.mark.parametrize(
    ("severity", "first_minute"),
    [
        # Opened Wednesday 2025-12-31 22:00 in Shanghai, the eve of New Year's Day. Thursday
        # and Friday are holidays, Saturday is off, and Sunday 2026-01-04 is a make-up
        # working day: the warning's first step is at 09:00 that Sunday.
        (Severity.WARNING, (3 * 24 + 11) * 60),
        # A critical one escalates at once, holiday or not.
        (Severity.CRITICAL, 0),
    ],
)
def test_out_of_hours_on_a_holiday_eve(session, severity, first_minute) -> None:
    eve = datetime(2025, 12, 31, 14, 0, tzinfo=UTC)
    facility_id = _setup(session, eve)
    check = Check.LIMIT_DROPPED if severity == Severity.WARNING else Check.LIMIT_FROZEN
    alert = _open(session, facility_id, check, severity, eve)
    moment = eve
    while moment <= eve + timedelta(days=4):
        _wake(session, moment)
        moment += timedelta(minutes=10)
    first = session.scalars(
        select(EscalationStep)
        .where(EscalationStep.alert_id == alert.id)
        .order_by(EscalationStep.id)
    ).first()
    assert first is not None
    assert first.due_at == eve + timedelta(minutes=first_minute)
    assert first.ran_at == first.due_at
    if severity == Severity.WARNING:
        assert first.due_at == datetime(2026, 1, 4, 1, 0, tzinfo=UTC)  # Sunday 09:00 CST


def test_an_alert_on_a_facility_without_a_rotation_does_not_escalate(session) -> None:
    """No rotation of its own and no default: the alert is posted and waits, as before."""
    facility = jiebei_line(session, ALICE, OPENED - timedelta(days=30))
    session.commit()
    alert = _open(session, facility.id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED)
    moment = OPENED
    while moment <= OPENED + timedelta(hours=5):
        _wake(session, moment)
        moment += timedelta(minutes=5)
    assert _steps(session, alert.id) == []


def test_a_rotation_added_later_starts_old_alerts_ladders_then_not_all_at_once(session) -> None:
    """An alert opened a day before the team's first rotation: its first step comes when the
    rotation is added, the next 15 minutes later; nothing of the day before runs in a burst."""
    facility = jiebei_line(session, ALICE, OPENED - timedelta(days=30))
    session.commit()
    alert = _open(session, facility.id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED)
    added = OPENED + timedelta(days=1)
    add_rotation(
        session,
        ALICE,
        "finance",
        members="U0ANN,U0BEN",
        handoff="mon 09:00",
        length="1w",
        timezone="Asia/Shanghai",
        now=added,
    )
    set_facility_rotation(session, ALICE, facility, "finance", now=added)
    session.commit()
    _walk(session, added, added + timedelta(minutes=20))
    day = 24 * H
    assert _steps(session, alert.id) == [(day, 0, "oncall", "U0ANN"), (day + 15, 0, "dm", "U0ANN")]
