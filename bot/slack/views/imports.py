"""The **Import statement** message shortcut and its form: which facility, read how (a built-in
format or a saved mapping), and which file when the message has several. Submitting closes the
form at once; the import itself runs after (`bot.slack.imports.run`) and its report comes as a
direct message. The form's private_metadata (signed, bot.slack.views.metadata) holds the
message's files, so a submission imports only a file of the message the shortcut was used on.
"""

from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.i18n import _
from bot.ledger.import_requests import ImportTarget
from bot.ledger.mappings import list_mappings
from bot.ledger.portfolio import positions
from bot.ledger.statements import FORMATS
from bot.slack import import_words as words
from bot.slack import imports
from bot.slack.context import loanwatch_of, refusal
from bot.slack.roles import Role
from bot.slack.views.metadata import ForgedMetadataError, pack, unpack

MAX_FILES = 5
MAX_OPTIONS = 100


def open_form(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """The shortcut: the form, or a short notice of why there is none."""
    ack()
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    trigger = body["trigger_id"]
    if not lw.may(user_id, Role.OPERATOR, "import (shortcut)"):
        client.views_open(trigger_id=trigger, view=notice(refusal(Role.OPERATOR, _(words.WHAT))))
        return
    shared = message_files(body.get("message"))
    if not shared:
        client.views_open(trigger_id=trigger, view=notice(_(words.NO_FILE)))
        return
    with lw.reading() as session:
        slugs = [p.facility.slug for p in positions(session) if p.facility.active]
        mappings = [m.name for m in list_mappings(session)]
    if not slugs:
        client.views_open(trigger_id=trigger, view=notice(_(words.NO_FACILITIES)))
        return
    metadata = pack(lw.installation(), words.FORM_CALLBACK, user_id, {"files": shared})
    client.views_open(trigger_id=trigger, view=form_view(slugs, mappings, shared, metadata))


def message_files(message: Any) -> list[list[str]]:
    """[id, name] of the message's files (at most MAX_FILES)."""
    found = message.get("files") if isinstance(message, dict) else None
    shared = []
    for entry in found if isinstance(found, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
            name = entry.get("name") or entry.get("title") or entry["id"]
            shared.append([entry["id"][:64], str(name)[:200]])
    return shared[:MAX_FILES]


def check_form(ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """The submission's answer: errors on their fields, or the form closes (the import runs
    next, in `import_submitted`)."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    if not lw.may(user_id, Role.OPERATOR, "import (form)"):
        ack(response_action="errors", errors={"facility": refusal(Role.OPERATOR, _(words.WHAT))})
        return
    try:
        facts = unpack(
            lw.installation(), view.get("private_metadata"), words.FORM_CALLBACK, user_id
        )
    except ForgedMetadataError as exc:
        lw.refuse(user_id, "slack_action", {"action": "import (form)", "reason": "forged form"})
        ack(response_action="errors", errors={"facility": str(exc)})
        return
    try:
        chosen(view, facts)
    except InputError as exc:
        ack(response_action="errors", errors={"how": str(exc)})
        return
    ack()


def import_submitted(
    body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    """After the form closed: fetch the file, import it, send the report."""
    lw = loanwatch_of(context)
    user_id = body["user"]["id"]
    try:
        facts = unpack(
            lw.installation(), view.get("private_metadata"), words.FORM_CALLBACK, user_id
        )
        target, file_id = chosen(view, facts)
    except InputError:
        return  # check_form refused it already, on the form
    imports.run_and_tell(lw, client, user_id, file_id, target)


def chosen(view: dict[str, Any], facts: dict[str, Any]) -> tuple[ImportTarget, str]:
    """(where and how, which file) as picked on the form; InputError for a pick not offered."""
    values = (view.get("state") or {}).get("values") or {}
    facility = _picked(values, "facility")
    if not facility:
        raise InputError(_("Pick the facility the statement belongs to."))
    how = _picked(values, "how") or "format:auto"
    kind, _colon, name = how.partition(":")
    if kind == "format" and name in FORMATS:
        target = ImportTarget(facility, fmt=name)
    elif kind == "mapping" and name:
        target = ImportTarget(facility, mapping=name)
    else:
        raise InputError(_("Pick one of the ways listed to read the file."))
    offered = [entry[0] for entry in facts.get("files") or []]
    file_id = _picked(values, "file") or (offered[0] if offered else "")
    if file_id not in offered:
        raise InputError(_("Pick one of the message's files."))
    return target, file_id


def form_view(
    slugs: list[str], mappings: list[str], shared: list[list[str]], metadata: str
) -> dict[str, Any]:
    """The form: facility, how to read the file, and the file when there are several."""
    formats = [_option(_(text), f"format:{fmt}") for fmt, text in words.FORMAT_WORDS.items()]
    groups = [{"label": _plain(_("Built-in formats")), "options": formats}]
    if mappings:
        saved = [_option(name, f"mapping:{name}") for name in mappings[: MAX_OPTIONS - 4]]
        groups.append({"label": _plain(_("Saved mappings")), "options": saved})
    facilities = [_option(s, s) for s in slugs[:MAX_OPTIONS]]
    blocks: list[dict[str, Any]] = [
        _select("facility", _(words.FACILITY_LABEL), facilities),
        {
            **_select("how", _(words.HOW_LABEL), []),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "option_groups": groups,
                "initial_option": formats[0],
            },
        },
    ]
    if len(shared) > 1:
        blocks.append(_select("file", _(words.FILE_LABEL), [_option(n, i) for i, n in shared]))
    else:
        blocks.append(_context(_("File: {name}").format(name=shared[0][1])))
    return {
        "type": "modal",
        "callback_id": words.FORM_CALLBACK,
        "private_metadata": metadata,
        "title": _plain(_(words.TITLE)),
        "submit": _plain(_(words.SUBMIT)),
        "close": _plain(_("Cancel")),
        "blocks": blocks,
    }


def notice(text: str) -> dict[str, Any]:
    """A form with nothing to fill: why there is nothing to import."""
    return {
        "type": "modal",
        "title": _plain(_(words.TITLE)),
        "close": _plain(_("Close")),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def _picked(values: dict[str, Any], block: str) -> str:
    state = (values.get(block) or {}).get("value") or {}
    option = state.get("selected_option") if isinstance(state, dict) else None
    return str(option.get("value") or "") if isinstance(option, dict) else ""


def _select(block_id: str, label: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {"type": "static_select", "action_id": "value", "options": options},
    }


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text[:75]), "value": value[:150]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "plain_text", "text": text[:2000]}]}
