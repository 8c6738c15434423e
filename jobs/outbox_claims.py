"""Claiming outbox rows: which rows are due, and the conditional UPDATE that takes them.

The delivery worker (`jobs.delivery`) claims a batch in one transaction with
:func:`claim_due` and settles each row later only while :func:`mine` still holds.
"""

import logging
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.alerts.notices import NoticeKind
from bot.alerts.outbox import DROPPED, PENDING, SENDING
from bot.db import among
from bot.i18n import default as default_language
from bot.installation import this_installation
from bot.models import Alert, OutboxMessage, Ticket
from bot.oncall.words import ESCALATION_KIND
from bot.tickets.notices import TicketNoticeKind
from jobs.outbox_languages import row_languages
from jobs.transports import OutboxMessageView

log = logging.getLogger(__name__)


class Claim(NamedTuple):
    """A row a worker won: what the transport sees, the lease's end, and the row's alert."""

    view: OutboxMessageView
    until: datetime
    alert_id: int | None


def due(now: datetime) -> ColumnElement[bool]:
    """Rows waiting for a send: pending and due, or held by a worker whose lease ran out."""
    return or_(
        and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_until < now),
    )


def waits_for_an_earlier_row() -> ColumnElement[bool]:
    """An earlier row (lower id) of the same alert is not settled yet: this one must wait.

    Rows only ever move pending → sending → pending/sent/dead (or to dropped, from pending,
    dead, or sending by the worker holding them), and new rows get higher ids, so once this
    is false for a row it stays false: checking it when picking candidates is enough, the
    claiming UPDATE need not repeat it.
    """
    earlier = aliased(OutboxMessage)
    return exists().where(
        earlier.alert_id == OutboxMessage.alert_id,
        earlier.id < OutboxMessage.id,
        earlier.state.in_((PENDING, SENDING)),
    )


def mine(message_id: int, worker_id: str) -> ColumnElement[bool]:
    """The row is still claimed by this worker and not yet settled."""
    return and_(
        OutboxMessage.id == message_id,
        OutboxMessage.claimed_by == worker_id,
        OutboxMessage.state == SENDING,
    )


def claim_due(
    session: Session, *, worker_id: str, now: datetime, until: datetime, batch_size: int
) -> tuple[bool, list[Claim]]:
    """Claim due rows; returns whether any were due, and the ones this worker won, by id.

    1. Pick due rows that no earlier row of their alert holds back (skipping rows other
       workers have locked, on PostgreSQL).
    2. Claim them with a conditional UPDATE; RETURNING lists the ones this worker won.
    3. Drop those a later `resolved` row of their alert supersedes (:func:`supersede`).
    4. Hand back an escalation of a storm's alerts whose grouped message is not posted yet, and
       give the others the grouped message as the thread they go in (:func:`_group_threads`).
    5. Read the message_ref of their alerts and this installation's id, for the views, and
       the language each row's message is written in (jobs.outbox_languages).
    """
    candidates = (
        select(OutboxMessage.id, OutboxMessage.state)
        .where(due(now), ~waits_for_an_earlier_row())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=OutboxMessage, skip_locked=True)
    picked: dict[int, str] = {row.id: row.state for row in session.execute(candidates)}
    if not picked:
        return False, []
    # The claim itself: only rows still due when the UPDATE runs are taken, and RETURNING
    # lists exactly those (the "did my UPDATE match?" test, for the whole batch at once).
    won = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(picked)), due(now))
        .values(state=SENDING, claimed_by=worker_id, claimed_until=until)
        .returning(
            OutboxMessage.id,
            OutboxMessage.alert_id,
            OutboxMessage.kind,
            OutboxMessage.channel,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.token,
        )
        .execution_options(synchronize_session=False)
    ).all()
    alert_ids = {row.alert_id for row in won if row.alert_id is not None}
    refs: dict[int, str | None] = {}
    if alert_ids:
        rows = session.execute(select(Alert.id, Alert.message_ref).where(Alert.id.in_(alert_ids)))
        refs = {row.id: row.message_ref for row in rows}
    won = supersede(session, won, worker_id, refs)
    won, threads = _group_threads(session, won, worker_id, now)
    ticket_refs = _ticket_refs(session, won)
    installation_id = this_installation(session).installation_id
    languages = row_languages(
        session, ((row.id, row.channel, row.payload) for row in won), default_language()
    )
    claims = [
        Claim(
            OutboxMessageView(
                row.id,
                row.kind,
                row.channel,
                row.payload,
                row.attempts,
                alert_ref=threads.get(row.id)
                or (refs.get(row.alert_id) if row.alert_id is not None else None),
                # It was `sending` under a lease that ran out: its worker may have sent it.
                reclaimed=picked.get(row.id) == SENDING,
                installation_id=installation_id,
                token=row.token,
                ticket_ref=ticket_refs.get(_ticket_id(row)),
                language=languages.get(row.id),
            ),
            until,
            row.alert_id,
        )
        for row in won
    ]
    return True, sorted(claims, key=lambda claim: claim.view.id)


