"""Bill and arrival requests in Slack: every word and block the person sees, written once.

The direct messages (`bill_message`, `arrival_message`, from the outbox payloads that
`bot.ledger.bill_requests` and `bot.ledger.arrival_requests` write), what they say once
answered (`bill_line`, `arrival_line`), the **Different amount…** form (`different_view`), and
App Home's list of a person's open requests of every kind (`waiting_blocks`).
The reading request's words, and the message shape all three share (`question_message`), are
`bot.slack.reading_blocks`'. Nothing here queries.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.i18n import N_, _
from bot.i18n.formats import day, moment, money
from bot.ledger.arrival_requests import ArrivalAnswered
from bot.ledger.bill_requests import BillAnswered
from bot.ledger.reading_requests import (
    BILL_REQUEST_KIND,
    DRAW_REQUEST_KIND,
    READING_REQUEST_KIND,
    Answer,
)
from bot.ledger.request_reminders import Waiting
from bot.models import Bill
from bot.slack.mrkdwn import escape_within
from bot.slack.reading_blocks import (
    MAX_WAITING,
    WAITING_HEADER,
    WAITING_MORE,
    Button,
    question_message,
    request_message,
    short_money,
)

BILLED_ACTION = "bill_billed"
DIFFERENT_ACTION = "bill_different"
NOT_YET_ACTION = "bill_not_yet"
ARRIVED_ACTION = "arrival_yes"
NOT_ARRIVED_ACTION = "arrival_no"
DIFFERENT_CALLBACK = "bill_different_form"

BILLED = N_("Yes, as expected")
DIFFERENT = N_("Different amount…")
NOT_YET = N_("Not yet")
ARRIVED = N_("Yes")
NOT_ARRIVED = N_("No")


def bill_text(payload: dict[str, Any]) -> str:
    """`借呗 jiebei-main: has the bill for 2026-12-10 appeared? The ledger expects ¥4,498.77`."""
    expected = money(Decimal(payload["expected"]), payload["currency"])
    return _(
        "{platform} {facility}: has the bill for {due} appeared? The ledger expects {expected}"
    ).format(
        platform=payload["platform"],
        facility=payload["facility"],
        due=_due(payload["due_date"], payload.get("asked_at")),
        expected=expected,
    )


def _due(due: str, asked_at: str | None) -> str:
    """A due date kept as ISO, as the reader writes dates (the year where it is not the
    year it is asked in)."""
    near = datetime.fromisoformat(asked_at).date() if asked_at else date.fromisoformat(due)
    return day(date.fromisoformat(due), near=near)


def bill_message(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The bill request's direct message: the question and its three buttons."""
    buttons = [
        Button(BILLED, BILLED_ACTION, "primary"),
        Button(DIFFERENT, DIFFERENT_ACTION),
        Button(NOT_YET, NOT_YET_ACTION),
    ]
    return question_message(bill_text(payload), payload, buttons, "bill_request")


def arrival_text(payload: dict[str, Any]) -> str:
    """`Did the ¥50,000 arrive? (借呗 jiebei-main, drawn 2026-12-01 10:04)`."""
    amount = short_money(Decimal(payload["amount"]), payload["currency"])
    logged = datetime.fromisoformat(payload["logged_at"]).astimezone(ZoneInfo(payload["zone"]))
    return _("Did the {amount} arrive? ({platform} {facility}, drawn {drawn})").format(
        amount=amount,
        platform=payload["platform"],
        facility=payload["facility"],
        drawn=_("{day} {time}").format(
            day=day(logged.date(), near=logged.date()), time=f"{logged:%H:%M}"
        ),
    )


