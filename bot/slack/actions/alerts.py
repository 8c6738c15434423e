"""The buttons on an alert message: Acknowledge, Snooze, Resolve (asks why), Open ticket.

Each handler: find the alert from the payload (values carry ids only), check the role, make one
domain call. The message itself changes when the delivery worker sends the outbox row the
lifecycle wrote, so what everyone sees comes from one place.
"""

from typing import Any

from slack_sdk import WebClient

from bot.alerts import lifecycle
from bot.errors import InputError
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION, SNOOZE_ACTION, TICKET_ACTION
from bot.slack.context import Loanwatch, actor, loanwatch_of, refusal
from bot.slack.mrkdwn import escape, mention
from bot.slack.roles import Role

RESOLVE_CALLBACK = "resolve_modal"


def acknowledge(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Acknowledge: the clicker owns the alert until the ack expires or it resolves."""
    ack()
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    alert_id = int(action["value"])
    if not _allowed(lw, client, body, "acknowledge alerts"):
        return
    try:
        with lw.transaction() as session:
            alert = lifecycle.acknowledge(
                session, actor(user_id), alert_id, now=lw.clock(), policy=lw.policy
            )
            owner = alert.acknowledged_by
    except InputError as exc:
        _whisper(client, body, escape(str(exc)))
        return
    if owner != user_id:
        _whisper(client, body, f"Alert {alert_id} is already acknowledged by {mention(owner)}.")


def snooze(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Snooze for the chosen time (the option's value is `ALERT_ID:DURATION`)."""
    ack()
    lw = loanwatch_of(context)
    if not _allowed(lw, client, body, "snooze alerts"):
        return
    alert_id, _, duration = action["selected_option"]["value"].partition(":")
    now = lw.clock()
    try:
        with lw.transaction() as session:
            lifecycle.snooze(
                session,
                actor(body["user"]["id"]),
                int(alert_id),
                now + lifecycle.parse_duration(duration),
                now=now,
                policy=lw.policy,
            )
    except InputError as exc:
        _whisper(client, body, escape(str(exc)))


def ask_resolve_reason(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Resolve: a modal asks why, since a resolve by hand needs a reason."""
    ack()
    lw = loanwatch_of(context)
    if not _allowed(lw, client, body, "resolve alerts"):
        return
    client.views_open(trigger_id=body["trigger_id"], view=resolve_view(int(action["value"])))


def open_ticket(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Open ticket: tickets with platforms are not built yet; say so rather than fail silently."""
    ack()
    if not _allowed(loanwatch_of(context), client, body, "open tickets", Role.TREASURER):
        return
    _whisper(
        client,
        body,
        "Opening a ticket with the platform is not available yet in this version of loanwatch.",
    )


def resolve_view(alert_id: int) -> dict[str, Any]:
    """The modal that asks why an alert is being resolved."""
    return {
        "type": "modal",
        "callback_id": RESOLVE_CALLBACK,
        "private_metadata": str(alert_id),
        "title": {"type": "plain_text", "text": f"Resolve alert {alert_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why is it resolved?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": {"type": "plain_text", "text": "e.g. paid by bank transfer"},
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
    reason = view["state"]["values"]["reason"]["value"].get("value") or ""
    try:
        with lw.transaction() as session:
            lifecycle.resolve(
                session,
                actor(user_id),
                int(view["private_metadata"]),
                reason,
                now=lw.clock(),
                policy=lw.policy,
            )
    except InputError as exc:
        ack(response_action="errors", errors={"reason": str(exc)})
        return
    ack()


def _allowed(
    lw: Loanwatch,
    client: WebClient,
    body: dict[str, Any],
    what: str,
    needed: Role = Role.OPERATOR,
) -> bool:
    if lw.may(body["user"]["id"], needed, what):
        return True
    _whisper(client, body, refusal(needed, what))
    return False


def _whisper(client: WebClient, body: dict[str, Any], text: str) -> None:
    """An ephemeral note to the person who clicked, in the channel of the message."""
    channel = (body.get("channel") or {}).get("id")
    user_id = body["user"]["id"]
    if channel:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    else:
        client.chat_postMessage(channel=user_id, text=text)


ACTIONS = {
    ACK_ACTION: acknowledge,
    SNOOZE_ACTION: snooze,
    RESOLVE_ACTION: ask_resolve_reason,
    TICKET_ACTION: open_ticket,
}
