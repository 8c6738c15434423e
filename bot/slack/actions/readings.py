"""The buttons on a reading request (docs/requests.md): Same as last, Changed…, Can't see it.

Made like every request's buttons (`bot.slack.actions.requests`): find the request, check the
clicker is its owner or an operator, make one domain call (`bot.ledger.reading_answers`), and
update the direct message in place to say what was recorded (the words are
`bot.slack.reading_blocks`'). **Changed…** opens a form instead; its submission is
`bot.slack.views.readings`.
"""

from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import audit
from bot.ledger import reading_answers
from bot.slack import reading_blocks as words
from bot.slack.actions.requests import Handler, clicked_request, form_facts, tapped
from bot.slack.context import Loanwatch, loanwatch_of


def _same(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    """Same as last: the last reading's figures recorded again, stamped now."""
    return words.answered_line(
        reading_answers.answer_same(session, who, request_id, now=lw.clock())
    )


def _unavailable(lw: Loanwatch, session: Session, who: audit.Actor, request_id: int) -> str:
    """Can't see it: the platform could not be seen now (an observation of its own)."""
    answered = reading_answers.answer_unavailable(session, who, request_id, now=lw.clock())
    return words.answered_line(answered)


def changed(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Changed…: a form prefilled with the last figures, the ledger's expected available beside."""
    ack()
    lw = loanwatch_of(context)
    request_id = clicked_request(lw, client, body, action, "changed")
    if request_id is None:
        return
    with lw.reading() as session:
        filled = reading_answers.prefill(session, request_id)
        facility, currency = filled.facility.slug, filled.facility.currency
    view = words.changed_view(
        facility=facility,
        currency=currency,
        last_limit=filled.last_limit,
        last_available=filled.last_available,
        expected=filled.expected_available,
        private_metadata=form_facts(lw, body, words.CHANGED_CALLBACK, request_id),
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


same_as_last = tapped("same", _same)
cant_see_it = tapped("unavailable", _unavailable)

ACTIONS: dict[str, Handler] = {
    words.SAME_ACTION: same_as_last,
    words.CHANGED_ACTION: changed,
    words.UNAVAILABLE_ACTION: cant_see_it,
}
