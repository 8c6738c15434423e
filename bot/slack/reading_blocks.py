"""Reading requests in Slack: every word and block the owner sees, written once.

The direct message a request sends (`request_message`, from the outbox payload that
`bot.ledger.reading_requests.request_payload` writes; its reminder, two business hours on, is
the same with `reminder_line` first), what it says once answered (`answered_message`), the
**Changed…** form (`changed_view`), and what App Home lists as waiting for the person
(`waiting_blocks`). Nothing here queries.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ledger.reading_answers import Answered
from bot.money import format_money
from bot.slack.mrkdwn import escape_within

SAME_ACTION = "reading_same"
CHANGED_ACTION = "reading_changed"
UNAVAILABLE_ACTION = "reading_unavailable"
READING_ACTIONS = (SAME_ACTION, CHANGED_ACTION, UNAVAILABLE_ACTION)
CHANGED_CALLBACK = "reading_changed_form"

SAME = "Same as last"
CHANGED = "Changed…"
UNAVAILABLE = "Can't see it"


def short_money(value: Decimal, currency: str) -> str:
    """An amount as the request says it: whole yuan without the fen (¥300,000), else ¥216,689.32."""
    shown = format_money(value, currency)
    return shown.replace(".00", "", 1) if value == value.to_integral_value() else shown


def when(moment: datetime, asked_at: datetime, zone: ZoneInfo) -> str:
    """`today 10:04`, `yesterday 10:04`, else `2026-11-28 10:04`, in the facility's zone."""
    local = moment.astimezone(zone)
    days = (asked_at.astimezone(zone).date() - local.date()).days
    day = {0: "today", 1: "yesterday"}.get(days, f"{local.date():%Y-%m-%d}")
    return f"{day} {local:%H:%M}"


def last_line(last: dict[str, Any] | None, currency: str, asked_at: datetime, zone: str) -> str:
    """`Last reading ¥300,000 limit, ¥216,689.32 available (yesterday 10:04)`."""
    if last is None:
        return "No reading yet"
    figures = f"{short_money(Decimal(last['limit']), currency)} limit"
    if last.get("available") is not None:
        figures += f", {short_money(Decimal(last['available']), currency)} available"
    if last.get("status", "active") != "active":
        figures += f", {last['status']}"
    seen = when(datetime.fromisoformat(last["observed_at"]), asked_at, ZoneInfo(zone))
    return f"Last reading {figures} ({seen})"


def request_text(payload: dict[str, Any]) -> str:
    """The request as one line: `借呗 jiebei-main: what does the platform show now? Last …`."""
    asked_at = datetime.fromisoformat(payload["asked_at"])
    last = last_line(payload["last"], payload["currency"], asked_at, payload["zone"])
    return f"{payload['platform']} {payload['facility']}: what does the platform show now? {last}"


def reminder_line(payload: dict[str, Any]) -> str | None:
    """`Reminder: this was asked at 10:00 (Tuesday 2026-12-01) and is not answered yet.`, in
    the facility's zone; None for the request's first message."""
    asked = payload.get("reminder_of")
    if not asked:
        return None
    zone = ZoneInfo(payload.get("reminder_zone") or payload.get("zone") or "UTC")
    local = datetime.fromisoformat(asked).astimezone(zone)
    return (
        f"Reminder: this was asked at {local:%H:%M} ({local:%A %Y-%m-%d}) and is not answered yet."
    )


class Button(NamedTuple):
    """A button on a request's message: its words, its action id, its style (if any)."""

    text: str
    action_id: str
    style: str | None = None


def question_message(
    text: str, payload: dict[str, Any], buttons: list[Button], block_id: str
) -> tuple[str, list[dict[str, Any]]]:
    """A request's direct message, of any kind: the question (after the reminder's line, for a
    reminder) and its buttons, whose value is the request's id only."""
    reminder = reminder_line(payload)
    if reminder is not None:
        text = f"{reminder}\n{text}"
    value = str(payload["request_id"])
    elements = [
        ButtonElement(text=b.text, action_id=b.action_id, value=value, style=b.style)
        for b in buttons
    ]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=escape_within(text, 3000))),
        ActionsBlock(block_id=block_id, elements=elements),
    ]
    return text, [block.to_dict() for block in blocks]


