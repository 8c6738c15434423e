"""The ticket forms: open (from an alert, or `/loan ticket` alone), record a reply, add a note,
close. Each form's private_metadata names what it acts on, signed (bot.slack.views.metadata);
each submission makes one domain call (bot.tickets), whose notice updates the ticket's message
and thread through the outbox. Refusals and bad input show on the form's field."""

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.transition import get_alert
from bot.errors import InputError
from bot.i18n import _
from bot.models import Facility, Platform
from bot.slack import ticket_words as words
from bot.slack.context import Loanwatch, actor, loanwatch_of, refusal
from bot.slack.roles import Role
from bot.slack.views.metadata import ForgedMetadataError, pack, unpack
from bot.tickets import changes
from bot.tickets.contacts import contact_for
from bot.tickets.opening import MAX_RECORDS_DAYS, open_ticket
from bot.tickets.records import usage_records
from bot.tickets.requests import open_once
from bot.tickets.text import letter
from bot.tickets.words import DEFAULT_RECORDS_DAYS, MAX_SUBJECT_CHARS, ticket_label
from bot.typed import shorten

OPEN_CALLBACK = "ticket_open_modal"
REPLY_CALLBACK = "ticket_reply_modal"
NOTE_CALLBACK = "ticket_note_modal"
CLOSE_CALLBACK = "ticket_close_modal"


def open_form(lw: Loanwatch, user_id: str, alert_id: int | None) -> dict[str, Any]:
    """The opening form: prefilled from the alert (subject, what the platform is told, the
    records' days, the contact), or with a choice of facility when opened by hand."""
    with lw.reading() as session:
        if alert_id is None:
            slugs = list(session.scalars(select(Facility.slug).order_by(Facility.slug)))
            blocks = [_facility_choice(slugs)] if slugs else []
            subject = ""
        else:
            alert = get_alert(session, alert_id)
            facility = session.get(Facility, alert.facility_id)
            if facility is None:
                raise InputError(_no_facility().format(alert=alert_id))
            platform = session.get(Platform, facility.platform_id)
            assert platform is not None
            contact = contact_for(session, facility)
            records = usage_records(
                session, facility, [alert], days=DEFAULT_RECORDS_DAYS, now=lw.clock()
            )
            summary = letter.summary(records, contact.language)
            blocks = [
                _context(
                    _("*{facility}* · alert {alert}").format(facility=facility.slug, alert=alert.id)
                ),
                _context(words.contact_words(contact, platform.display_name)),
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": words.summary_words(summary)},
                },
            ]
            subject = shorten(" ".join(alert.summary.split()), MAX_SUBJECT_CHARS)
    facts = {"alert": alert_id}
    metadata = pack(lw.installation(), OPEN_CALLBACK, user_id, facts)
    blocks += [
        _input("subject", _(words.SUBJECT_LABEL), initial=subject, max_length=MAX_SUBJECT_CHARS),
        _input("days", _(words.DAYS_LABEL), initial=str(DEFAULT_RECORDS_DAYS), max_length=4),
        _input("body", _(words.BODY_LABEL), multiline=True, optional=True, max_length=2000),
    ]
    return _modal(OPEN_CALLBACK, _(words.OPEN_TITLE), _(words.OPEN_SUBMIT), metadata, blocks)


class _TextForm(NamedTuple):
    """A form on a ticket that takes one text: who may submit it, what the refusal and the
    audit call it, and its title and field label."""

    needed: Role
    what: str
    title: str
    label: str


_TEXT_FORMS = {
    REPLY_CALLBACK: _TextForm(Role.OPERATOR, words.REPLY, words.REPLY_TITLE, words.REPLY_LABEL),
    NOTE_CALLBACK: _TextForm(Role.OPERATOR, words.NOTE, words.NOTE_TITLE, words.NOTE_LABEL),
    CLOSE_CALLBACK: _TextForm(Role.TREASURER, words.CLOSE, words.CLOSE_TITLE, words.CLOSE_LABEL),
}


def text_form(lw: Loanwatch, user_id: str, callback: str, number: int) -> dict[str, Any]:
    """The reply, note or close form of ticket T-n."""
    metadata = pack(lw.installation(), callback, user_id, {"ticket": number})
    form = _TEXT_FORMS[callback]
    blocks = [
        _context(f"*{ticket_label(number)}*"),
        _input("text", _(form.label), multiline=True, max_length=2000),
    ]
    if callback == REPLY_CALLBACK:
        blocks.append(_input("case", _(words.CASE_LABEL), optional=True, max_length=100))
    return _modal(callback, _(form.title), _(words.SAVE), metadata, blocks)


