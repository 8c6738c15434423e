"""The **Changed…** form of a reading request: the figures typed are recorded, stamped now.

Its private_metadata (signed, `bot.slack.views.metadata`) names the request and the direct
message to update (with the request's other message, and App Home when it was opened there:
`bot.slack.reading_updates`). An amount that is not one, or available above the limit, is
shown on its field and nothing is recorded.
"""

from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.ledger import reading_answers
from bot.money import parse_amount
from bot.slack import reading_blocks as words
from bot.slack import reading_updates
from bot.slack.context import actor, loanwatch_of
from bot.slack.views.metadata import ForgedMetadataError, unpack


def submit_changed(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Record the limit and available typed; errors show on their fields."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    try:
        facts = unpack(
            lw.installation(), view.get("private_metadata"), words.CHANGED_CALLBACK, user_id
        )
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": "reading (form)", "reason": "forged form"})
        ack(response_action="errors", errors={"limit": str(exc)})
        return
    errors: dict[str, str] = {}
    figures = {}
    for block in ("limit", "available"):
        try:
            figures[block] = parse_amount(_typed(view, block), allow_zero=True, what=block)
        except InputError as exc:
            errors[block] = str(exc)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        with lw.transaction() as session:
            answered = reading_answers.answer_changed(
                session,
                actor(user_id),
                int(facts["request"]),
                limit_amount=figures["limit"],
                available=figures["available"],
                now=lw.clock(),
            )
            line = words.answered_line(answered)
    except InputError as exc:
        ack(response_action="errors", errors={"available": str(exc)})
        return
    ack()
    reading_updates.show_answered(
        lw,
        client,
        int(facts["request"]),
        line,
        tapped=(facts.get("channel"), facts.get("ts"), facts.get("question") or ""),
        home_of=user_id if facts.get("home") else None,
    )


def _typed(view: dict[str, Any], block: str) -> str:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    typed = ((values or {}).get(block) or {}).get("value") or {}
    text = typed.get("value") if isinstance(typed, dict) else None
    return text if isinstance(text, str) else ""