def _thread_token(row: Row[Any]) -> str | None:
    """The grouped message an escalation of alerts told together goes in the thread of."""
    if row.kind != ESCALATION_KIND or not isinstance(row.payload, dict):
        return None
    token = row.payload.get("thread")
    return token if isinstance(token, str) else None


def _group_threads(
    session: Session, won: list[Row[Any]], worker_id: str, now: datetime
) -> tuple[list[Row[Any]], dict[int, str]]:
    """The claimed rows that may go now, and the grouped message each group escalation goes
    in the thread of (`bot.oncall.together`).

    A group's first step is written in the run that opens its alerts, beside the grouped
    message itself: while that message is not posted yet (pending, or being sent), the step
    waits a second and is claimed again after it. A grouped message that will never be posted
    (a dead letter) leaves the step to go where an alert's own notice would.
    """
    tokens = {token for row in won if (token := _thread_token(row))}
    if not tokens:
        return won, {}
    groups = {
        row.token: row
        for row in session.execute(
            select(OutboxMessage.token, OutboxMessage.state, OutboxMessage.transport_ref).where(
                OutboxMessage.token.in_(tokens), OutboxMessage.kind == NoticeKind.GROUP
            )
        )
    }
    waiting, threads = [], {}
    for row in won:
        group = groups.get(_thread_token(row) or "")
        if group is None:
            continue
        if group.state in (PENDING, SENDING):
            waiting.append(row.id)
        elif group.transport_ref:
            threads[row.id] = group.transport_ref
    if waiting:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(waiting), OutboxMessage.claimed_by == worker_id)
            .values(
                state=PENDING,
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=now + timedelta(seconds=1),
            )
            .execution_options(synchronize_session=False)
        )
    return [row for row in won if row.id not in waiting], threads


def _ticket_id(row: Row[Any]) -> int | None:
    """The ticket a `ticket.notice` row is about (its payload's `ticket_id`), else None."""
    if row.kind != TicketNoticeKind.NOTICE or not isinstance(row.payload, dict):
        return None
    ticket_id = row.payload.get("ticket_id")
    return ticket_id if isinstance(ticket_id, int) else None


def _ticket_refs(session: Session, won: list[Row[Any]]) -> dict[int | None, str | None]:
    """The Slack message of each ticket the claimed rows tell about (tickets.message_ref)."""
    ids = {_ticket_id(row) for row in won} - {None}
    if not ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.message_ref).where(Ticket.id.in_(ids)))
    return {row.id: row.message_ref for row in rows}


def supersede(
    session: Session, won: list[Row[Any]], worker_id: str, refs: dict[int, str | None]
) -> list[Row[Any]]:
    """Drop rows a later `resolved` row of their alert makes pointless; the claimed rows left.

    Only when a claimed row has failed before (it was held up, by an outage say) and its alert
    resolved meanwhile: the rows of that alert from it up to the resolved one are dropped, and
    the resolved row, which carries the alert's whole final state, updates its message next.
    If the alert has no message yet (`refs`), the claimed row is kept and sent: it is the one
    that posts the message (or finds it, had an earlier try posted it after all), and the
    resolved row then updates it. Rows on time are all sent, so the thread keeps its story.
    """
    retried = {row.alert_id: row.id for row in won if row.alert_id and row.attempts > 0}
    if not retried:
        return won
    finals: dict[int, int] = {
        alert_id: final
        for alert_id, final in session.execute(
            select(OutboxMessage.alert_id, func.max(OutboxMessage.id))
            .where(
                among(session, OutboxMessage.alert_id, list(retried)),
                OutboxMessage.kind == NoticeKind.RESOLVED,
                OutboxMessage.state == PENDING,
            )
            .group_by(OutboxMessage.alert_id)
        )
    }
    dropped: set[int] = set()
    for alert_id, final in finals.items():
        claimed = retried[alert_id]
        if final <= claimed:
            continue
        posted = refs.get(alert_id) is not None
        if posted:
            dropped.add(claimed)
        first = claimed if posted else claimed + 1
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.alert_id == alert_id,
                OutboxMessage.id >= first,
                OutboxMessage.id < final,
                or_(OutboxMessage.state == PENDING, mine(claimed, worker_id)),
            )
            .values(
                state=DROPPED,
                dropped_reason=(
                    f"superseded by outbox {final}: the alert resolved before this could be "
                    "delivered, and that row carries its final state"
                ),
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        log.info(
            "alert %s resolved: outbox %s..%s superseded by %s", alert_id, first, final - 1, final
        )
    return [row for row in won if row.id not in dropped]