def submit_open(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """Open the ticket; its message, thread and CSV come from its notice (the worker)."""
    lw = loanwatch_of(context)
    facts = _checked(lw, ack, body, view, OPEN_CALLBACK, Role.OPERATOR, words.OPEN, "subject")
    if facts is None:
        return
    days_typed = _typed(view, "days").strip() or str(DEFAULT_RECORDS_DAYS)
    if not days_typed.isdigit() or not 1 <= int(days_typed) <= MAX_RECORDS_DAYS:
        ack(response_action="errors", errors={"days": _(words.DAYS_NOT_NUMBER)})
        return
    alert_id = facts.get("alert")
    who = actor(body["user"]["id"])

    def open_it(session: Session) -> str:
        slug = _facility_of(session, alert_id, _typed(view, "facility"))
        return open_ticket(
            session,
            who,
            slug,
            _typed(view, "subject"),
            now=lw.clock(),
            calendar=lw.calendar,
            alert_ids=[alert_id] if alert_id else [],
            body=_typed(view, "body") or None,
            days=int(days_typed),
            default_channel=lw.settings.default_alert_channel,
        ).label

    try:
        # The same form submitted twice (its view id): the second closes it, opening nothing.
        with lw.committing() as sessions:
            open_once(sessions, who, f"view:{view['id']}", open_it, now=lw.clock())
    except InputError as exc:
        ack(response_action="errors", errors={"subject": str(exc)})
        return
    ack()


def submit_reply(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """The platform's reply, with its case number if given."""
    case_ref = _typed(view, "case") or None
    _submit_change(
        ack, body, view, context, REPLY_CALLBACK, changes.record_reply, case_ref=case_ref
    )


def submit_note(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """A note on the ticket's timeline."""
    _submit_change(ack, body, view, context, NOTE_CALLBACK, changes.add_note)


def submit_close(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """Close with the resolution; its thread says which alerts are still open."""
    _submit_change(ack, body, view, context, CLOSE_CALLBACK, changes.close_ticket)


def _submit_change(
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    context: Any,
    callback: str,
    change: Callable[..., Any],
    **more: Any,
) -> None:
    """Make the one domain call a text form asks for, ``change(session, actor, number, text,
    now=…, default_channel=…, **more)``; bad input shows on the form's text field."""
    lw = loanwatch_of(context)
    form = _TEXT_FORMS[callback]
    facts = _checked(lw, ack, body, view, callback, form.needed, form.what, "text")
    if facts is None:
        return
    try:
        with lw.transaction() as session:
            change(
                session,
                actor(body["user"]["id"]),
                int(facts["ticket"]),
                _typed(view, "text"),
                now=lw.clock(),
                default_channel=lw.settings.default_alert_channel,
                **more,
            )
    except InputError as exc:
        ack(response_action="errors", errors={"text": str(exc)})
        return
    ack()


def _checked(
    lw: Loanwatch,
    ack: Any,
    body: dict[str, Any],
    view: dict[str, Any],
    callback: str,
    needed: Role,
    what: str,
    field: str,
) -> dict[str, Any] | None:
    """The form's signed facts, if the person may do this and loanwatch opened it for them."""
    user_id = body["user"]["id"]
    if not lw.may(user_id, needed, f"{what} (form)"):
        ack(response_action="errors", errors={field: refusal(needed, _(what))})
        return None
    try:
        return unpack(lw.installation(), view.get("private_metadata"), callback, user_id)
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": f"{what} (form)", "reason": "forged form"})
        ack(response_action="errors", errors={field: str(exc)})
        return None


def _facility_of(session: Session, alert_id: int | None, chosen: str) -> str:
    if alert_id is None:
        if not chosen:
            raise InputError(_("choose the facility the ticket is about"))
        return chosen
    alert = get_alert(session, alert_id)
    facility = session.get(Facility, alert.facility_id)
    if facility is None:
        raise InputError(_no_facility().format(alert=alert_id))
    return facility.slug


def _no_facility() -> str:
    return _("alert {alert} is about no facility; no platform to write to")


def _typed(view: dict[str, Any], block: str) -> str:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    typed = ((values or {}).get(block) or {}).get("value") or {}
    if not isinstance(typed, dict):
        return ""
    chosen = typed.get("selected_option")
    if isinstance(chosen, dict):
        return str(chosen.get("value") or "")
    value = typed.get("value")
    return value if isinstance(value, str) else ""


def _modal(
    callback: str, title: str, submit: str, metadata: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": _(words.CANCEL)},
        "blocks": blocks,
    }


def _input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 2000,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _facility_choice(slugs: list[str]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": s[:75]}, "value": s} for s in slugs[:100]]
    return {
        "type": "input",
        "block_id": "facility",
        "label": {"type": "plain_text", "text": _(words.FACILITY_LABEL)},
        "element": {"type": "static_select", "action_id": "value", "options": options},
    }


def _context(text_: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text_}]}
