"""What GET /api/v1/… answers, read from the ledger and the alerts."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.policy import AlertState
from bot.api.schemas import AlertView, FacilityView, InstallmentView
from bot.ledger.portfolio import positions
from bot.models import Alert, Draw, Facility, Installment, InstallmentStatus

MAX_ROWS = 5000
MAX_DAYS = 366


def facilities(session: Session) -> list[FacilityView]:
    return [
        FacilityView(
            slug=p.facility.slug,
            name=p.facility.name,
            platform=p.facility.platform.name,
            currency=p.facility.currency,
            timezone=p.facility.timezone,
            limit=p.facility.limit_amount,
            outstanding=p.outstanding,
            available=p.available,
        )
        for p in positions(session)
    ]


def alerts(session: Session, *, state: str) -> list[AlertView]:
    query = (
        select(Alert, Facility.slug)
        .outerjoin(Facility, Facility.id == Alert.facility_id)
        .order_by(Alert.opened_at, Alert.id)
        .limit(MAX_ROWS)
    )
    if state == "open":  # as `loanwatch alert list`: open means not resolved
        query = query.where(Alert.state != AlertState.RESOLVED.value)
    elif state != "all":
        query = query.where(Alert.state == state)
    return [
        AlertView(
            id=a.id,
            check=a.check,
            facility=slug,
            subject=a.subject,
            severity=a.severity,
            state=a.state,
            summary=a.summary,
            opened_at=a.opened_at,
            last_seen_at=a.last_seen_at,
            resolved_at=a.resolved_at,
        )
        for a, slug in session.execute(query)
    ]


def installments(session: Session, *, start: date, end: date) -> list[InstallmentView]:
    """The installments in force due from `start` to `end` (both included), by due date."""
    query = (
        select(Installment, Facility.slug)
        .join(Draw, Draw.id == Installment.draw_id)
        .join(Facility, Facility.id == Draw.facility_id)
        .where(
            Installment.due_date.between(start, end),
            Installment.status != InstallmentStatus.SUPERSEDED.value,
        )
        .order_by(Installment.due_date, Facility.slug, Installment.draw_id, Installment.seq)
        .limit(MAX_ROWS)
    )
    return [
        InstallmentView(
            facility=slug,
            draw=i.draw_id,
            sequence=i.seq,
            due_date=i.due_date,
            principal=i.principal,
            interest=i.interest,
            amount=i.amount,
            status=i.status,
        )
        for i, slug in session.execute(query)
    ]
