"""What GET /api/v1/… answers, read from the ledger and the alerts.

Alerts and installments come a page at a time (`limit` rows, at most MAX_ROWS), each page
saying where the next begins (a cursor: the last row's place in the order), so that a list
longer than a page is never cut short without the reader knowing.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.alerts.policy import AlertState
from bot.api.schemas import AlertView, FacilityView, InstallmentView
from bot.ledger.portfolio import positions
from bot.models import Alert, Draw, Facility, Installment, InstallmentStatus

MAX_ROWS = 5000
PAGE_ROWS = 1000
MAX_DAYS = 366
T = TypeVar("T")
_ALERT_CURSOR = re.compile(r"[0-9]{1,10}")
_INSTALLMENT_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.([0-9]{1,10})")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of rows, and the cursor of the next page (None: this page is the last)."""

    rows: list[T]
    next: str | None


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


def alert_cursor(cursor: str) -> int | None:
    """The alert id a cursor of the alerts' pages stands for; None for one that is not one."""
    return int(cursor) if _ALERT_CURSOR.fullmatch(cursor) else None


def installment_cursor(cursor: str) -> tuple[date, int] | None:
    """The (due date, installment id) a cursor of the installments' pages stands for."""
    found = _INSTALLMENT_CURSOR.fullmatch(cursor)
    if found is None:
        return None
    try:
        return date.fromisoformat(found[1]), int(found[2])
    except ValueError:
        return None


def alerts(session: Session, *, state: str, limit: int, after: int | None) -> Page[AlertView]:
    """Newest first (ids are given as alerts open), `limit` of them, after alert `after`."""
    query = (
        select(Alert, Facility.slug)
        .outerjoin(Facility, Facility.id == Alert.facility_id)
        .order_by(Alert.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Alert.id < after)
    if state == "open":  # as `loanwatch alert list`: open means not resolved
        query = query.where(Alert.state != AlertState.RESOLVED.value)
    elif state != "all":
        query = query.where(Alert.state == state)
    views = [
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
    if len(views) <= limit:
        return Page(views, None)
    return Page(views[:limit], str(views[limit - 1].id))


def installments(
    session: Session, *, start: date, end: date, limit: int, after: tuple[date, int] | None
) -> Page[InstallmentView]:
    """The installments in force due from `start` to `end` (both included), by due date (then
    as they were made), `limit` of them, after the one at `after`."""
    query = (
        select(Installment, Facility.slug)
        .join(Draw, Draw.id == Installment.draw_id)
        .join(Facility, Facility.id == Draw.facility_id)
        .where(
            Installment.due_date.between(start, end),
            Installment.status != InstallmentStatus.SUPERSEDED.value,
        )
        .order_by(Installment.due_date, Installment.id)
        .limit(limit + 1)
    )
    if after is not None:
        due, last = after
        query = query.where(
            or_(
                Installment.due_date > due,
                and_(Installment.due_date == due, Installment.id > last),
            )
        )
    rows = list(session.execute(query))
    views = [
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
        for i, slug in rows[:limit]
    ]
    if len(rows) <= limit:
        return Page(views, None)
    last_row = rows[limit - 1][0]
    return Page(views, f"{last_row.due_date.isoformat()}.{last_row.id}")
