"""Escalation of alerts told together, of a ladder that changes mid-round, and after a silence.

The cast is test_escalation's: jiebei-main with the rotation `finance` (Ann on call, Ben next),
alerts in #loan-alerts; times are minutes after the alerts opened (a fake clock).
"""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.actions import acknowledge
from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.notices import NoticeKind
from bot.alerts.silences import add_silence
from bot.models import Alert, AuditRecord, EscalationStep, OutboxMessage
from bot.oncall.policy import Action, Step, set_policy
from bot.oncall.rotations import OnCall
from bot.oncall.together import DueStep, group_notice
from bot.oncall.words import ESCALATION_KIND
from tests.conftest import ALICE
from tests.oncall.test_escalation import OPENED, POLICY, H, _open, _setup, _wake


def _at(minute: int):
    return OPENED + timedelta(minutes=minute)


def _notices(session: Session) -> list[dict]:
    """The payload of each escalation notice written, in order."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == ESCALATION_KIND)
        .order_by(OutboxMessage.id)
    )
    return [row.payload for row in rows]


def _storm(session: Session, facility_id: int, count: int) -> list[Alert]:
    """`count` frozen-limit alerts opened in one run: more than the storm threshold (5)."""
    findings = [
        Finding(Check.LIMIT_FROZEN, facility_id, f"s{n}", Severity.CRITICAL, f"frozen {n}")
        for n in range(count)
    ]
    apply_findings(session, findings, now=OPENED, policy=POLICY, checks_run=set())
    session.commit()
    return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_storm_escalates_as_one_notice_per_step_until_all_its_alerts_are_acknowledged(
    session,
) -> None:
    facility_id = _setup(session, OPENED)
    alerts = _storm(session, facility_id, 8)
    [group] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.GROUP))
    for minute in (0, 15):
        _wake(session, _at(minute))
    notices = _notices(session)
    # One mention, then one DM, for the eight alerts, not eight of each.
    assert [(n["action"], n["user"]) for n in notices] == [("oncall", "U0ANN"), ("dm", "U0ANN")]
    assert [(n["action"], n["user"], n["alert_ids"]) for n in notices] == [
        ("oncall", "U0ANN", [a.id for a in alerts]),
        ("dm", "U0ANN", [a.id for a in alerts]),
    ]
    assert all(n["thread"] == group.token for n in notices)  # in the storm message's thread
    assert notices[0]["text"] == (
        "@U0ANN, you are on call: 8 alerts (limit_frozen on jiebei-main) need an "
        "acknowledgement — the largest at risk: ¥200,000.00 of undrawn limit"
    )
    # Each alert keeps its own step rows and audit records.
    assert session.scalar(select(func.count()).select_from(EscalationStep)) == 16
    audits = select(func.count()).where(AuditRecord.action == "alert.escalate")
    assert session.scalar(audits) == 16

    # Ann acknowledges one of them: it leaves the group; the others go on together.
    acknowledge(session, ALICE, alerts[0].id, now=_at(20), policy=POLICY)
    session.commit()
    _wake(session, _at(45))
    [nxt] = _notices(session)[2:]
    assert nxt["action"] == "next"
    assert nxt["alert_ids"] == [a.id for a in alerts[1:]]
    assert nxt["text"].startswith("@U0BEN, next on call: 7 alerts (limit_frozen on jiebei-main)")

    # All acknowledged: the group's ladder stops.
    for alert in alerts[1:]:
        acknowledge(session, ALICE, alert.id, now=_at(50), policy=POLICY)
    session.commit()
    _wake(session, _at(2 * H))
    assert len(_notices(session)) == 3


def test_two_alerts_about_one_bill_escalate_as_one_notice(session) -> None:
    """One past bill opens bill_unexpected and bill_overdue on one subject (finding 17)."""
    facility_id = _setup(session, OPENED)
    subject = "2026-11-30#b1"
    first = _open(session, facility_id, Check.BILL_UNEXPECTED, Severity.CRITICAL, OPENED, subject)
    second = _open(session, facility_id, Check.BILL_OVERDUE, Severity.CRITICAL, OPENED, subject)
    other = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "x")
    _wake(session, _at(0))
    notices = _notices(session)
    assert [n["alert_id"] for n in notices] == [first.id, other.id]
    assert [(n["alert_id"], n["alert_ids"]) for n in notices] == [
        (first.id, [first.id, second.id]),
        (other.id, []),  # another subject: a notice of its own
    ]
    assert notices[0]["text"] == (
        f"@U0ANN, you are on call: alerts {first.id} and {second.id} "
        "(bill_overdue, bill_unexpected on jiebei-main) need an acknowledgement"
    )


def test_a_due_date_and_its_bill_escalate_as_one_notice_per_step(session) -> None:
    """bill_amount_mismatch names the due date, bill_due_soon the bill due that day: one bill,
    so one mention, one DM, one next, not two of each."""
    facility_id = _setup(session, OPENED)
    mismatch = _open(
        session, facility_id, Check.BILL_AMOUNT_MISMATCH, Severity.WARNING, OPENED, "2027-01-10"
    )
    soon = _open(
        session, facility_id, Check.BILL_DUE_SOON, Severity.WARNING, OPENED, "2027-01-10#b1"
    )
    other = _open(
        session, facility_id, Check.BILL_DUE_SOON, Severity.WARNING, OPENED, "2027-02-10#b2"
    )
    for minute in (0, 30, 2 * H):
        _wake(session, _at(minute))
    both = [mismatch.id, soon.id]
    assert [(n["action"], n["alert_id"], n["alert_ids"]) for n in _notices(session)] == [
        ("oncall", mismatch.id, both),
        ("oncall", other.id, []),  # another due date: a notice of its own
        ("dm", mismatch.id, both),
        ("dm", other.id, []),
        ("next", mismatch.id, both),
        ("next", other.id, []),
    ]


def test_a_groups_line_says_the_longest_wait_among_its_alerts() -> None:
    """Alert 2's round began 19 h 8 min ago, alert 5's 19 h 30 min ago (its ack ran out
    earlier): the group has waited 19 h 30 min, not the first alert's 19 h 8 min."""
    now = OPENED + timedelta(days=1)
    rotation = SimpleNamespace(id=1)
    duty = OnCall("finance", now, "U0ANN", now, now + timedelta(days=1), "U0BEN", False)
    steps = [
        DueStep(
            SimpleNamespace(
                id=alert_id,
                check="bill_due_soon",
                slug="jiebei-main",
                told_in="g1",
                escalation_round=1,
            ),
            rotation,
            "warning",
            None,
            2,
            Step(timedelta(hours=2), Action.NEXT),
            now - timedelta(minutes=waited),
            now,
            "next#0",
        )
        for alert_id, waited in ((2, 19 * H + 8), (5, 19 * H + 30))
    ]
    notice = group_notice(steps, {1: duty}, now)  # type: ignore[arg-type]
    assert notice.to_payload()["text"] == (
        "@U0BEN, next on call: alerts 2 and 5 (bill_due_soon on jiebei-main) are "
        "unacknowledged after 19 h 30 min"
    )