def arrival_message(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The arrival request's direct message: the question, Yes and No."""
    buttons = [Button(ARRIVED, ARRIVED_ACTION, "primary"), Button(NOT_ARRIVED, NOT_ARRIVED_ACTION)]
    return question_message(arrival_text(payload), payload, buttons, "draw_request")


# Each kind of request's message, by its outbox kind (jobs.transports.slack).
REQUEST_MESSAGES = {
    READING_REQUEST_KIND: request_message,
    BILL_REQUEST_KIND: bill_message,
    DRAW_REQUEST_KIND: arrival_message,
}


def _stamp(at: datetime | None, zone: str, near: date | None = None) -> str:
    """A moment in the facility's zone (for a Chinese reader, the year only where it is not
    `near`'s, the day the answer was given)."""
    return moment(at, ZoneInfo(zone), near=near)


def _answered_on(request: Any) -> date | None:
    at = request.answered_at or request.sent_at
    return None if at is None else at.date()


def bill_line(answered: BillAnswered) -> str:
    """What the bill request's message says once answered (this answer, or the earlier one)."""
    request, facility, bill = answered.request, answered.facility, answered.bill
    near = _answered_on(request)
    stamp = _stamp(request.answered_at, facility.timezone, near)
    due = "" if request.due_date is None else day(request.due_date, near=near or request.due_date)
    if answered.found:
        assert bill is not None
        return _("Nothing recorded for {facility}: {held}").format(
            facility=facility.slug,
            held=held_bill(bill, due, facility.currency, facility.timezone, near),
        )
    if request.answer == Answer.NOT_YET or bill is None:
        return _(
            "Recorded for {facility} at {stamp}: the bill due {due} has not appeared yet."
        ).format(facility=facility.slug, stamp=stamp, due=due)
    how = _("as expected") if request.answer == Answer.BILLED else _("a different amount")
    amount = money(bill.amount, facility.currency)
    return _("Recorded for {facility} at {stamp}: the bill due {due}, {amount} ({how}).").format(
        facility=facility.slug, stamp=stamp, due=due, amount=amount, how=how
    )


def held_bill(bill: Bill, due: str, currency: str, zone: str, near: date | None = None) -> str:
    """What the ledger has already: `the ledger already has the bill due 2026-12-20, ¥4,498.77,
    paid (seen paid 2026-12-20 10:00 CST), recorded 2026-12-20 10:00 CST.`"""
    amount = money(bill.amount, currency)
    if bill.paid:
        paid = _("paid (seen paid {stamp})").format(stamp=_stamp(bill.paid_at, zone, near))
    else:
        paid = _("not paid")
    recorded = _stamp(bill.recorded_at or bill.observed_at, zone, near)
    return _(
        "the ledger already has the bill due {due}, {amount}, {paid}, recorded {recorded}."
    ).format(due=due, amount=amount, paid=paid, recorded=recorded)


def arrival_line(answered: ArrivalAnswered) -> str:
    """What the arrival request's message says once answered."""
    request, facility, draw = answered.request, answered.facility, answered.draw
    near = _answered_on(request)
    stamp = _stamp(request.answered_at, facility.timezone, near)
    what = _("draw #{draw} of {amount} on {facility}").format(
        draw=draw.id, amount=money(draw.amount, facility.currency), facility=facility.slug
    )
    if request.answer == Answer.LEDGER:
        confirmed = _stamp(draw.confirmed_at, facility.timezone, near)
        return _(
            "Nothing recorded: {what} was confirmed already, at {confirmed}; no alert opened."
        ).format(what=what, confirmed=confirmed)
    if request.answer == Answer.ARRIVED:
        return _("Recorded at {stamp}: {what} arrived; it is confirmed.").format(
            stamp=stamp, what=what
        )
    return _(
        "Recorded at {stamp}: {what} has not arrived; a draw_unconfirmed alert is open for it."
    ).format(stamp=stamp, what=what)


def different_view(
    *, facility: str, currency: str, due_date: str, expected: Decimal, private_metadata: str
) -> dict[str, Any]:
    """The **Different amount…** form: the amount prefilled with what the ledger expects."""
    expected_text = money(expected, currency)
    return {
        "type": "modal",
        "callback_id": DIFFERENT_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": _("Bill on the platform")},
        "submit": {"type": "plain_text", "text": _("Record")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": escape_within(
                        _("{facility}: the bill due {due}; the ledger expects {expected}.").format(
                            facility=facility, due=due_date, expected=expected_text
                        ),
                        3000,
                    ),
                },
            },
            {
                "type": "input",
                "block_id": "amount",
                "label": {"type": "plain_text", "text": _("Amount")},
                "hint": {"type": "plain_text", "text": _("What the platform's bill says is due")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": f"{expected:,.2f}",
                },
            },
        ],
    }


def waiting_blocks(waiting: list[Waiting], total: int) -> list[dict[str, Any]]:
    """App Home's section of the person's open requests (`total` of them): each one's facility
    and since when, its question and the same buttons as its message (block ids made unique in
    the view)."""
    if not waiting:
        return []
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _(WAITING_HEADER).format(count=total)},
        }
    ]
    for item in waiting[:MAX_WAITING]:
        facility, payload = item.facility, item.payload
        since = moment(item.asked_at, ZoneInfo(item.zone))
        if payload is None:
            line = _(
                "*{facility}* · asked {since}: the question is on its way to your messages."
            ).format(facility=facility, since=since)
            blocks.append(SectionBlock(text=MarkdownTextObject(text=line)).to_dict())
            continue
        asked = _("*{facility}* · asked {since}").format(facility=facility, since=since)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=asked)]).to_dict())
        for block in REQUEST_MESSAGES[item.kind or READING_REQUEST_KIND](payload)[1]:
            if "block_id" in block:
                block = {**block, "block_id": f"{block['block_id']}-{item.request_id}"}
            blocks.append(block)
    if total > MAX_WAITING:
        more = _(WAITING_MORE).format(more=total - MAX_WAITING)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]).to_dict())
    return blocks
