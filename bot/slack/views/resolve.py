"""The form the Resolve button opens: why is the alert resolved? (A resolve by hand needs a
reason.) Its private_metadata names the alert, signed (bot.slack.views.metadata)."""

from typing import Any

from bot.alerts.actions import resolve
from bot.errors import InputError
from bot.i18n import _
from bot.slack.context import actor, loanwatch_of, refusal
from bot.slack.roles import Role
from bot.slack.views.metadata import ForgedMetadataError, unpack

RESOLVE_CALLBACK = "resolve_modal"


def resolve_view(alert_id: int, private_metadata: str) -> dict[str, Any]:
    """The modal that asks why an alert is being resolved."""
    return {
        "type": "modal",
        "callback_id": RESOLVE_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": _("Resolve alert {id}").format(id=alert_id)[:24]},
        "submit": {"type": "plain_text", "text": _("Resolve")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": _("Why is it resolved?")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": {"type": "plain_text", "text": _("e.g. paid by bank transfer")},
                },
            }
        ],
    }


def submit_resolve(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """Resolve with the reason given; a refusal shows on the reason field."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    if not lw.may(user_id, Role.OPERATOR, "resolve (form)"):
        ack(response_action="errors", errors={"reason": refusal(Role.OPERATOR, "resolve alerts")})
        return
    try:
        facts = unpack(lw.installation(), view.get("private_metadata"), RESOLVE_CALLBACK, user_id)
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": "resolve (form)", "reason": "forged form"})
        ack(response_action="errors", errors={"reason": str(exc)})
        return
    reason = _typed(view, "reason")
    try:
        with lw.transaction() as session:
            resolve(
                session,
                actor(user_id),
                int(facts["alert"]),
                reason,
                now=lw.clock(),
                policy=lw.policy,
            )
    except InputError as exc:
        ack(response_action="errors", errors={"reason": str(exc)})
        return
    ack()


def _typed(view: dict[str, Any], block: str) -> str:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    typed = ((values or {}).get(block) or {}).get("value") or {}
    text = typed.get("value") if isinstance(typed, dict) else None
    return text if isinstance(text, str) else ""
