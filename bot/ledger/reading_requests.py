"""Reading requests: at a facility's scheduled minute its owner is asked what the platform shows.

The same table and claim serve the two other kinds of request (`RequestKind`): a facility's
bill (`bot.ledger.bill_requests`) and whether a draw's money arrived
(`bot.ledger.arrival_requests`); :func:`send_request` is the claim and the message of all
three.

1. An admin gives a facility an owner and a schedule (`set_readings`, audited).
2. The `reading_requests` wake-up (`run_reading_requests`, after the checks in every cycle)
   finds each facility's latest slot due (`ReadingSchedule.latest_slot`, in the facility's zone
   on the working-day calendar) and, when it has no request yet, inserts the request row and
   writes the direct message to the outbox in one SAVEPOINT. The row's unique (facility, slot)
   is the claim: a second worker fails on it and sends nothing, and a run after a pause sends
   the latest slot only.
3. The owner answers with a button in that message (docs/requests.md); a late answer counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.outbox import enqueue
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import _, pgettext
from bot.ledger.facilities import facility_zone
from bot.ledger.platforms import short_name
from bot.ledger.reading_schedule import parse_schedule
from bot.ledger.request_owners import gone_owners
from bot.models import Facility, LimitReading, ReadingRequest
from bot.money import money_str
from bot.oncall.rotations import USER_ID

# The outbox kind of each request's direct message (jobs.transports.slack sends them).
READING_REQUEST_KIND = "reading.request"
BILL_REQUEST_KIND = "bill.request"
DRAW_REQUEST_KIND = "draw.request"
# What `--owner` / `--readings` take to stop the requests.
NONE = "-"


class RequestKind(StrEnum):
    """What a request asks: a limit reading, whether a bill appeared, whether a draw arrived."""

    LIMIT = "limit"
    BILL = "bill"
    DRAW = "draw"


# The outbox kind of each request kind's direct message.
OUTBOX_KINDS = {
    RequestKind.LIMIT: READING_REQUEST_KIND,
    RequestKind.BILL: BILL_REQUEST_KIND,
    RequestKind.DRAW: DRAW_REQUEST_KIND,
}


class RequestState(StrEnum):
    """Whether the owner has answered."""

    OPEN = "open"
    ANSWERED = "answered"


class Answer(StrEnum):
    """What the person answered (the first three to a limit request, then a bill's, a draw's)."""

    SAME = "same"
    CHANGED = "changed"
    UNAVAILABLE = "unavailable"
    BILLED = "billed"  # Yes, as expected
    DIFFERENT = "different"  # Different amount…
    NOT_YET = "not_yet"
    ARRIVED = "arrived"  # Yes
    NOT_ARRIVED = "not_arrived"  # No
    # Nothing recorded: the ledger had the answer already (a bill for the day, a confirmed
    # draw), found at the tap or by the reminder wake-up (bot.ledger.request_settled).
    LEDGER = "ledger"


def answer_words(answer: str) -> str:
    """A request's answer in a list's words (`requests list`), in the language in use; English
    keeps the code it has always shown, one this does not know is shown as it is. Each has a
    context: `changed`, `same`, `arrived` are here a request's answer."""
    words = {
        Answer.SAME: pgettext("request answer", "same"),
        Answer.CHANGED: pgettext("request answer", "changed"),
        Answer.UNAVAILABLE: pgettext("request answer", "unavailable"),
        Answer.BILLED: pgettext("request answer", "billed"),
        Answer.DIFFERENT: pgettext("request answer", "different"),
        Answer.NOT_YET: pgettext("request answer", "not_yet"),
        Answer.ARRIVED: pgettext("request answer", "arrived"),
        Answer.NOT_ARRIVED: pgettext("request answer", "not_arrived"),
        Answer.LEDGER: pgettext("request answer", "ledger"),
    }
    return words.get(answer, answer)  # type: ignore[call-overload]


def set_readings(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    owner: str | None,
    readings: str | None,
    now: datetime,
) -> bool:
    """Set who is asked for `facility`'s readings and when (`-` stops them); audited as
    `facility.readings`. False when nothing changed."""
    before = audit.snapshot(facility)
    new_owner = facility.reading_owner
    if owner is not None:
        new_owner = None if owner.strip() == NONE else owner.strip()
        if new_owner is not None and not USER_ID.fullmatch(new_owner):
            raise InputError(
                _(
                    "owner {owner!r} is not a Slack user id (like U0123ABCD); the id is in "
                    "the person's Slack profile, under ⋮ → Copy member ID"
                ).format(owner=owner.strip())
            )
    new_readings = facility.readings
    if readings is not None:
        new_readings = None if readings.strip() == NONE else str(parse_schedule(readings))
    if new_readings is not None and new_owner is None:
        raise InputError(
            _(
                "a reading schedule needs someone to ask: give {facility} an owner with --owner U…"
            ).format(facility=facility.slug)
        )
    if (new_owner, new_readings) == (facility.reading_owner, facility.readings):
        return False
    if new_readings != facility.readings:
        facility.readings_since = None if new_readings is None else now
    facility.reading_owner = new_owner
    facility.readings = new_readings
    session.flush()
    audit.record(session, actor, "facility.readings", facility, at=now, before=before)
    return True


