"""Deadline-aware urgency: money at risk from the ledger, and a near deadline escalates at once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.ledger.bills import record_bill
from bot.models import EscalationStep, Facility, OutboxMessage
from bot.oncall.words import ESCALATION_KIND
from tests.conftest import ALICE
from tests.oncall.test_escalation import _open, _setup, _wake

# Friday 2026-12-04, 22:00 in Shanghai: after business hours, before a weekend.
FRIDAY_NIGHT = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "words", "first_step"),
    [
        # Due Monday: one business day away (the weekend does not count). Urgent: the warning
        # escalates as critical, at once, Friday night.
        (
            date(2026, 12, 7),
            "¥4,498.77 due in 1 business day; late fee ≈ ¥2.70/day",
            FRIDAY_NIGHT,
        ),
        # Due Thursday: four business days away. A plain warning: Monday 09:00, when it is
        # three away.
        (
            date(2026, 12, 10),
            "¥4,498.77 due in 3 business days; late fee ≈ ¥2.70/day",
            datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
        ),
    ],
    ids=["due-monday", "due-thursday"],
)
def test_a_bill_due_within_two_business_days_escalates_as_critical_with_its_money(
    session, due, words, first_step
) -> None:
    facility_id = _setup(session, FRIDAY_NIGHT)
    facility = session.get(Facility, facility_id)
    recorded = record_bill(
        session,
        ALICE,
        facility,
        due_date=due,
        amount=Decimal("4498.77"),
        paid=False,
        now=FRIDAY_NIGHT - timedelta(days=1),
        observed_at=FRIDAY_NIGHT - timedelta(days=1),
    )
    session.commit()
    subject = f"{due.isoformat()}#b{recorded.row.id}"
    alert = _open(
        session, facility_id, Check.BILL_DUE_SOON, Severity.WARNING, FRIDAY_NIGHT, subject
    )
    moment = FRIDAY_NIGHT
    while moment <= datetime(2026, 12, 7, 2, 0, tzinfo=UTC):
        _wake(session, moment)
        moment += timedelta(minutes=10)
    first = session.scalars(
        select(EscalationStep)
        .where(EscalationStep.alert_id == alert.id)
        .order_by(EscalationStep.id)
    ).first()
    assert first is not None
    assert first.due_at == first_step
    notice = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == ESCALATION_KIND)
        .order_by(OutboxMessage.id)
    ).first()
    assert words in notice.payload["text"]
    expected = "critical" if first_step == FRIDAY_NIGHT else "warning"
    assert notice.payload["severity"] == expected


def test_a_warning_turned_urgent_says_how_long_it_has_waited_since_it_opened(session) -> None:
    """Opened Friday 10:00, due Wednesday: urgent from Monday 00:00, when the critical ladder
    starts (its last @here, 4 h 30 min later, is due Monday 04:30). Its line says the alert has
    waited since Friday 10:00, not 4 h 30 min."""
    opened = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    facility_id = _setup(session, opened)
    facility = session.get(Facility, facility_id)
    recorded = record_bill(
        session,
        ALICE,
        facility,
        due_date=date(2026, 12, 9),
        amount=Decimal("4498.77"),
        paid=False,
        now=opened - timedelta(days=1),
        observed_at=opened - timedelta(days=1),
    )
    session.commit()
    subject = f"2026-12-09#b{recorded.row.id}"
    _open(session, facility_id, Check.BILL_DUE_SOON, Severity.WARNING, opened, subject)
    monday_0430 = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)
    for hours in (0, 0.5, 2, 4, 6, 8):
        _wake(session, opened + timedelta(hours=hours))
    _wake(session, monday_0430)
    last = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == ESCALATION_KIND)
        .order_by(OutboxMessage.id.desc())
    ).first()
    step = session.scalars(select(EscalationStep).order_by(EscalationStep.id.desc())).first()
    assert (step.severity, step.rung, step.due_at) == ("critical", "here#2", monday_0430)
    assert "is unacknowledged after 2 days 18 h —" in last.payload["text"]
