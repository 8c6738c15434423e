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

from bot.i18n import N_, ZH, _, current
from bot.i18n.formats import day, moment
from bot.ledger.observations import status_name
from bot.ledger.reading_answers import Answered
from bot.money import format_money
from bot.slack.mrkdwn import escape_within

SAME_ACTION = "reading_same"
CHANGED_ACTION = "reading_changed"
UNAVAILABLE_ACTION = "reading_unavailable"
READING_ACTIONS = (SAME_ACTION, CHANGED_ACTION, UNAVAILABLE_ACTION)
CHANGED_CALLBACK = "reading_changed_form"

SAME = N_("Same as last")
CHANGED = N_("Changed…")
UNAVAILABLE = N_("Can't see it")


def short_money(value: Decimal, currency: str) -> str:
    """An amount as the request says it: whole yuan without the fen (¥300,000), else ¥216,689.32."""
    shown = format_money(value, currency)
    return shown.replace(".00", "", 1) if value == value.to_integral_value() else shown


def when(moment: datetime, asked_at: datetime, zone: ZoneInfo) -> str:
    """`today 10:04`, `yesterday 10:04`, else `2026-11-28 10:04`, in the facility's zone."""
    local = moment.astimezone(zone)
    asked = asked_at.astimezone(zone).date()
    days = (asked - local.date()).days
    time = f"{local:%H:%M}"
    if days == 0:
        return _("today {time}").format(time=time)
    if days == 1:
        return _("yesterday {time}").format(time=time)
    return _("{day} {time}").format(day=day(local.date(), near=asked), time=time)


def listed(first: str, *rest: str) -> str:
    """Figures one after the other: `¥300,000 limit, ¥216,689.32 available`."""
    for item in rest:
        first = _("{first}, {then}").format(first=first, then=item)
    return first


def limit_figures(limit: Decimal | None, available: Decimal | None, currency: str) -> list[str]:
    """`¥300,000 limit`, `¥216,689.32 available`: those known."""
    figures = []
    if limit is not None:
        figures.append(_("{amount} limit").format(amount=short_money(limit, currency)))
    if available is not None:
        figures.append(_("{amount} available").format(amount=short_money(available, currency)))
    return figures


def last_line(last: dict[str, Any] | None, currency: str, asked_at: datetime, zone: str) -> str:
    """`Last reading ¥300,000 limit, ¥216,689.32 available (yesterday 10:04)`."""
    if last is None:
        return _("No reading yet")
    available = last.get("available")
    figures = limit_figures(
        Decimal(last["limit"]), None if available is None else Decimal(available), currency
    )
    status = last.get("status", "active")
    if status != "active":
        figures.append(status_name(status))
    seen = when(datetime.fromisoformat(last["observed_at"]), asked_at, ZoneInfo(zone))
    return _("Last reading {figures} ({seen})").format(figures=listed(*figures), seen=seen)


def request_text(payload: dict[str, Any]) -> str:
    """The request as one line: `借呗 jiebei-main: what does the platform show now? Last …`."""
    asked_at = datetime.fromisoformat(payload["asked_at"])
    last = last_line(payload["last"], payload["currency"], asked_at, payload["zone"])
    return _("{platform} {facility}: what does the platform show now? {last}").format(
        platform=payload["platform"], facility=payload["facility"], last=last
    )


def reminder_line(payload: dict[str, Any]) -> str | None:
    """`Reminder: this was asked at 10:00 (Tuesday 2026-12-01) and is not answered yet.`, in
    the facility's zone; None for the request's first message."""
    asked = payload.get("reminder_of")
    if not asked:
        return None
    zone = ZoneInfo(payload.get("reminder_zone") or payload.get("zone") or "UTC")
    local = datetime.fromisoformat(asked).astimezone(zone)
    # English names the weekday before the date; day() gives Chinese its own (周二).
    shown = day(local.date(), near=local.date()) if current() == ZH else f"{local:%A %Y-%m-%d}"
    return _("Reminder: this was asked at {time} ({day}) and is not answered yet.").format(
        time=f"{local:%H:%M}", day=shown
    )


class Button(NamedTuple):
    """A button on a request's message: its words (marked with N_, said where shown), its
    action id, its style (if any)."""

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
        ButtonElement(text=_(b.text), action_id=b.action_id, value=value, style=b.style)
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
    stamp = moment(at, ZoneInfo(zone), near=at.date())
    if answer == "unavailable":
        said = _("Recorded for {facility} at {stamp}: the platform could not be seen.").format(
            facility=facility, stamp=stamp
        )
    else:
        figures = limit_figures(limit, available, currency)
        kind = _("the same as last") if answer == "same" else _("changed")
        said = _("Recorded for {facility} at {stamp}: {figures} ({kind}).").format(
            facility=facility, stamp=stamp, figures=listed(*figures) if figures else "", kind=kind
        )
    return _("{said} (a late answer; it counts)").format(said=said) if late else said


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


NO_LAST = N_(
    "There is no earlier reading to repeat for {facility}; tap *Changed…* and type what the "
    "platform shows."
)
ALREADY = N_("This request was already answered ({answer}); nothing changed.")
# On a request's form submitted after the request was answered another way (a button, the
# other message): nothing typed is recorded, and the form stays open to say why.
FORM_ALREADY = N_(
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
            "hint": {"type": "plain_text", "text": hint[:2000]},
            "element": element,
        }

    expected_text = format_money(expected, currency)
    return {
        "type": "modal",
        "callback_id": CHANGED_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": _("What the platform shows")},
        "submit": {"type": "plain_text", "text": _("Record")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": escape_within(
                        _("{facility}: the ledger expects {expected} available.").format(
                            facility=facility, expected=expected_text
                        ),
                        3000,
                    ),
                },
            },
            amount("limit", _("Limit"), last_limit, _("The credit limit the platform shows now")),
            amount(
                "available",
                _("Available"),
                last_available,
                _("What it shows available now; the ledger expects {expected}").format(
                    expected=expected_text
                ),
            ),
        ],
    }


NOT_YOURS = N_(
    "This request is for {owner}; only they (or an operator) may answer it, so nothing was done."
)


# App Home lists at most this many of the person's open requests (two blocks each; a Home
# view holds 100 blocks), then says how many more.
MAX_WAITING = 5
WAITING_HEADER = N_("Waiting for your answer ({count})")
WAITING_MORE = N_(
    "and {more} more: in your direct messages with loanwatch, or `loanwatch requests list`"
)
