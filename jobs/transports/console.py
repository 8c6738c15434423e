"""The console transport: each notice as a block of text, for `loanwatch check` without Slack.

Alert notices are worded by `bot.alerts.notices` (the same words Slack shows, names and text as
typed); a request of any kind (a reading, a bill, a draw's arrival) and its reminder by
`bot.slack.request_blocks.REQUEST_MESSAGES` (the question as the direct message puts it, with the
reminder's line first, and its buttons' names); any other row shows its `header`/`title`,
`summary`/`text` and `facts`; a ticket's notice by `jobs.transports.console_tickets`.
"""

import sys
from collections.abc import Mapping
from typing import Any, TextIO

from bot.alerts.notices import (
    ALERT_KINDS,
    PLAIN,
    AlertNotice,
    GroupNotice,
    NoticeKind,
    group_headline,
    group_summary,
    headline,
)
from bot.alerts.said import at_risk_of, facts_of, summary_of
from bot.i18n import EN, N_, _, use
from bot.i18n.formats import labelled
from bot.slack.request_blocks import REQUEST_MESSAGES
from bot.tickets.notices import TicketNoticeKind
from jobs.transports.base import OutboxMessageView, TransportError
from jobs.transports.console_tickets import ticket_lines


def render_text(message: OutboxMessageView) -> str:
    """The message as a text block a finance person can read on a console.

    The headline, the summary, and the facts (label → value), in that order, then who acted and
    why when the notice says. The rest of the payload is for machines (ids, times, flags) and
    stays off the console.
    """
    payload = dict(message.payload)
    target = f" → #{message.channel}" if message.channel else ""
    lines = [
        _("── {kind}{target} (outbox {id}) ──").format(
            kind=message.kind, target=target, id=message.id
        )
    ]
    if message.kind in REQUEST_MESSAGES:
        text, blocks = REQUEST_MESSAGES[message.kind](payload)
        buttons = "  ".join(f"[{label}]" for label in _button_labels(blocks))
        return "\n".join([*lines, text, f"  {buttons}"]) + "\n"
    if message.kind == TicketNoticeKind.NOTICE:
        return "\n".join([*lines, *ticket_lines(payload)]) + "\n"
    if message.kind in ALERT_KINDS:
        notice = AlertNotice.from_payload(payload)
        payload["header"] = headline(notice, PLAIN)
        wording = getattr(notice, "wording", None)
        payload["summary"] = summary_of(notice.summary, wording)
        payload["facts"] = facts_of(notice.facts, wording)
        payload["at_risk"] = at_risk_of(notice.at_risk, getattr(notice, "at_risk_wording", None))
    elif message.kind == NoticeKind.GROUP:
        _word_storm(payload)
    else:
        payload.setdefault("header", payload.pop("title", None))
    for key in ("header", "summary", "text"):
        value = payload.pop(key, None)
        if value not in (None, ""):
            lines.append(str(value))
    facts = payload.pop("facts", None)
    if isinstance(facts, Mapping):
        lines.extend(_fact(label, value) for label, value in facts.items())
    for key, label in _LABELS:
        if payload.get(key):
            lines.append(_fact(_(label), payload[key]))
    return "\n".join(lines) + "\n"


def _fact(label: object, value: object) -> str:
    return "  " + labelled(label, value)


_LABELS = (
    ("at_risk", N_("At risk")),
    ("acknowledged_by", N_("Acknowledged by")),
    ("reason", N_("Reason")),
)


def _word_storm(payload: dict[str, Any]) -> None:
    """A storm's headline, summary and facts, said again in the language in use (the row keeps
    them in English)."""
    storm = GroupNotice.from_payload(payload)
    with use(EN):
        as_worded = group_summary(storm)
    payload["header"] = group_headline(storm)
    kept = str(payload.get("summary") or "")
    wording = payload.get("wording")
    payload["summary"] = (
        group_summary(storm)
        if kept == as_worded
        else summary_of(kept, wording if isinstance(wording, Mapping) else None)
    )
    facts = payload.get("facts")
    if isinstance(facts, Mapping):
        payload["facts"] = facts_of({str(k): str(v) for k, v in facts.items()})


def _button_labels(blocks: list[dict[str, Any]]) -> list[str]:
    """The words on a message's buttons, in order, as its blocks carry them."""
    return [
        element["text"]["text"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]


class ConsoleTransport:
    """Writes each message as a text block to a stream (stdout unless told otherwise)."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: OutboxMessageView) -> str | None:
        """Print the message; a console has no reference to give back."""
        # Resolved per call, so a redirected or captured sys.stdout is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(render_text(message))
            stream.flush()
        except OSError as exc:
            raise TransportError(f"console write failed: {exc}") from exc
        return None
