"""Reading requests are repeated once: two business hours after the message went out, if
still unanswered; then they are left to the checks.

Every request row is treated alike, whatever it asks: the reminder goes to the row's own
person (`owner`), and repeats the message the request sent, as stored in its outbox row (a
limit request's with the last reading as it is when the reminder is written), with
a line saying it is a reminder of the question asked at HH:MM (`reminder_of`; the words are
`bot.slack.reading_blocks`'). Its buttons carry the same request id, so an answer from either
message counts, late or not.

- Two business hours: `LOANWATCH_BUSINESS_HOURS` on the working-day calendar, in the
  facility's zone (`bot.oncall.hours.add_business_time`), counted from when the first message
  was delivered: asked Friday 17:00, repeated Monday 10:00 (with 09:00-18:00).
- Once: the conditional UPDATE `... SET reminded_at WHERE id = ? AND reminded_at IS NULL AND
  state = 'open'` is the claim, in the SAVEPOINT that writes the reminder to the outbox. Two
  workers waking at once write one reminder; the one that loses writes nothing.
- Never to someone no longer in the workspace (`bot.ledger.request_owners`), and never more
  than a day after it was due (`TOO_LATE`: after a pause, no burst of old questions).
- Never of a limit request that a newer one of its facility superseded (nobody answered over
  a holiday: Monday reminds of Sunday's question only, not Saturday's too).
- Never of a bill or arrival request the ledger has answered meanwhile: the wake-up closes
  those first (`bot.ledger.request_settled`, answer `ledger`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.alerts.outbox import DROPPED, PENDING, SENT, enqueue
from bot.calendar import BusinessCalendar
from bot.ledger.reading_requests import (
    BILL_REQUEST_KIND,
    DRAW_REQUEST_KIND,
    READING_REQUEST_KIND,
    RequestKind,
    RequestState,
    last_reading,
    reading_facts,
)
from bot.ledger.request_owners import gone_owners
from bot.ledger.request_settled import newest_limit_slots, settle_open, unsettled
from bot.models import Facility, OutboxMessage, ReadingRequest
from bot.oncall.hours import BusinessHours, add_business_time

# How long an unanswered request waits for its one reminder, in business time.
REMIND_AFTER = timedelta(hours=2)
# A reminder this late (the worker was down, or loanwatch was upgraded with old requests
# open) is not sent: the checks have taken over, and a burst of old questions helps nobody.
TOO_LATE = timedelta(days=1)
# Older requests are not looked at: two business hours after any of them plus TOO_LATE is past
# (the longest closure, Spring Festival with its weekends, is under two weeks).
LOOK_BACK = timedelta(days=15)
# The payload key that makes a request's message its reminder: when the first one went out.
REMINDER_OF = "reminder_of"
# The outbox kinds of the requests' messages (and their reminders, of the same kind).
REQUEST_KINDS = (READING_REQUEST_KIND, BILL_REQUEST_KIND, DRAW_REQUEST_KIND)


@dataclass(frozen=True)
class Reminded:
    """A reminder the wake-up wrote: which request, for whom, of the question asked when."""

    request_id: int
    facility: str
    owner: str
    asked_at: datetime


def request_messages(session: Session, request_ids: list[int]) -> dict[int, list[OutboxMessage]]:
    """Each request's outbox rows (its message, then its reminder), in one query."""
    if not request_ids:
        return {}
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind.in_(REQUEST_KINDS),
            OutboxMessage.payload["request_id"].as_integer().in_(request_ids),
        )
        .order_by(OutboxMessage.id)
    )
    found: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        found.setdefault(int(row.payload["request_id"]), []).append(row)
    return found


def first_message(messages: list[OutboxMessage]) -> OutboxMessage | None:
    """The request's own message (not its reminder)."""
    return next((m for m in messages if REMINDER_OF not in m.payload), None)


def reminder_due(
    sent_at: datetime, zone: str, calendar: BusinessCalendar, hours: BusinessHours
) -> datetime:
    """When a request delivered at `sent_at` is repeated: two business hours later."""
    return add_business_time(sent_at, REMIND_AFTER, ZoneInfo(zone), calendar, hours)


