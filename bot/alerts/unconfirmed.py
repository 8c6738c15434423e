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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity, worded
from bot.alerts.policy import AlertPolicy
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Moment, Money, Text
from bot.models import Draw, Facility, Installment


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


def unconfirmed_finding(draw: UnconfirmedDraw) -> Finding:
    """The finding for a draw that nothing confirms (or that its drawer said did not arrive)."""
    zone = draw.timezone
    args: dict[str, Arg] = {
        "amount": Money(draw.amount, draw.currency),
        "drawn_on": Day(draw.drawn_on),
        "first_due": Day(draw.first_due),
    }
    facts: list[tuple[str, Arg]] = [
        (N_("Facility"), draw.slug),
        (N_("Draw"), f"#{draw.draw_id}"),
        (N_("Amount"), args["amount"]),
        (N_("Drawn on"), args["drawn_on"]),
        (N_("Logged"), Moment(draw.created_at, zone)),
        (N_("First installment due"), args["first_due"]),
    ]
    if draw.said_no_at is None:
        args["hours"] = draw.window_hours
        summary = N_(
            "draw of {amount} on {drawn_on} not confirmed {hours} h after it was logged: no "
            "payout seen, no bill for the first installment due {first_due}"
        )
    else:
        args |= {"by": str(draw.said_no_by), "at": Moment(draw.said_no_at, zone)}
        summary = N_(
            "draw of {amount} on {drawn_on}: the drawer said the money has not arrived (No at "
            "{at}); no payout seen, no bill for the first installment due {first_due}"
        )
        facts.append((N_("Money arrived?"), Text(N_("No, said {by} at {at}"), args)))
    return worded(
        Check.DRAW_UNCONFIRMED,
        draw.facility_id,
        f"d{draw.draw_id}",
        Severity.WARNING,
        Text(summary, args),
        facts,
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
