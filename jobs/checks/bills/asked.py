"""Whether a facility's owner was asked about a bill `bill_missing` reports, and what they said.

A bill request (`bot.ledger.bill_requests`) goes to the owner when the bill's lead window
opens; when the bill is still missing once `bill_missing` fires, the alert says the owner was
asked and when, and when they answered Not yet, if they did. One query for all the missing
days (a chunk of facilities at a time), only when some are missing; requests sent after `now`
and answers given after it are not seen (a check run as of an earlier moment).
"""

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import among
from bot.models import ReadingRequest
from jobs.checks.common import CHUNK

# The request kind and answer read here (bot.ledger.reading_requests.RequestKind.BILL, and
# Answer.NOT_YET).
BILL = "bill"
NOT_YET = "not_yet"


class Asked(NamedTuple):
    """The bill request about one day: whom, when it was sent, when they said Not yet."""

    owner: str
    sent_at: datetime
    not_yet_at: datetime | None


def asked_about(
    session: Session, now: datetime, days: set[tuple[int, date]]
) -> dict[tuple[int, date], Asked]:
    """The bill requests sent by `now` about these (facility, due date) days."""
    if not days:
        return {}
    facility_ids = sorted({facility_id for facility_id, _ in days})
    first, last = min(day for _, day in days), max(day for _, day in days)
    asked = {}
    for start in range(0, len(facility_ids), CHUNK):
        for row in session.execute(
            select(
                ReadingRequest.facility_id,
                ReadingRequest.due_date,
                ReadingRequest.owner,
                ReadingRequest.sent_at,
                ReadingRequest.answer,
                ReadingRequest.answered_at,
            ).where(
                ReadingRequest.kind == BILL,
                among(session, ReadingRequest.facility_id, facility_ids[start : start + CHUNK]),
                ReadingRequest.due_date.between(first, last),
                ReadingRequest.sent_at <= now,
            )
        ):
            key = (row.facility_id, row.due_date)
            if key not in days:
                continue
            said_not_yet = (
                row.answer == NOT_YET and row.answered_at is not None and row.answered_at <= now
            )
            asked[key] = Asked(row.owner, row.sent_at, row.answered_at if said_not_yet else None)
    return asked
