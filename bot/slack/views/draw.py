"""The draw form: a bare `/loan draw` opens it; its errors show on the field they are about."""

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.ledger.draw_requests import DrawArgs
from bot.ledger.schedule import RepaymentMethod
from bot.money import parse_amount
from bot.slack import draw_replies, parsing
from bot.slack.context import Loanwatch, loanwatch_of, refusal
from bot.slack.reply import Reply
from bot.slack.roles import Role
from bot.slack.views.metadata import ForgedMetadataError, pack, unpack
from bot.typed import MAX_TEXT_CHARS, free_text

log = logging.getLogger(__name__)

CALLBACK = "draw_modal"
# Slack's static select takes at most 100 options.
MAX_FACILITIES = 100
NOTE_CHARS = MAX_TEXT_CHARS


def draw_view(slugs: list[str], private_metadata: str) -> dict[str, Any]:
    """The modal: facility, amount, term, method (the facility's unless chosen), note."""
    options = [_option(slug, slug) for slug in slugs[:MAX_FACILITIES]]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": _("Log a draw")},
        "submit": {"type": "plain_text", "text": _("Log draw")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            _input("facility", _("Facility"), {"type": "static_select", "options": options}),
            _input(
                "amount",
                _("Amount"),
                _text(_("e.g. 50,000 or 5万")),
            ),
            _input("term", _("Term"), _text(_("e.g. 12m"))),
            _input(
                "method",
                _("Repayment method"),
                {
                    "type": "static_select",
                    "options": [_option(_(m.words), m.value) for m in RepaymentMethod],
                },
                optional=True,
                hint=_("Leave empty for the facility's method."),
            ),
            _input(
                "note",
                _("Note"),
                # Slack stops the typing at the length the ledger keeps (bot.typed).
                {**_text(_("What the money is for")), "multiline": True, "max_length": NOTE_CHARS},
                optional=True,
            ),
        ],
    }


def open_draw_modal(
    lw: Loanwatch,
    client: WebClient,
    trigger_id: str,
    slugs: list[str],
    *,
    channel_id: str,
    user_id: str,
) -> None:
    """Open the form in answer to a bare `/loan draw`; its answer goes to `channel_id`."""
    metadata = pack(lw.installation(), CALLBACK, user_id, {"channel": channel_id})
    client.views_open(trigger_id=trigger_id, view=draw_view(slugs, metadata))


def submit(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Validate the form: errors go back onto their fields; a good draw is logged once."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    if not lw.may(user_id, Role.TREASURER, "draw (form)"):
        ack(response_action="errors", errors={"facility": refusal(Role.TREASURER, N_("log draws"))})
        return
    try:
        facts = unpack(lw.installation(), view.get("private_metadata"), CALLBACK, user_id)
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": "draw (form)", "reason": "forged form"})
        ack(response_action="errors", errors={"facility": str(exc)})
        return
    values = view["state"]["values"]
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    facility = _selected(values, "facility")
    if facility is None:
        errors["facility"] = _("Pick the facility the money came from.")
    for block, parse in (
        ("amount", parse_amount),
        ("term", parsing.term_months),
    ):
        try:
            fields[block] = parse(_typed(values, block) or "")
        except InputError as exc:
            errors[block] = str(exc)
    try:
        fields["note"] = free_text(_typed(values, "note"), N_("the draw's note"))
    except InputError as exc:
        errors["note"] = str(exc)
    method = _selected(values, "method")
    known_methods = {m.value for m in RepaymentMethod}
    if method is not None and method not in known_methods:
        errors["method"] = _("Pick one of the methods listed, or leave it empty.")
    if errors:
        ack(response_action="errors", errors=errors)
        return
    args = DrawArgs(
        facility=facility or "",
        amount=fields["amount"],
        months=fields["term"],
        method=RepaymentMethod(method) if method else None,
        note=fields["note"],
    )
    try:
        reply = draw_replies.log_draw(lw, user_id, f"view:{view['id']}", args)
    except NotFoundError as exc:
        ack(response_action="errors", errors={"facility": str(exc)})
        return
    except InputError as exc:
        ack(response_action="errors", errors={"amount": str(exc)})
        return
    ack()
    if not reply.repeated:
        tell(client, str(facts.get("channel") or ""), user_id, reply)


def tell(client: WebClient, channel_id: str, user_id: str, reply: Reply) -> None:
    """Show a reply where the form was opened: to the channel, or to the person alone.

    The draw is already logged when this runs, so a channel the bot cannot post in (a direct
    message, a private channel it was not invited to) must not lose the answer: it goes to
    the person as a direct message instead.
    """
    kwargs: dict[str, Any] = {"text": reply.text}
    if reply.blocks:
        kwargs["blocks"] = reply.blocks
    try:
        if reply.in_channel and channel_id:
            client.chat_postMessage(channel=channel_id, **kwargs)
            return
        if channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **kwargs)
            return
    except SlackApiError as exc:
        log.info("could not answer in %s (%s); answering by direct message", channel_id, exc)
    client.chat_postMessage(channel=user_id, **kwargs)


def _typed(values: dict[str, Any], block: str) -> str | None:
    return (values.get(block, {}).get("value") or {}).get("value")


def _selected(values: dict[str, Any], block: str) -> str | None:
    option = (values.get(block, {}).get("value") or {}).get("selected_option")
    return option["value"] if option else None


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": "value"},
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _text(placeholder: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "placeholder": {"type": "plain_text", "text": placeholder}}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}
