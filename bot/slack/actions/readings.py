"""The buttons on a reading request (docs/requests.md): Same as last, Changed…, Can't see it.

Each handler: find the request from the button's value (its id), check the clicker is its owner
or an operator, make one domain call (`bot.ledger.reading_answers`), and update the direct
message in place to say what was recorded (`chat.update`; the words are
`bot.slack.reading_blocks`'). **Changed…** opens a form instead; its submission is
`bot.slack.views.readings`.
"""

from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.ledger import reading_answers
from bot.models import ReadingRequest
from bot.slack import reading_blocks as words
from bot.slack import reading_updates
from bot.slack.actions.alerts import whisper
from bot.slack.actions.values import NOT_OURS, row_id
from bot.slack.context import Loanwatch, actor, loanwatch_of
from bot.slack.mrkdwn import escape, mention
from bot.slack.roles import Role
from bot.slack.views.metadata import pack


def same_as_last(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Same as last: the last reading's figures recorded again, stamped now."""
    ack()
    lw = loanwatch_of(context)
    request_id = _clicked_request(lw, client, body, action, "same")
    if request_id is None:
        return
    try:
        with lw.transaction() as session:
            answered = reading_answers.answer_same(
                session, actor(body["user"]["id"]), request_id, now=lw.clock()
            )
            line = words.answered_line(answered)
    except InputError as exc:
        whisper(client, body, escape(str(exc)))
        return
    show_answered(lw, client, body, request_id, line)


def cant_see_it(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Can't see it: the platform could not be seen now (an observation of its own)."""
    ack()
    lw = loanwatch_of(context)
    request_id = _clicked_request(lw, client, body, action, "unavailable")
    if request_id is None:
        return
    with lw.transaction() as session:
        answered = reading_answers.answer_unavailable(
            session, actor(body["user"]["id"]), request_id, now=lw.clock()
        )
        line = words.answered_line(answered)
    show_answered(lw, client, body, request_id, line)


def changed(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Changed…: a form prefilled with the last figures, the ledger's expected available beside."""
    ack()
    lw = loanwatch_of(context)
    request_id = _clicked_request(lw, client, body, action, "changed")
    if request_id is None:
        return
    with lw.reading() as session:
        filled = reading_answers.prefill(session, request_id)
        last = filled.last
        facility, currency = filled.facility.slug, filled.facility.currency
    container = body.get("container") or {}
    facts = {
        "request": request_id,
        "channel": container.get("channel_id"),
        "ts": container.get("message_ts"),
        "question": (body.get("message") or {}).get("text"),
        "home": container.get("type") == "view",
    }
    metadata = pack(lw.installation(), words.CHANGED_CALLBACK, body["user"]["id"], facts)
    view = words.changed_view(
        facility=facility,
        currency=currency,
        last_limit=None if last is None else last.limit_amount,
        last_available=None if last is None else last.available,
        expected=filled.expected_available,
        private_metadata=metadata,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


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


def _clicked_request(
    lw: Loanwatch, client: WebClient, body: dict[str, Any], action: dict[str, Any], what: str
) -> int | None:
    """The request a click is about, if the clicker may answer it; else they are told why."""
    request_id = row_id(action.get("value"))
    if request_id is None:
        whisper(client, body, NOT_OURS)
        return None
    with lw.reading() as session:
        request = session.get(ReadingRequest, request_id)
        owner = None if request is None else request.owner
    if owner is None:
        whisper(client, body, NOT_OURS)
        return None
    user_id = body["user"]["id"]
    if user_id != owner and not lw.may(user_id, Role.OPERATOR, f"reading request ({what})"):
        whisper(client, body, words.NOT_YOURS.format(owner=mention(owner)))
        return None
    return request_id


ACTIONS = {
    words.SAME_ACTION: same_as_last,
    words.CHANGED_ACTION: changed,
    words.UNAVAILABLE_ACTION: cant_see_it,
}