def request_message(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The reading request's direct message (or its reminder): the question and its three
    buttons."""
    buttons = [
        Button(SAME, SAME_ACTION, "primary"),
        Button(CHANGED, CHANGED_ACTION),
        Button(UNAVAILABLE, UNAVAILABLE_ACTION),
    ]
    return question_message(request_text(payload), payload, buttons, "reading_request")


def recorded_line(
    answer: str,
    *,
    facility: str,
    limit: Decimal | None,
    available: Decimal | None,
    currency: str,
    at: datetime,
    zone: str,
    late: bool,
) -> str:
    """What the message says once answered: `Recorded for jiebei-main at 10:07: …`."""
    stamp = f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}"
    if answer == "unavailable":
        said = f"Recorded for {facility} at {stamp}: the platform could not be seen."
    else:
        figures = "" if limit is None else f"{short_money(limit, currency)} limit"
        if available is not None:
            figures += f", {short_money(available, currency)} available"
        kind = "the same as last" if answer == "same" else "changed"
        said = f"Recorded for {facility} at {stamp}: {figures} ({kind})."
    return said + (" (a late answer; it counts)" if late else "")


def answered_line(answered: Answered) -> str:
    """What the message says now: what this answer (or the earlier one) recorded."""
    request, facility, reading = answered.request, answered.facility, answered.reading
    line = recorded_line(
        request.answer or "",
        facility=facility.slug,
        limit=None if reading is None else reading.limit_amount,
        available=None if reading is None else reading.available,
        currency=facility.currency,
        at=request.answered_at or request.sent_at,
        zone=facility.timezone,
        late=answered.late,
    )
    return line


def answered_message(question: str, line: str) -> tuple[str, list[dict[str, Any]]]:
    """The direct message after a tap: the question kept, the buttons gone, what was recorded."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=escape_within(question, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=escape_within(f"✅ {line}", 3000))]),
    ]
    return line, [block.to_dict() for block in blocks]


NO_LAST = (
    "There is no earlier reading to repeat for {facility}; tap *Changed…* and type what the "
    "platform shows."
)
ALREADY = "This request was already answered ({answer}); nothing changed."
# On a request's form submitted after the request was answered another way (a button, the
# other message): nothing typed is recorded, and the form stays open to say why.
FORM_ALREADY = (
    "This request was already answered, so nothing was recorded from this form. {line} To "
    "record other figures, cancel and use {command}."
)


def changed_view(
    *,
    facility: str,
    currency: str,
    last_limit: Decimal | None,
    last_available: Decimal | None,
    expected: Decimal,
    private_metadata: str,
) -> dict[str, Any]:
    """The **Changed…** form: limit and available prefilled with the last reading, and what the
    ledger expects available beside them."""

    def amount(block: str, label: str, value: Decimal | None, hint: str) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value"}
        if value is not None:
            element["initial_value"] = f"{value:,.2f}"
        return {
            "type": "input",
            "block_id": block,
            "label": {"type": "plain_text", "text": label},
            "hint": {"type": "plain_text", "text": hint},
            "element": element,
        }

    expected_text = format_money(expected, currency)
    return {
        "type": "modal",
        "callback_id": CHANGED_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "What the platform shows"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": escape_within(
                        f"{facility}: the ledger expects {expected_text} available.", 3000
                    ),
                },
            },
            amount("limit", "Limit", last_limit, "The credit limit the platform shows now"),
            amount(
                "available",
                "Available",
                last_available,
                f"What it shows available now; the ledger expects {expected_text}",
            ),
        ],
    }


NOT_YOURS = (
    "This request is for {owner}; only they (or an operator) may answer it, so nothing was done."
)


# App Home lists at most this many of the person's open requests (two blocks each; a Home
# view holds 100 blocks), then says how many more.
MAX_WAITING = 5
WAITING_HEADER = "Waiting for your answer ({count})"
WAITING_MORE = (
    "and {more} more: in your direct messages with loanwatch, or `loanwatch requests list`"
)