def last_reading(session: Session, facility_id: int) -> LimitReading | None:
    """The facility's latest limit reading, by when the platform showed it."""
    return session.scalar(
        select(LimitReading)
        .where(LimitReading.facility_id == facility_id)
        .order_by(LimitReading.observed_at.desc(), LimitReading.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class SentRequest:
    """A request the wake-up sent: its facility, slot and owner."""

    facility: str
    slot: datetime
    owner: str


def run_reading_requests(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    written_at: datetime | None = None,
) -> list[SentRequest]:
    """Send each facility's request due by `now`, once (the wake-up; the caller commits)."""
    sent = []
    facilities = session.scalars(select(Facility).where(*_SCHEDULED).order_by(Facility.id)).all()
    asked = latest_asked(session)
    gone = gone_owners(session)  # not in the workspace any more: the admins were told
    for facility in facilities:
        assert facility.readings is not None
        assert facility.reading_owner is not None
        if (facility.id, facility.reading_owner) in gone:
            continue
        slot = parse_schedule(facility.readings).latest_slot(now, facility_zone(facility), calendar)
        if slot is None or (facility.readings_since and slot < facility.readings_since):
            continue
        if facility.id in asked and asked[facility.id] >= slot:
            continue
        request = send_request(
            session,
            RequestKind.LIMIT,
            facility,
            owner=facility.reading_owner,
            slot=slot,
            payload=partial(request_payload, session, facility, now=now),
            now=written_at or now,
        )
        if request is None:
            continue  # another worker sent this slot's request
        sent.append(SentRequest(facility.slug, slot, facility.reading_owner))
    return sent


def send_request(
    session: Session,
    kind: RequestKind,
    facility: Facility,
    *,
    owner: str,
    slot: datetime,
    payload: Callable[[ReadingRequest], dict[str, Any]],
    now: datetime,
    due_date: date | None = None,
    draw_id: int | None = None,
) -> ReadingRequest | None:
    """Insert a request and write its direct message to the outbox, in one SAVEPOINT; None when
    the request's key is taken (another worker sent it), and then nothing is written.

    `payload` makes the message's facts from the inserted row (it needs the row's id)."""
    try:
        with session.begin_nested():
            request = ReadingRequest(
                kind=kind,
                facility_id=facility.id,
                slot=slot,
                due_date=due_date,
                draw_id=draw_id,
                owner=owner,
                state=RequestState.OPEN,
                sent_at=now,
            )
            session.add(request)
            session.flush()
            enqueue(
                session, kind=OUTBOX_KINDS[kind], channel=owner, payload=payload(request), now=now
            )
    except IntegrityError:
        return None
    return request


# The facilities whose owner is asked for readings.
_SCHEDULED = (Facility.active, Facility.readings.is_not(None), Facility.reading_owner.is_not(None))


def latest_asked(session: Session) -> dict[int, datetime]:
    """Each scheduled facility's latest slot asked so far, in one query (not one per facility)."""
    scheduled = select(Facility.id).where(*_SCHEDULED)
    rows = session.execute(
        select(ReadingRequest.facility_id, func.max(ReadingRequest.slot))
        .where(ReadingRequest.kind == RequestKind.LIMIT, ReadingRequest.facility_id.in_(scheduled))
        .group_by(ReadingRequest.facility_id)
    )
    return {facility_id: slot for facility_id, slot in rows}


def request_payload(
    session: Session, facility: Facility, request: ReadingRequest, *, now: datetime
) -> dict[str, Any]:
    """The facts the direct message shows (words: `bot.slack.reading_blocks`)."""
    last = last_reading(session, facility.id)
    return {
        "request_id": request.id,
        "facility": facility.slug,
        "platform": short_name(facility.platform.display_name),
        "currency": facility.currency,
        "zone": facility.timezone,
        "asked_at": now.isoformat(),
        "last": None if last is None else reading_facts(last),
    }


def reading_facts(reading: LimitReading) -> dict[str, Any]:
    """A limit reading as JSON-safe facts: limit, available, status, when."""
    return {
        "limit": money_str(reading.limit_amount),
        "available": None if reading.available is None else money_str(reading.available),
        "status": reading.status,
        "observed_at": reading.observed_at.isoformat(),
    }


def requests_in(session: Session, state: str) -> list[tuple[ReadingRequest, Facility]]:
    """The requests in `state` (open, answered or all), newest slot first."""
    query = select(ReadingRequest, Facility).join(
        Facility, Facility.id == ReadingRequest.facility_id
    )
    if state != "all":
        query = query.where(ReadingRequest.state == RequestState(state))
    query = query.order_by(ReadingRequest.slot.desc(), ReadingRequest.id.desc())
    return [(row[0], row[1]) for row in session.execute(query)]
