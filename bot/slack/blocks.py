"""Block Kit messages about alerts: one alert, a grouped storm, and lines for a message's thread.

Every builder takes the payload the outbox carries (an `AlertNotice` or a `GroupNotice` of
`bot.alerts.notices`, as JSON) and queries nothing; the words come from that module too, said
in Slack's voice (people mentioned, what they typed escaped). Blocks are built with
`slack_sdk.models`, whose `to_dict()` checks the limits it knows; the ones it leaves out (a
section field's 2,000 characters, a text object's 3,000, 50 blocks in a message) are kept here
by truncating with "…", and `validate` checks them all.
https://api.slack.com/reference/block-kit/blocks
"""

import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.alerts.notices import (
    PLAIN,
    AlertNotice,
    Event,
    GroupNotice,
    Voice,
    check_name,
    event_line,
    group_headline,
    group_summary,
    headline,
    state_line,
)
from bot.alerts.policy import AlertState
from bot.alerts.said import at_risk_of, facts_of, summary_of
from bot.i18n import EN, N_, _, use
from bot.slack.mrkdwn import escape_within, mention, truncate
from bot.spreadsheets import safe_cell

__all__ = [
    "ACK_ACTION",
    "MAX_BLOCKS",
    "MAX_TEXT",
    "MONEY_ARRIVED_ACTION",
    "RESOLVE_ACTION",
    "SNOOZE_ACTION",
    "SNOOZE_CHOICES",
    "TICKET_ACTION",
    "alert_message",
    "group_csv",
    "group_csv_filename",
    "group_message",
    "reposted_line",
    "thread_line",
    "validate",
]

Payload = Mapping[str, Any]

ACK_ACTION = "alert_ack"
SNOOZE_ACTION = "alert_snooze"
RESOLVE_ACTION = "alert_resolve"
TICKET_ACTION = "alert_ticket"
MONEY_ARRIVED_ACTION = "alert_money_arrived"
# Option values are f"{alert_id}:{key}": the handler reads the id and the duration, no state.
# The labels are in English, translated where shown.
SNOOZE_CHOICES = {"1h": N_("1 hour"), "4h": N_("4 hours"), "1d": N_("1 day"), "3d": N_("3 days")}

MAX_BLOCKS = 50  # blocks in one message
MAX_TEXT = 3000  # characters in any text object, section text included
MAX_HEADER = 150  # characters in a header block
MAX_FIELD = 2000  # characters in one section field
MAX_FIELDS = 10  # fields in one section
# Facts beyond four sections' worth are counted, not shown: nobody reads forty fields.
MAX_FACT_FIELDS = 4 * MAX_FIELDS
# A fact's label is a few words; a long one should not eat its value's room.
MAX_LABEL = 100

AT_RISK = N_("At risk")
ICONS = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠"}
RESOLVED_ICON = "✅"
CSV_COLUMNS = (
    "alert_id",
    "facility",
    "check",
    "severity",
    "state",
    "subject",
    "fingerprint",
    "summary",
)
# Finance opens the CSV in Excel: its cells go through bot.spreadsheets.safe_cell.

# Slack's voice: people mentioned (`<@U…>`), what people typed escaped, lines within a text
# object's limit.
SLACK = Voice(
    person=mention,
    typed=lambda text, room: escape_within(text, room if room is not None else MAX_TEXT),
    limit=MAX_TEXT,
)


# --- one alert -----------------------------------------------------------------------------------


