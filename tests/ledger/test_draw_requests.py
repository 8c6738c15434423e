"""A draw asked for under a request key is logged once, with no Slack in sight: a session
factory and a clock are all the ledger needs."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.db import transaction
from bot.errors import InputError
from bot.ledger.draw_requests import (
    AskFirst,
    Cancelled,
    DrawArgs,
    Logged,
    Repeated,
    RequestState,
    cancel_draw,
    confirm_draw,
    log_draw,
)
from bot.models import CommandRequest, Draw
from tests.ledger.cast import jiebei_line
from tests.support.clock import Clock

ALICE = Actor("U0ALICE", "slack")
DANA = Actor("U0DANA", "slack")
FIFTY_THOUSAND = DrawArgs(facility="jiebei-main", amount=Decimal("50000.00"), months=12)


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def jiebei(sessions: sessionmaker[Session], alice: Actor, clock: Clock) -> None:
    with transaction(sessions) as session:
        jiebei_line(session, alice, clock())


def answer(logged: Logged) -> str:
    """What a surface would say; the ledger keeps it for the request's retries."""
    return f"logged draw #{logged.draw.id}, {len(logged.installments)} installments"


def draws(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Draw)) or 0


def test_a_retry_of_a_request_gets_its_first_answer_and_logs_nothing(
    sessions, jiebei, clock
) -> None:
    """The same key twice: the draw with its schedule, then the answer kept for it."""
    first = log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)
    again = log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)

    assert isinstance(first, Logged)
    assert len(first.installments) == 12
    assert again == Repeated(RequestState.DONE, answer(first))
    assert draws(sessions) == 1


def test_the_same_draw_again_within_minutes_waits_for_its_maker(sessions, jiebei, clock) -> None:
    """Asked 3 minutes later under a new key: nothing logged until Alice confirms, once."""
    first = log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)
    clock.advance(minutes=3)
    asked = log_draw(sessions, ALICE, "command:2", FIFTY_THOUSAND, clock=clock, answer=answer)

    assert isinstance(first, Logged)
    assert isinstance(asked, AskFirst)
    assert (asked.twin.id, asked.since) == (first.draw.id, timedelta(minutes=3))
    assert draws(sessions) == 1
    assert log_draw(
        sessions, ALICE, "command:2", FIFTY_THOUSAND, clock=clock, answer=answer
    ) == Repeated(RequestState.PENDING, None)

    confirmed = confirm_draw(sessions, ALICE, asked.request_id, clock=clock, answer=answer)
    assert isinstance(confirmed, Logged)
    assert confirm_draw(sessions, ALICE, asked.request_id, clock=clock, answer=answer) == Repeated(
        RequestState.DONE, answer(confirmed)
    )
    assert draws(sessions) == 2


def test_a_cancelled_question_logs_nothing_even_if_confirmed_afterwards(
    sessions, jiebei, clock
) -> None:
    """Cancel, then a late click on confirm: still one draw, and the request says cancelled."""
    log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)
    asked = log_draw(sessions, ALICE, "command:2", FIFTY_THOUSAND, clock=clock, answer=answer)
    assert isinstance(asked, AskFirst)

    assert cancel_draw(sessions, ALICE, asked.request_id) == Cancelled()
    late = confirm_draw(sessions, ALICE, asked.request_id, clock=clock, answer=answer)
    assert late == Repeated(RequestState.CANCELLED, None)
    assert draws(sessions) == 1


def test_only_the_maker_answers_and_only_within_fifteen_minutes(sessions, jiebei, clock) -> None:
    """Dana cannot confirm Alice's question; Alice cannot once it is 16 minutes old."""
    log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)
    asked = log_draw(sessions, ALICE, "command:2", FIFTY_THOUSAND, clock=clock, answer=answer)
    assert isinstance(asked, AskFirst)

    with pytest.raises(InputError, match="only the person who typed this draw"):
        confirm_draw(sessions, DANA, asked.request_id, clock=clock, answer=answer)
    clock.advance(minutes=16)
    with pytest.raises(InputError, match="too old"):
        confirm_draw(sessions, ALICE, asked.request_id, clock=clock, answer=answer)
    assert draws(sessions) == 1


def test_requests_are_kept_a_week(sessions, jiebei, clock) -> None:
    """The next draw after eight days drops the old request; its draw stays."""
    log_draw(sessions, ALICE, "command:1", FIFTY_THOUSAND, clock=clock, answer=answer)
    clock.advance(days=8)
    log_draw(sessions, ALICE, "command:2", FIFTY_THOUSAND, clock=clock, answer=answer)

    with sessions() as session:
        assert session.scalars(select(CommandRequest.key)).all() == ["command:2"]
    assert draws(sessions) == 2
