"""The buttons on an alert message: Acknowledge, Snooze, Resolve (asks why), Open ticket, and
Money arrived on a `draw_unconfirmed` alert.

Each handler: check the role, find the alert from the payload (values carry ids only) and check
the click came from that alert's own message, make one domain call. The message itself changes
when the delivery worker sends the outbox row the domain call wrote (`bot.alerts.notifier`), so
what everyone sees comes from one place.

Where a click may come from (docs/slack.md, "Alert buttons"): the alert's own message, the one
its `message_ref` names (CHANNEL:TS), or the App Home tab, which Slack shows only to the person
it was published for and sends clicks on only to this app. A storm's grouped message has no
buttons, so an alert told only there has no button anywhere until it gets its own message.
"""

from typing import Any

from slack_sdk import WebClient

from bot.alerts import actions as alert_actions
from bot.alerts.money_arrived import money_arrived as confirm_money_arrived
from bot.durations import parse_duration
from bot.errors import InputError
from bot.i18n import _
from bot.models import Alert
from bot.slack import ticket_words
from bot.slack.actions.values import NOT_OURS, row_id
from bot.slack.blocks import (
    ACK_ACTION,
    MONEY_ARRIVED_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    SNOOZE_CHOICES,
    TICKET_ACTION,
)
from bot.slack.context import Loanwatch, actor, loanwatch_of, refusal
from bot.slack.mrkdwn import escape, mention
from bot.slack.roles import Role
from bot.slack.views.metadata import pack
from bot.slack.views.resolve import RESOLVE_CALLBACK, resolve_view
from bot.slack.views.tickets import open_form


def acknowledge(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Acknowledge: the clicker owns the alert until the ack expires or it resolves."""
    ack()
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    if not allowed(lw, client, body, "acknowledge alerts"):
        return
    alert_id = _clicked_alert(lw, client, body, action.get("value"), "ack")
    if alert_id is None:
        return
    try:
        with lw.transaction() as session:
            alert = alert_actions.acknowledge(
                session, actor(user_id), alert_id, now=lw.clock(), policy=lw.policy
            )
            owner = alert.acknowledged_by
    except InputError as exc:
        whisper(client, body, escape(str(exc)))
        return
    if owner != user_id:
        whisper(
            client,
            body,
            _("Alert {id} is already acknowledged by {who}.").format(
                id=alert_id, who=mention(owner)
            ),
        )


def snooze(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Snooze for the chosen time (the option's value is `ALERT_ID:DURATION`)."""
    ack()
    lw = loanwatch_of(context)
    if not allowed(lw, client, body, "snooze alerts"):
        return
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    alert_part, _, choice = value.partition(":") if isinstance(value, str) else ("", "", "")
    if choice not in SNOOZE_CHOICES:
        whisper(client, body, NOT_OURS)
        return
    alert_id = _clicked_alert(lw, client, body, alert_part, "snooze")
    if alert_id is None:
        return
    now = lw.clock()
    try:
        with lw.transaction() as session:
            alert_actions.snooze(
                session,
                actor(body["user"]["id"]),
                alert_id,
                now + parse_duration(choice),
                now=now,
                policy=lw.policy,
            )
    except InputError as exc:
        whisper(client, body, escape(str(exc)))


def ask_resolve_reason(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Resolve: a modal asks why, since a resolve by hand needs a reason."""
    ack()
    lw = loanwatch_of(context)
    if not allowed(lw, client, body, "resolve alerts"):
        return
    alert_id = _clicked_alert(lw, client, body, action.get("value"), "resolve")
    if alert_id is None:
        return
    metadata = pack(lw.installation(), RESOLVE_CALLBACK, body["user"]["id"], {"alert": alert_id})
    client.views_open(trigger_id=body["trigger_id"], view=resolve_view(alert_id, metadata))


def money_arrived(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Money arrived: the draw of a `draw_unconfirmed` alert is confirmed and the alert resolves."""
    ack()
    lw = loanwatch_of(context)
    if not allowed(lw, client, body, "confirm draws", Role.TREASURER):
        return
    alert_id = _clicked_alert(lw, client, body, action.get("value"), "draw confirm")
    if alert_id is None:
        return
    try:
        with lw.transaction() as session:
            confirm_money_arrived(
                session, actor(body["user"]["id"]), alert_id, now=lw.clock(), policy=lw.policy
            )
    except InputError as exc:
        whisper(client, body, escape(str(exc)))


def open_ticket(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Open ticket: a form prefilled from the alert; submitting it opens the ticket
    (bot.slack.views.tickets)."""
    ack()
    lw = loanwatch_of(context)
    if not allowed(lw, client, body, ticket_words.OPEN):
        return
    alert_id = _clicked_alert(lw, client, body, action.get("value"), "ticket")
    if alert_id is None:
        return
    try:
        form = open_form(lw, body["user"]["id"], alert_id)
    except InputError as exc:
        whisper(client, body, escape(str(exc)))
        return
    client.views_open(trigger_id=body["trigger_id"], view=form)


def _clicked_alert(
    lw: Loanwatch, client: WebClient, body: dict[str, Any], value: Any, action: str
) -> int | None:
    """The alert a click is about, if it came from that alert's message (or App Home);
    otherwise the clicker is told why nothing was done, and None returned. `action` is the
    `/loan` subcommand that does the same."""
    alert_id = row_id(value)
    if alert_id is None:
        whisper(client, body, NOT_OURS)
        return None
    if _from_home(body):
        return alert_id
    container = body.get("container")
    where = (
        f"{container.get('channel_id')}:{container.get('message_ts')}"
        if isinstance(container, dict) and container.get("type") == "message"
        else None
    )
    with lw.reading() as session:
        alert = session.get(Alert, alert_id)
        message_ref = alert.message_ref if alert is not None else None
    if where is not None and where == message_ref:
        return alert_id
    lw.refuse(
        body["user"]["id"],
        "slack_action",
        {"action": action, "alert": alert_id, "reason": "not the alert's message"},
    )
    whisper(
        client,
        body,
        _(
            "This button is not on alert {id}'s own message, so nothing was done. "
            "Use the buttons on that message, or `/loan {action}`."
        ).format(id=alert_id, action=action),
    )
    return None


def _from_home(body: dict[str, Any]) -> bool:
    container, view = body.get("container"), body.get("view")
    return (
        isinstance(container, dict)
        and container.get("type") == "view"
        and isinstance(view, dict)
        and view.get("type") == "home"
    )


def allowed(
    lw: Loanwatch,
    client: WebClient,
    body: dict[str, Any],
    what: str,
    needed: Role = Role.OPERATOR,
) -> bool:
    if lw.may(body["user"]["id"], needed, what):
        return True
    whisper(client, body, refusal(needed, what))
    return False


def whisper(client: WebClient, body: dict[str, Any], text: str) -> None:
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
    MONEY_ARRIVED_ACTION: money_arrived,
}
