"""Arrival requests: a day after a draw logged in Slack, its drawer is asked if the money came.

1. The `draw_requests` wake-up (`jobs.requests.run_draw_requests`) finds the draws logged from
   Slack (the draw's `created_by` is the drawer's Slack user id) a day ago or more that nothing
   confirms yet (no payout, no bill for the first installment, no reading showing it, nobody
   said it arrived: `draw_unconfirmed`'s own rules) and asks the drawer "Did the ¥50,000
   arrive?". The row's unique draw is the claim (:func:`send_arrival_request`).
2. **Yes** confirms the draw (`bot.ledger.confirmations.confirm_draw`, audited `draw.confirm`),
   so `draw_unconfirmed` does not fire for it. **No** opens `draw_unconfirmed` for the draw at
   once (`bot.alerts.unconfirmed.open_not_arrived`), the alert the check would open, which
   keeps finding it until something confirms the draw. Either, on a draw confirmed already
   (a payout, a colleague), records nothing: the answer is `ledger` and the message says when
   the draw was confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.policy import AlertPolicy
from bot.alerts.unconfirmed import open_not_arrived
from bot.ledger.confirmations import confirm_draw
from bot.ledger.platforms import short_name
from bot.ledger.reading_answers import audit_answer, claim, get_request
from bot.ledger.reading_requests import Answer, RequestKind, send_request
from bot.models import Draw, Facility, ReadingRequest
from bot.money import money_str

# How long after a draw was logged its drawer is asked.
ASK_AFTER_HOURS = 24
# A draw not asked about within this long of its time (the worker was down) is left to
# `draw_unconfirmed`: nobody is asked about last month's draws when the feature is turned on.
ASK_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class ArrivalAnswered:
    """What an answer to an arrival request did (or, `already`, what an earlier one did)."""

    request: ReadingRequest
    facility: Facility
    draw: Draw
    already: bool = False


def send_arrival_request(
    session: Session, draw: Draw, *, drawer: str, slot: datetime, now: datetime
) -> ReadingRequest | None:
    """Ask `drawer` whether `draw`'s money arrived; None when it was asked already (the claim)."""
    facility = draw.facility

    def payload(request: ReadingRequest) -> dict[str, Any]:
        return {
            "request_id": request.id,
            "facility": facility.slug,
            "platform": short_name(facility.platform.display_name),
            "currency": facility.currency,
            "zone": facility.timezone,
            "draw": draw.id,
            "amount": money_str(draw.amount),
            "logged_at": draw.created_at.isoformat(),
        }

    return send_request(
        session,
        RequestKind.DRAW,
        facility,
        owner=drawer,
        slot=slot,
        payload=payload,
        now=now,
        draw_id=draw.id,
    )


def answer_arrived(
    session: Session, actor: audit.Actor, request_id: int, *, now: datetime
) -> ArrivalAnswered:
    """Yes: the draw confirmed as arrived now (a draw confirmed already stays as it was)."""
    request, facility, draw = _request(session, request_id)
    answer = Answer.ARRIVED if draw.confirmed_at is None else Answer.LEDGER
    if not claim(session, actor, request, answer, now=now):
        return ArrivalAnswered(request, facility, draw, already=True)
    if answer == Answer.ARRIVED:
        confirm_draw(session, actor, facility, draw.id, now=now)
    audit_answer(session, actor, request, now=now)
    return ArrivalAnswered(request, facility, draw)


def answer_not_arrived(
    session: Session,
    actor: audit.Actor,
    request_id: int,
    *,
    now: datetime,
    policy: AlertPolicy,
) -> ArrivalAnswered:
    """No: `draw_unconfirmed` opens for the draw now, unless someone confirmed it meanwhile."""
    request, facility, draw = _request(session, request_id)
    answer = Answer.NOT_ARRIVED if draw.confirmed_at is None else Answer.LEDGER
    if not claim(session, actor, request, answer, now=now):
        return ArrivalAnswered(request, facility, draw, already=True)
    audit_answer(session, actor, request, now=now)
    if answer == Answer.NOT_ARRIVED:
        open_not_arrived(
            session,
            draw,
            facility,
            said_by=actor.name,
            now=now,
            policy=policy,
        )
    return ArrivalAnswered(request, facility, draw)


def _request(session: Session, request_id: int) -> tuple[ReadingRequest, Facility, Draw]:
    request, facility = get_request(session, request_id, RequestKind.DRAW)
    assert request.draw_id is not None
    return request, facility, session.get_one(Draw, request.draw_id)
