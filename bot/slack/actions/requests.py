"""The buttons every request shares the handling of, and those of bill and arrival requests.

Every request's button works the same way (docs/requests.md): find the request from the
button's value (its id), check the clicker is the person asked or an operator
(:func:`clicked_request`), make one domain call in one transaction, and update the direct
message in place to say what was recorded (:func:`show_answered`). :func:`tapped` makes such a
handler from the domain call and its words; the reading request's buttons
(`bot.slack.actions.readings`) are made the same way. The two that open a form instead
(**Changed…**, **Different amount…**) have their submissions in `bot.slack.views.readings`.
"""

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError
from bot.i18n import _
from bot.i18n.formats import day
from bot.ledger import arrival_requests, bill_requests
from bot.models import ReadingRequest
from bot.slack import reading_blocks, reading_updates, request_blocks
from bot.slack.actions.alerts import whisper
from bot.slack.actions.values import NOT_OURS, row_id
from bot.slack.context import Loanwatch, actor, loanwatch_of
from bot.slack.mrkdwn import escape, mention
from bot.slack.roles import Role
from bot.slack.views.metadata import pack

Handler = Callable[[Any, dict[str, Any], dict[str, Any], WebClient, Any], None]
# One answer: (loanwatch, session, who, request id) → the line the message says afterwards.
AnswerCall = Callable[[Loanwatch, Session, audit.Actor, int], str]


def tapped(what: str, answer: AnswerCall) -> Handler:
    """A button handler that records `answer` (audited as `what` when refused)."""

    def handler(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
    ) -> None:
        ack()
        lw = loanwatch_of(context)
        request_id = clicked_request(lw, client, body, action, what)
        if request_id is None:
            return
        try:
            with lw.transaction() as session:
                line = answer(lw, session, actor(body["user"]["id"]), request_id)
        except InputError as exc:
            whisper(client, body, escape(str(exc)))
            return
        show_answered(lw, client, body, request_id, line)

    handler.__name__ = handler.__qualname__ = f"answer_{what.replace(' ', '_')}"
    return handler


def clicked_request(
    lw: Loanwatch, client: WebClient, body: dict[str, Any], action: dict[str, Any], what: str
) -> int | None:
    """The request a click is about, if the clicker may answer it (the person asked, or an
    operator); else they are told why, privately, and the refusal is audited."""
    request_id = row_id(action.get("value"))
    if request_id is None:
        whisper(client, body, _(NOT_OURS))
        return None
    with lw.reading() as session:
        request = session.get(ReadingRequest, request_id)
        owner = None if request is None else request.owner
    if owner is None:
        whisper(client, body, _(NOT_OURS))
        return None
    user_id = body["user"]["id"]
    if user_id != owner and not lw.may(user_id, Role.OPERATOR, f"request ({what})"):
        whisper(client, body, _(reading_blocks.NOT_YOURS).format(owner=mention(owner)))
        return None
    return request_id


def show_answered(
    lw: Loanwatch, client: WebClient, body: dict[str, Any], request_id: int, line: str
) -> None:
    """Every message of the request (the tapped one, its reminder or question) updated in
    place: its question, and what was recorded; from App Home, the Home published again."""
    container = body.get("container") or {}
    question = (body.get("message") or {}).get("text") or ""
    from_home = container.get("type") == "view"
    reading_updates.show_answered(
        lw,
        client,
        request_id,
        line,
        tapped=(container.get("channel_id"), container.get("message_ts"), question),
        home_of=body["user"]["id"] if from_home else None,
    )


def form_facts(lw: Loanwatch, body: dict[str, Any], callback: str, request_id: int) -> str:
    """A request form's signed private_metadata: the request, and the message to update."""
    container = body.get("container") or {}
    facts = {
        "request": request_id,
        "channel": container.get("channel_id"),
        "ts": container.get("message_ts"),
        "question": (body.get("message") or {}).get("text"),
        "home": container.get("type") == "view",
    }
    return pack(lw.installation(), callback, body["user"]["id"], facts)


def different(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Different amount…: a form prefilled with the amount the ledger expects."""
    ack()
    lw = loanwatch_of(context)
    request_id = clicked_request(lw, client, body, action, "bill different")
    if request_id is None:
        return
    with lw.reading() as session:
        facility, due_date, expected = bill_requests.prefill(session, request_id)
        slug, currency = facility.slug, facility.currency
    view = request_blocks.different_view(
        facility=slug,
        currency=currency,
        due_date=day(due_date, near=lw.clock().date()),
        expected=expected,
        private_metadata=form_facts(lw, body, request_blocks.DIFFERENT_CALLBACK, request_id),
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _billed(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    answered = bill_requests.answer_billed(session, who, request_id, now=lw.clock())
    return request_blocks.bill_line(answered)


def _not_yet(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    answered = bill_requests.answer_not_yet(session, who, request_id, now=lw.clock())
    return request_blocks.bill_line(answered)


def _arrived(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    answered = arrival_requests.answer_arrived(session, who, request_id, now=lw.clock())
    return request_blocks.arrival_line(answered)


def _not_arrived(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    answered = arrival_requests.answer_not_arrived(
        session, who, request_id, now=lw.clock(), policy=lw.policy
    )
    return request_blocks.arrival_line(answered)


ACTIONS: dict[str, Handler] = {
    request_blocks.BILLED_ACTION: tapped("bill yes", _billed),
    request_blocks.DIFFERENT_ACTION: different,
    request_blocks.NOT_YET_ACTION: tapped("bill not yet", _not_yet),
    request_blocks.ARRIVED_ACTION: tapped("arrival yes", _arrived),
    request_blocks.NOT_ARRIVED_ACTION: tapped("arrival no", _not_arrived),
}
