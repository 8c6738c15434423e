"""Exact boundaries of the alert lifecycle, on SQLite and PostgreSQL: the moment an
acknowledgement runs out, and the length of a reason a person may store."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.actions import acknowledge, list_alerts, resolve
from bot.alerts.detection import apply_findings, wake_up
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.alerts.silences import add_silence
from bot.audit import Actor
from bot.durations import parse_duration
from bot.errors import InputError
from bot.models import Alert, OutboxMessage, Silence
from bot.typed import MAX_TEXT_CHARS
from tests.ledger.cast import jiebei_line

POLICY = AlertPolicy(ack_expiry=timedelta(hours=24), default_channel="C0FINOPS")


def missing_bill(facility_id: int) -> Finding:
    """What bill_missing reports for the installment due 2026-12-10."""
    return Finding(
        "bill_missing",
        facility_id,
        "2026-12-10",
        Severity.WARNING,
        "expected 899.75 due 2026-12-10, no bill seen",
        {"Expected": "899.75"},
    )


@pytest.fixture
def firing(session: Session, alice: Actor, now: datetime) -> Alert:
    """An open bill_missing alert on Alice's Jiebei line."""
    facility = jiebei_line(session, alice, now)
    apply_findings(session, [missing_bill(facility.id)], now=now, policy=POLICY)
    return list_alerts(session)[0]


def test_a_resolve_reason_is_capped_at_the_domain(session, alice, now, firing) -> None:
    """A reason past 2,000 characters is refused whoever calls (the form caps it too); the
    alert stays open. 2,000 are kept."""
    with pytest.raises(InputError, match="the reason is 2,001 characters long; keep it to 2,000"):
        resolve(session, alice, firing.id, "r" * (MAX_TEXT_CHARS + 1), now=now, policy=POLICY)
    assert firing.state == "open"

    resolve(session, alice, firing.id, "r" * MAX_TEXT_CHARS, now=now, policy=POLICY)
    assert firing.resolve_reason == "r" * MAX_TEXT_CHARS


def test_a_silence_reason_is_capped_at_the_domain(session, alice, now) -> None:
    """A silence's reason past 2,000 characters is refused and no silence is added."""
    with pytest.raises(InputError, match="the reason is 2,001 characters long"):
        add_silence(
            session,
            alice,
            everything=True,
            duration=timedelta(hours=2),
            reason="m" * (MAX_TEXT_CHARS + 1),
            now=now,
        )
    session.flush()
    assert session.scalar(select(func.count()).select_from(Silence)) == 0


# --- the moment an acknowledgement runs out ----------------------------------------------


def reminders(session: Session) -> list[dict]:
    """The reminders written so far, as the transport would read them."""
    return [
        message.payload
        for message in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "alert.reminder")
            .order_by(OutboxMessage.id)
        )
    ]


@pytest.mark.parametrize(
    ("after", "expired"), [(timedelta(seconds=-1), False), (timedelta(0), True)]
)
def test_a_run_at_the_exact_hour_an_acknowledgement_ends_expires_it(
    session, alice, now, firing, after, expired
) -> None:
    """Acknowledged for 24 h and still firing: a run one second before the 24th hour leaves Alice
    the owner; a run at that very moment gives the alert back and reminds."""
    acknowledge(session, alice, firing.id, now=now, policy=POLICY)
    run_at = now + POLICY.ack_expiry + after

    apply_findings(session, [missing_bill(firing.facility_id)], now=run_at, policy=POLICY)

    assert firing.state == ("open" if expired else "acknowledged")
    assert firing.acknowledged_by == (None if expired else "cli:alice")
    assert [r.get("reasons") for r in reminders(session)] == ([["ack_expired"]] if expired else [])


@pytest.mark.parametrize(
    ("after", "expired"), [(timedelta(seconds=-1), False), (timedelta(0), True)]
)
def test_a_wake_up_at_the_exact_hour_an_acknowledgement_ends_expires_it(
    session, alice, now, firing, after, expired
) -> None:
    """Between runs, the minute's wake-up expires the acknowledgement at its 24th hour, not a
    second before."""
    acknowledge(session, alice, firing.id, now=now, policy=POLICY)
    session.flush()

    summary = wake_up(session, now=now + POLICY.ack_expiry + after, policy=POLICY)

    assert firing.state == ("open" if expired else "acknowledged")
    assert summary.reminded == (1 if expired else 0)


# --- durations, typed -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "hours"), [("4h", 4), ("４h", 4), ("１d", 24)])
def test_a_duration_takes_ascii_and_full_width_digits(typed: str, hours: int) -> None:
    """Digits as a Chinese input method types them read like ASCII ones."""
    assert parse_duration(typed) == timedelta(hours=hours)


@pytest.mark.parametrize("typed", ["٣h", "²h", "4²h"])
def test_a_duration_in_other_digits_is_refused(typed: str) -> None:
    """Other scripts' digits and superscripts are not a number of hours, as everywhere else."""
    with pytest.raises(InputError, match="is not a duration"):
        parse_duration(typed)