def alert_message(payload: Payload) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the blocks of the message about one alert.

    1. A header: severity icon, check and facility ("✅ … resolved" once resolved).
    2. The summary, with the facts as fields (ten to a section), led by the money the alert
       puts at risk when it has a figure ("At risk: ¥4,498.77 due 2026-12-07; late fee …").
    3. A context line with the state in words, the alert id and its fingerprint.
    4. The ticket about it, if one is open: its id and state ("Ticket T-3 · waiting on Jiebei").
    5. Unless resolved: Acknowledge (not when acknowledged), Snooze, Resolve, and Open ticket
       (not when a ticket is open).
    """
    notice = AlertNotice.from_payload(payload)
    wording = getattr(notice, "wording", None)
    blocks: list[Block] = [_header(_title(notice))]
    facts = facts_of(notice.facts, wording)
    if notice.at_risk:
        at_risk = at_risk_of(notice.at_risk, getattr(notice, "at_risk_wording", None))
        facts = {_(AT_RISK): at_risk, **facts}
    blocks += _summary_and_facts(summary_of(notice.summary, wording), facts)
    ids = _("Alert {id} · {fingerprint}").format(
        id=notice.alert_id, fingerprint=escape_within(notice.fingerprint, 500)
    )
    blocks.append(ContextBlock(elements=[_mrkdwn(state_line(notice, SLACK)), _mrkdwn(ids)]))
    if notice.ticket:  # the ticket about it, in its state's words: "Ticket T-3 · waiting on …"
        blocks.append(ContextBlock(elements=[_mrkdwn(f"🎫 {escape_within(notice.ticket, 500)}")]))
    if notice.state != AlertState.RESOLVED:
        blocks.append(_actions(notice))
    # The notification text is mrkdwn too, and the headline carries a reason someone typed.
    fallback = escape_within(headline(notice, PLAIN), MAX_TEXT)
    return fallback, [block.to_dict() for block in blocks]


def _title(notice: AlertNotice) -> str:
    check, where = check_name(notice.check), notice.facility or "loanwatch"
    if notice.state == AlertState.RESOLVED:
        what = _("{check} · {where} resolved").format(check=check, where=where)
        return truncate(f"{RESOLVED_ICON} {what}", MAX_HEADER)
    what = _("{check} · {where}").format(check=check, where=where)
    return truncate(f"{_icon(notice.severity)} {what}", MAX_HEADER)


def _summary_and_facts(summary: str, facts: Mapping[str, Any]) -> list[Block]:
    fields = [_field(str(label), str(value)) for label, value in facts.items()]
    if len(fields) > MAX_FACT_FIELDS:
        hidden = len(fields) - (MAX_FACT_FIELDS - 1)
        more = _field(_("More facts"), _("{hidden} not shown").format(hidden=hidden))
        fields = [*fields[: MAX_FACT_FIELDS - 1], more]
    chunks = [fields[start : start + MAX_FIELDS] for start in range(0, len(fields), MAX_FIELDS)]
    # Slack refuses an empty text object, so a blank summary leaves the section to its fields.
    text = _mrkdwn(escape_within(summary, MAX_TEXT)) if summary.strip() else None
    if text is None and not chunks:
        return []
    first, *rest = chunks or [[]]
    return [SectionBlock(text=text, fields=first or None)] + [
        SectionBlock(fields=chunk) for chunk in rest
    ]


def _field(label: str, value: str) -> MarkdownTextObject:
    head = f"*{escape_within(label, MAX_LABEL)}*\n"
    # An empty value would show the label alone, as if the value were lost.
    return _mrkdwn(head + (escape_within(value, MAX_FIELD - len(head)) or "—"))


def _actions(notice: AlertNotice) -> ActionsBlock:
    alert_id = str(notice.alert_id)
    elements: list[InteractiveElement] = []
    if notice.state != AlertState.ACKNOWLEDGED:
        style = "primary" if notice.severity == Severity.CRITICAL else None
        elements.append(_button(_("Acknowledge"), ACK_ACTION, alert_id, style))
    options = [
        Option(value=f"{alert_id}:{key}", text=PlainTextObject(text=_(label)))
        for key, label in SNOOZE_CHOICES.items()
    ]
    elements.append(
        StaticSelectElement(
            placeholder=PlainTextObject(text=_("Snooze")), action_id=SNOOZE_ACTION, options=options
        )
    )
    elements.append(_button(_("Resolve"), RESOLVE_ACTION, alert_id))
    # A draw nothing has confirmed: someone who saw the money land can say so.
    if notice.check == Check.DRAW_UNCONFIRMED and notice.state != AlertState.RESOLVED:
        elements.append(_button(_("Money arrived"), MONEY_ARRIVED_ACTION, alert_id))
    # A ticket goes to the facility's platform; an alert on no facility (loanwatch's own
    # delivery failures) has no platform to write to.
    if notice.facility and not notice.ticket:
        elements.append(_button(_("Open ticket"), TICKET_ACTION, alert_id))
    return ActionsBlock(block_id=f"alert:{alert_id}", elements=elements)


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=text), action_id=action_id, value=value, style=style
    )


# --- the thread ----------------------------------------------------------------------------------


def thread_line(payload: Payload) -> str:
    """One mrkdwn line for the alert message's thread: what just happened, and who did it."""
    return event_line(AlertNotice.from_payload(payload), SLACK)


def reposted_line(payload: Payload) -> str:
    """The first line in the thread of an alert's message posted again after it was deleted."""
    return _(
        "{line}\n_The alert's earlier message was deleted in Slack; this one replaces it._"
    ).format(line=thread_line(payload))


# --- a storm of alerts ---------------------------------------------------------------------------


