"""Opening a ticket once per request: Slack's retries and a form submitted twice.

The same mechanism as a draw's (:mod:`bot.ledger.draw_requests`): the request's key (in Slack
the slash command's trigger id, the form's view id) is stored in `command_requests` in the
transaction that opens the ticket, so a retry of the same request finds it and answers with the
ticket it opened instead of opening (and mailing the platform) a second one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.db import transaction
from bot.models import CommandRequest

TICKET = "ticket"  # command_requests.action of an opened ticket


@dataclass(frozen=True)
class Opened:
    """The ticket this request opened (`label`, e.g. T-3); `again` when it was opened by an
    earlier delivery of the same request and nothing was done now."""

    label: str
    again: bool


def open_once(
    sessions: sessionmaker[Session],
    who: audit.Actor,
    key: str,
    open_it: Callable[[Session], str],
    *,
    now: datetime,
) -> Opened:
    """Run `open_it` (which opens the ticket in the given session and returns its label) once
    for `key`; a repeat of the key gets the first ticket's label back."""
    try:
        with transaction(sessions) as session:
            earlier = _by_key(session, key)
            if earlier is not None:
                return Opened(earlier.result or "", again=True)
            label = open_it(session)
            session.add(
                CommandRequest(
                    key=key,
                    user_id=who.name,
                    action=TICKET,
                    args={},
                    state="done",
                    result=label,
                    created_at=now,
                )
            )
            session.flush()
            return Opened(label, again=False)
    except IntegrityError:
        # The same request handled at the same moment elsewhere (Slack retried): its ticket
        # committed first, and this one rolled back.
        with transaction(sessions) as session:
            earlier = _by_key(session, key)
            if earlier is None:
                raise
            return Opened(earlier.result or "", again=True)


def _by_key(session: Session, key: str) -> CommandRequest | None:
    return session.scalar(select(CommandRequest).where(CommandRequest.key == key))