def _done(session: Session, alert_id: int) -> list[tuple[int, str, str, bool]]:
    """(minute due, ladder, action, passed over) of each step row of the alert."""
    rows = session.scalars(
        select(EscalationStep)
        .where(EscalationStep.alert_id == alert_id)
        .order_by(EscalationStep.id)
    )
    return [
        (
            int((r.due_at - OPENED).total_seconds() // 60),
            getattr(r, "severity", None),
            r.action,
            getattr(r, "skipped", False),
        )
        for r in rows
    ]


def test_a_ladder_changed_mid_round_runs_its_new_due_steps_and_repeats_none(session) -> None:
    facility_id = _setup(session, OPENED)
    alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED)
    for minute in (0, 15):
        _wake(session, _at(minute))
    # Minute 16: an admin puts a user group before the DM, which has already run.
    set_policy(
        session,
        ALICE,
        "critical",
        steps="0m:oncall,5m:group:S0FIN,15m:dm,45m:next",
        repeat=0,
        now=_at(16),
    )
    session.commit()
    for minute in (16, 17, 45, 46, 3 * H):
        _wake(session, _at(minute))
    assert [(m, a) for m, _, a, _ in _done(session, alert.id)] == [
        (0, "oncall"),
        (15, "dm"),
        (5, "group"),  # due under the new ladder and never run: it runs at once
        (45, "next"),  # the DM is not sent again
    ]


def test_a_warning_turned_critical_runs_the_critical_steps_it_missed_and_repeats_none(
    session,
) -> None:
    facility_id = _setup(session, OPENED)
    set_policy(session, ALICE, "warning", steps="0m:oncall,30m:here", repeat=0, now=OPENED)
    session.commit()
    alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.WARNING, OPENED)
    for minute in (0, 30):
        _wake(session, _at(minute))
    # Minute 40: the check finds it critical now.
    _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, _at(40))
    for minute in (40, 45, 2 * H, 3 * H + 15):
        _wake(session, _at(minute))
    assert [(m, a) for m, _, a, _ in _done(session, alert.id)] == [
        (0, "oncall"),
        (30, "here"),
        (15, "dm"),
        (45, "next"),
        (3 * H + 15, "here"),
    ]
    assert _done(session, alert.id) == [
        (0, "warning", "oncall", False),
        (30, "warning", "here", False),
        # The critical ladder's DM, due at 15 minutes, was never sent: it is sent now.
        (15, "critical", "dm", False),
        (45, "critical", "next", False),
        # Its 2h @here was done on the warning ladder; its repeat (3h15) still runs.
        (3 * H + 15, "critical", "here", False),
    ]


def test_a_silence_that_ends_runs_only_the_latest_step_it_held(session) -> None:
    facility_id = _setup(session, OPENED)
    alert = _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED)
    _wake(session, _at(0))
    add_silence(
        session,
        ALICE,
        facility_id=facility_id,
        duration=timedelta(minutes=129),
        reason="platform maintenance",
        now=_at(1),
    )
    session.commit()
    for minute in (15, 45, 2 * H, 2 * H + 10, 3 * H + 15):
        _wake(session, _at(minute))
    assert [(n["action"], n["alert_id"]) for n in _notices(session)] == [
        ("oncall", alert.id),
        # The silence ended at 2h10: the DM, the next person and the @here it held do not
        # all go at once; only the @here (the latest due) does.
        ("here", alert.id),
        ("here", alert.id),  # its first repeat, at 3h15 as usual
    ]
    assert [(m, a, s) for m, _, a, s in _done(session, alert.id)][1:3] == [
        (15, "dm", True),
        (45, "next", True),
    ]