def group_message(payload: Payload) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and blocks of one message about many alerts of one check.

    No buttons per alert: a storm of them would pass Slack's 50 blocks. The ids are listed,
    each still handled on its own with `/loan ack ID`, and all of them are in the attached CSV.
    """
    storm = GroupNotice.from_payload(payload)
    check = check_name(storm.check)
    if storm.event == Event.OPENED:
        words = _("{count} new {check} alerts").format(count=storm.count, check=check)
        title = f"{_icon(storm.severity)} {words}"
        hint = _(
            "Each alert can still be worked on its own: `/loan ack ID`, "
            "`/loan snooze ID 4h`, `/loan resolve ID reason`"
        )
    else:
        words = _("{count} {check} alerts resolved").format(count=storm.count, check=check)
        title = f"{RESOLVED_ICON} {words}"
        hint = _("Every alert is in the attached CSV.")
    lead = _("*Alert ids*") + "\n"
    where = _("*Facilities*") + "\n"
    summary = _storm_summary(storm, payload) or title
    blocks: list[Block] = [
        _header(truncate(title, MAX_HEADER)),
        SectionBlock(text=_mrkdwn(escape_within(summary, MAX_TEXT))),
        SectionBlock(
            text=_mrkdwn(where + escape_within(storm.by_facility() or "-", MAX_TEXT - len(where)))
        ),
        SectionBlock(text=_mrkdwn(lead + _ids_text(storm.alert_ids, MAX_TEXT - len(lead)))),
        ContextBlock(elements=[_mrkdwn(hint)]),
    ]
    return escape_within(group_headline(storm), MAX_TEXT), [block.to_dict() for block in blocks]


def _storm_summary(storm: GroupNotice, payload: Payload) -> str:
    """The summary the storm's row keeps (in English), said in the language in use."""
    kept = str(payload.get("summary", ""))
    with use(EN):
        as_worded = group_summary(storm)
    if kept == as_worded:  # the usual case: worded by GroupNotice.to_payload
        return group_summary(storm)
    wording = payload.get("wording")
    return summary_of(kept, wording if isinstance(wording, Mapping) else None)


def _ids_text(ids: list[int], limit: int) -> str:
    """The ids, comma separated; cut at an id, not inside one, and say how many are left."""
    text = ", ".join(str(alert_id) for alert_id in ids)
    if len(text) <= limit:
        return text
    # Room for the longest tail there can be: fewer left over never needs more digits.
    room = limit - len(_more(len(ids)))
    shown: list[str] = []
    used = 0
    for alert_id in ids:
        piece = f"{', ' if shown else ''}{alert_id}"
        if used + len(piece) > room:
            break
        shown.append(str(alert_id))
        used += len(piece)
    return ", ".join(shown) + _more(len(ids) - len(shown))


def _more(left: int) -> str:
    return _(" and {left} more — see the attached CSV").format(left=left)


def group_csv(payload: Payload) -> str:
    """Every alert of a grouped message as CSV: a header row, then one row per alert."""
    out = io.StringIO()
    # The csv module quotes commas, quotes and newlines; rows end in CRLF as RFC 4180 says.
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for alert in payload.get("alerts", []):
        row = {"check": payload.get("check"), **alert}
        writer.writerow([safe_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


def group_csv_filename(payload: Payload) -> str:
    """`loanwatch-<check>-<count>-alerts.csv`, safe as a file name anywhere."""
    check = re.sub(r"[^A-Za-z0-9_-]+", "-", str(payload.get("check", "alerts")))
    return f"loanwatch-{check}-{payload.get('count', len(payload.get('alerts', [])))}-alerts.csv"


# --- checking a message --------------------------------------------------------------------------


def validate(blocks: list[dict[str, Any]]) -> None:
    """Raise SlackObjectFormationError unless Slack would take these blocks as one message.

    Each block is parsed back through `slack_sdk.models` and validated there (nested elements
    too); on top come the limits slack_sdk does not check: at most 50 blocks, every text object
    1 to 3,000 characters, a section field at most 2,000, block ids unique.
    """
    if len(blocks) > MAX_BLOCKS:
        raise SlackObjectFormationError(f"{len(blocks)} blocks; a message holds {MAX_BLOCKS}")
    for raw, block in zip(blocks, Block.parse_all(blocks), strict=True):
        if block is None:
            raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
        # to_dict() runs validate_json() on the block and on everything it holds.
        block.to_dict()
        for field in raw.get("fields", []):
            if len(field.get("text", "")) > MAX_FIELD:
                raise SlackObjectFormationError(f"a section field exceeds {MAX_FIELD} characters")
    for text in _texts(blocks):
        if not 1 <= len(text) <= MAX_TEXT:
            raise SlackObjectFormationError(f"a text of {len(text)} characters; 1 to {MAX_TEXT}")
    block_ids = [raw["block_id"] for raw in blocks if "block_id" in raw]
    if len(block_ids) != len(set(block_ids)):
        raise SlackObjectFormationError(f"block ids repeat: {sorted(block_ids)}")


def _texts(node: Any) -> Iterator[str]:
    """Every text object's text, however deep."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


# --- small pieces --------------------------------------------------------------------------------


def _icon(severity: str) -> str:
    return ICONS.get(severity, ICONS[Severity.WARNING])


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def _mrkdwn(text: str) -> MarkdownTextObject:
    # verbatim: Slack would otherwise link-ify bare channel names and parse some mentions in
    # the text; our own `<@U…>` still works. Escaping handles `<!channel>`, this the rest.
    return MarkdownTextObject(text=text, verbatim=True)
