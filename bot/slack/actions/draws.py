"""The buttons on "log the same draw again?": confirm or cancel (values carry the request id)."""

from typing import Any

from bot.errors import InputError
from bot.i18n import N_, _
from bot.slack import draw_replies
from bot.slack.actions.values import NOT_OURS, row_id
from bot.slack.context import loanwatch_of, refusal
from bot.slack.mrkdwn import escape
from bot.slack.roles import Role


def confirm(
    ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any
) -> None:
    """Log the draw that was waiting; the question is replaced by the answer."""
    ack()
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    if not lw.may(user_id, Role.TREASURER, "draw (confirm)"):
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=refusal(Role.TREASURER, N_("log draws")),
        )
        return
    request_id = row_id(action.get("value"))
    if request_id is None:
        respond(response_type="ephemeral", replace_original=False, text=NOT_OURS)
        return
    try:
        reply = draw_replies.confirm(lw, user_id, request_id)
    except InputError as exc:
        respond(response_type="ephemeral", replace_original=False, text=escape(str(exc)))
        return
    if reply.repeated or not reply.in_channel:
        respond(replace_original=True, text=reply.text)
        return
    # The question was only for the person; the draw is for the channel, like any other draw.
    respond(replace_original=True, text=_("Logged; the schedule is in the channel."))
    respond(
        replace_original=False, response_type="in_channel", text=reply.text, blocks=reply.blocks
    )


def cancel(
    ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any
) -> None:
    """Drop the waiting draw."""
    ack()
    lw = loanwatch_of(context)
    request_id = row_id(action.get("value"))
    if request_id is None:
        respond(response_type="ephemeral", replace_original=False, text=NOT_OURS)
        return
    try:
        reply = draw_replies.cancel(lw, body["user"]["id"], request_id)
    except InputError as exc:
        reply_text = escape(str(exc))
    else:
        reply_text = reply.text
    respond(replace_original=True, text=reply_text)


ACTIONS = {draw_replies.CONFIRM_ACTION: confirm, draw_replies.CANCEL_ACTION: cancel}