def run_reading_reminders(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    hours: BusinessHours,
    written_at: datetime | None = None,
) -> list[Reminded]:
    """Write the reminder of each open request whose two business hours are up, once (the
    wake-up; the caller commits)."""
    settle_open(session, now=written_at or now)
    gone = gone_owners(session)
    recent = unreminded(session, since=now - LOOK_BACK)
    newest = newest_limit_slots(session, {r.facility_id for r, _ in recent})
    waiting = [
        (r, f)
        for r, f in recent
        if (r.facility_id, r.owner) not in gone and not _superseded(r, newest)
    ]
    messages = request_messages(session, [r.id for r, _ in waiting])
    reminded = []
    for request, facility in waiting:
        first = first_message(messages.get(request.id, []))
        # Not delivered yet (Slack down, or dropped): nothing to remind of; wait.
        if first is None or first.state != SENT or first.sent_at is None:
            continue
        due = reminder_due(first.sent_at, facility.timezone, calendar, hours)
        if now < due or now - due > TOO_LATE:
            continue
        with session.begin_nested():
            claimed = session.execute(
                update(ReadingRequest)
                .where(
                    ReadingRequest.id == request.id,
                    ReadingRequest.reminded_at.is_(None),
                    ReadingRequest.state == RequestState.OPEN,
                )
                .values(reminded_at=written_at or now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                continue  # answered meanwhile, or another worker reminded it
            enqueue(
                session,
                kind=first.kind,
                channel=request.owner,
                payload=reminder_payload(
                    _current(session, request, first.payload), first.sent_at, facility.timezone
                ),
                now=written_at or now,
            )
        reminded.append(Reminded(request.id, facility.slug, request.owner, first.sent_at))
    return reminded


def _superseded(request: ReadingRequest, newest: dict[Any, datetime]) -> bool:
    """A limit request with a newer one for its facility (a holiday's unanswered days): only
    the newest is reminded. Bill and arrival requests each ask about their own bill or draw."""
    if request.kind != RequestKind.LIMIT:
        return False
    latest = newest.get(request.facility_id)
    return latest is not None and latest > request.slot


def _current(session: Session, request: ReadingRequest, payload: dict[str, Any]) -> dict[str, Any]:
    """A limit request's facts with the last reading as it is now, not as it was when asked (a
    robot's frozen reading at 10:01 shows on the 12:00 reminder)."""
    if request.kind != RequestKind.LIMIT:
        return payload
    last = last_reading(session, request.facility_id)
    return {**payload, "last": None if last is None else reading_facts(last)}


def unreminded(session: Session, *, since: datetime) -> list[tuple[ReadingRequest, Facility]]:
    """The open requests sent since `since` and not reminded yet, with their facilities, in one
    query (so those never reminded, too late or to someone gone, do not pile up here)."""
    rows = session.execute(
        select(ReadingRequest, Facility)
        .join(Facility, Facility.id == ReadingRequest.facility_id)
        .where(
            ReadingRequest.state == RequestState.OPEN,
            ReadingRequest.reminded_at.is_(None),
            ReadingRequest.sent_at >= since,
        )
        .order_by(ReadingRequest.id)
    )
    return [(row[0], row[1]) for row in rows]


def reminder_payload(payload: dict[str, Any], sent_at: datetime, zone: str) -> dict[str, Any]:
    """The first message's facts again, marked as its reminder (asked at `sent_at`, in `zone`)."""
    return {**payload, REMINDER_OF: sent_at.isoformat(), "reminder_zone": zone}


@dataclass(frozen=True)
class Waiting:
    """One of a person's open requests, as App Home lists it."""

    request_id: int
    facility: str
    asked_at: datetime
    zone: str
    # The facts its message showed (its outbox payload), and its outbox kind (which says how
    # it is worded); None if there is none.
    payload: dict[str, Any] | None
    kind: str | None = None


def waiting_for(session: Session, person: str, *, limit: int) -> tuple[list[Waiting], int]:
    """`person`'s open requests, newest first, at most `limit`; and how many there are. Those
    the ledger answers already (closed at the next wake-up) are left out."""
    mine = (
        ReadingRequest.owner == person,
        ReadingRequest.state == RequestState.OPEN,
        unsettled(),
    )
    total = session.scalar(select(func.count()).select_from(ReadingRequest).where(*mine)) or 0
    rows = session.execute(
        select(ReadingRequest, Facility)
        .join(Facility, Facility.id == ReadingRequest.facility_id)
        .where(*mine)
        .order_by(ReadingRequest.sent_at.desc(), ReadingRequest.id.desc())
        .limit(limit)
    ).all()
    messages = request_messages(session, [r.id for r, _ in rows])
    waiting = []
    for request, facility in rows:
        first = first_message(messages.get(request.id, []))
        payload = None if first is None else dict(first.payload)
        kind = None if first is None else first.kind
        waiting.append(
            Waiting(request.id, facility.slug, request.sent_at, facility.timezone, payload, kind)
        )
    return waiting, total


def drop_unsent(session: Session, request_id: int, *, reason: str) -> int:
    """The request's messages not sent yet (a reminder written just before the answer) are
    dropped: an answered question is not asked again. How many."""
    pending = [
        m.id
        for m in request_messages(session, [request_id]).get(request_id, [])
        if m.state == PENDING
    ]
    if not pending:
        return 0
    dropped = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(pending), OutboxMessage.state == PENDING)
        .values(state=DROPPED, dropped_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return dropped.rowcount
