"""`draw_unconfirmed`'s finding, written once for the two that open it.

The check (`jobs.checks.draws`) opens it for a draw its confirm window passed with nothing
confirming it, and for a draw whose drawer answered **No** to "Did the money arrive?"; the
**No** itself opens it at once (:func:`open_not_arrived`), through the same alert machinery a
run of the checks uses, so the finding, and so the alert, is the one the check reports next:
same fingerprint (`draw_unconfirmed:<facility>:d<draw>`), same words. The check keeps finding
it until something confirms the draw, and then it resolves.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.models import Draw, Facility, Installment
from bot.money import format_money


@dataclass(frozen=True)
class UnconfirmedDraw:
    """What the finding says about a draw nothing confirms."""

    draw_id: int
    facility_id: int
    slug: str
    timezone: str
    currency: str
    amount: Decimal
    drawn_on: date
    created_at: datetime
    first_due: date
    # The confirm window that passed (only said when the drawer did not say No).
    window_hours: int = 0
    # The drawer's **No** to "Did the money arrive?" (who, when), if they said it.
    said_no_by: str | None = None
    said_no_at: datetime | None = None


def local_time(moment: datetime, timezone: str) -> str:
    """`2026-12-02 10:07 (Asia/Shanghai)`, as the checks write times."""
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"


def unconfirmed_finding(draw: UnconfirmedDraw) -> Finding:
    """The finding for a draw that nothing confirms (or that its drawer said did not arrive)."""
    amount = format_money(draw.amount, draw.currency)
    evidence = f"no payout seen, no bill for the first installment due {draw.first_due.isoformat()}"
    if draw.said_no_at is None:
        summary = (
            f"draw of {amount} on {draw.drawn_on.isoformat()} not confirmed "
            f"{draw.window_hours} h after it was logged: {evidence}"
        )
    else:
        summary = (
            f"draw of {amount} on {draw.drawn_on.isoformat()}: the drawer said the money has "
            f"not arrived (No at {local_time(draw.said_no_at, draw.timezone)}); {evidence}"
        )
    facts = {
        "Facility": draw.slug,
        "Draw": f"#{draw.draw_id}",
        "Amount": amount,
        "Drawn on": draw.drawn_on.isoformat(),
        "Logged": local_time(draw.created_at, draw.timezone),
        "First installment due": draw.first_due.isoformat(),
    }
    if draw.said_no_at is not None:
        facts["Money arrived?"] = (
            f"No, said {draw.said_no_by} at {local_time(draw.said_no_at, draw.timezone)}"
        )
    return Finding(
        check=Check.DRAW_UNCONFIRMED,
        facility_id=draw.facility_id,
        subject=f"d{draw.draw_id}",
        severity=Severity.WARNING,
        summary=summary,
        facts=facts,
    )


def open_not_arrived(
    session: Session,
    draw: Draw,
    facility: Facility,
    *,
    said_by: str,
    now: datetime,
    policy: AlertPolicy,
) -> None:
    """The drawer said No: `draw_unconfirmed` opens for the draw now (or, open already, says
    so), told as any new alert is; no other alert is touched."""
    first_due = session.scalar(
        select(func.min(Installment.due_date)).where(Installment.draw_id == draw.id)
    )
    assert first_due is not None
    finding = unconfirmed_finding(
        UnconfirmedDraw(
            draw_id=draw.id,
            facility_id=facility.id,
            slug=facility.slug,
            timezone=facility.timezone,
            currency=facility.currency,
            amount=draw.amount,
            drawn_on=draw.drawn_on,
            created_at=draw.created_at,
            first_due=first_due,
            said_no_by=said_by,
            said_no_at=now,
        )
    )
    apply_findings(session, [finding], now=now, policy=policy, checks_run=set())
