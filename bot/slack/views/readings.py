"""The forms of requests: **Changed…** (a reading) and **Different amount…** (a bill).

Their private_metadata (signed, `bot.slack.views.metadata`) names the request and the direct
message to update (with the request's other message, and App Home when it was opened there:
`bot.slack.reading_updates`). An amount that is not one, or available above the limit, is
shown on its field and nothing is recorded; what is typed is recorded stamped with the time of
the submission. A form submitted after its request was answered another way (a button, the
other message) records nothing and stays open, saying on its first field what was recorded and
when.
"""

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.i18n import _
from bot.ledger import bill_requests, reading_answers
from bot.money import parse_amount
from bot.slack import reading_blocks as words
from bot.slack import reading_updates, request_blocks
from bot.slack.context import Loanwatch, actor, loanwatch_of
from bot.slack.views.metadata import ForgedMetadataError, unpack


def submit_changed(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Record the limit and available typed; errors show on their fields."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    facts = _facts(lw, ack, body, view, words.CHANGED_CALLBACK, "limit")
    figures = _amounts(ack, view, ("limit", "available"))
    if facts is None or figures is None:
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
    if answered.already:
        said = _(words.FORM_ALREADY).format(line=line, command="/loan limit")
        ack(response_action="errors", errors={"limit": said})
        return
    _answered(lw, ack, client, facts, line, user_id)


def submit_different(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Record the bill at the amount typed; a bad amount shows on its field."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    facts = _facts(lw, ack, body, view, request_blocks.DIFFERENT_CALLBACK, "amount")
    typed = _amounts(ack, view, ("amount",))
    if facts is None or typed is None:
        return
    try:
        with lw.transaction() as session:
            answered = bill_requests.answer_different(
                session,
                actor(user_id),
                int(facts["request"]),
                amount=typed["amount"],
                now=lw.clock(),
            )
            line = request_blocks.bill_line(answered)
    except InputError as exc:
        ack(response_action="errors", errors={"amount": str(exc)})
        return
    if answered.already:
        said = _(words.FORM_ALREADY).format(line=line, command="/loan bill")
        ack(response_action="errors", errors={"amount": said})
        return
    _answered(lw, ack, client, facts, line, user_id)


def _facts(
    lw: Loanwatch,
    ack: Callable[..., Any],
    body: dict[str, Any],
    view: dict[str, Any],
    callback: str,
    first_field: str,
) -> dict[str, Any] | None:
    """The form's signed facts; None (and the form told, the refusal audited) when forged."""
    user_id = body["user"]["id"]
    try:
        return unpack(lw.installation(), view.get("private_metadata"), callback, user_id)
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": f"{callback}", "reason": "forged form"})
        ack(response_action="errors", errors={first_field: str(exc)})
        return None


def _amounts(
    ack: Callable[..., Any], view: dict[str, Any], blocks: tuple[str, ...]
) -> dict[str, Any] | None:
    """The amounts typed in `blocks`; None (and each error shown on its field) when one is not."""
    errors: dict[str, str] = {}
    figures = {}
    for block in blocks:
        try:
            figures[block] = parse_amount(_typed(view, block), allow_zero=True, what=block)
        except InputError as exc:
            errors[block] = str(exc)
    if errors:
        ack(response_action="errors", errors=errors)
        return None
    return figures


def _answered(
    lw: Loanwatch,
    ack: Callable[..., Any],
    client: WebClient,
    facts: dict[str, Any],
    line: str,
    user_id: str,
) -> None:
    """The form closes, and the request's messages (and App Home, when the form was opened
    there) say what was recorded."""
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
