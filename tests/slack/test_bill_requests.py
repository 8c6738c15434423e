"""Bill requests in Slack: the owner asked when a bill's lead window opens, and the answers.

The cast: Dana owns jiebei-main (no reading schedule: only bills are asked). A ¥50,000 draw
over 12 months, logged Friday 2026-11-20 from the command line, has its first installment,
¥4,498.77, due Sunday 2026-12-20; the lead is 10 days, so its bill is asked for from
2026-12-10 00:00 Shanghai, and `bill_missing` fires after the 24 h grace, from 12-11 00:00.
"""

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.bill_requests import send_bill_request
from bot.ledger.bills import record_bill
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.reading_requests import BILL_REQUEST_KIND, set_readings
from bot.models import Alert, Bill, Facility, OutboxMessage, ReadingRequest
from bot.slack.reading_blocks import UNAVAILABLE_ACTION
from bot.slack.request_blocks import BILLED_ACTION, DIFFERENT_ACTION, NOT_YET_ACTION
from jobs.cycle import run_check_cycle
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.support.slack_app import CHARLIE, DANA

SHANGHAI = ZoneInfo("Asia/Shanghai")
DANA_DM = "D" + DANA[1:]
DUE = date(2026, 12, 20)
QUESTION = "借呗 jiebei-main: has the bill for 2026-12-20 appeared? The ledger expects ¥4,498.77"
ALICE_CLI = Actor("cli:alice", "cli")


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def owned(sessions, jiebei: Facility, clock) -> Facility:
    """jiebei-main is Dana's, with the ¥50,000 draw of 11-20; the clock is 12-09 23:59."""
    with sessions.begin() as session:
        facility = session.get(Facility, jiebei.id)
        set_readings(
            session, ALICE_CLI, facility, owner=DANA, readings=None, now=shanghai(2026, 11, 20, 9)
        )
        record_draw(
            session,
            ALICE_CLI,
            facility,
            DrawRequest(amount=Decimal(50000), months=12),
            now=shanghai(2026, 11, 20, 9, 30),
        )
    clock.now = shanghai(2026, 12, 9, 23, 59)
    return jiebei


def cycle(sessions, settings, clock) -> None:
    """One check cycle at the clock's time (what `check` and the worker's minute do), delivered."""
    with sessions.begin() as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)


def bills(sessions) -> list[Bill]:
    with sessions() as session:
        return list(session.scalars(select(Bill).order_by(Bill.id)))


def open_alerts(sessions, check: str) -> list[Alert]:
    with sessions() as session:
        return list(
            session.scalars(select(Alert).where(Alert.check == check, Alert.state != "resolved"))
        )


def test_the_owner_is_asked_once_when_the_lead_window_opens(
    app, owned, sessions, settings, clock, slack
) -> None:
    """23:59 nothing; at 12-10 00:00 one DM with the expected amount and three buttons; the
    next minute, and a second wake-up in the same minute, send no second one."""
    cycle(sessions, settings, clock)
    assert slack.messages(DANA_DM) == []
    clock.now = shanghai(2026, 12, 10, 0, 0)
    cycle(sessions, settings, clock)
    cycle(sessions, settings, clock)
    clock.advance(minutes=1)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    assert dm.text == QUESTION
    shown = json.dumps(dm.blocks, ensure_ascii=False)
    for button, action in (
        ("Yes, as expected", BILLED_ACTION),
        ("Different amount…", DIFFERENT_ACTION),
        ("Not yet", NOT_YET_ACTION),
    ):
        assert button in shown
        assert action in shown


def test_the_request_row_is_the_claim(owned, sessions, clock) -> None:
    """A second worker sending the same day's request (it read before the first committed)
    fails on the key: nothing more is written."""
    with sessions.begin() as session:
        facility = session.get(Facility, owned.id)
        first = send_bill_request(
            session,
            facility,
            due_date=DUE,
            expected=Decimal("4498.77"),
            slot=shanghai(2026, 12, 10),
            now=clock(),
        )
        second = send_bill_request(
            session,
            facility,
            due_date=DUE,
            expected=Decimal("4498.77"),
            slot=shanghai(2026, 12, 10),
            now=clock(),
        )
    assert first is not None
    assert second is None
    with sessions() as session:
        kinds = session.scalars(select(OutboxMessage.kind)).all()
    assert kinds.count(BILL_REQUEST_KIND) == 1


def test_a_day_already_billed_is_not_asked(app, owned, sessions, settings, clock, slack) -> None:
    """The platform's bill for 12-20 was recorded on 12-09: nobody is asked at 12-10."""
    with sessions.begin() as session:
        record_bill(
            session,
            ALICE_CLI,
            session.get(Facility, owned.id),
            due_date=DUE,
            amount=Decimal("4498.77"),
            paid=False,
            now=clock(),
            observed_at=clock(),
        )
    clock.now = shanghai(2026, 12, 10, 0, 0)
    cycle(sessions, settings, clock)
    assert slack.messages(DANA_DM) == []


def test_a_facility_without_an_owner_asks_nobody(
    app, owned, sessions, settings, clock, slack
) -> None:
    """With the owner taken away, the lead window opens and no request is sent."""
    with sessions.begin() as session:
        set_readings(
            session,
            ALICE_CLI,
            session.get(Facility, owned.id),
            owner="-",
            readings=None,
            now=clock(),
        )
    clock.now = shanghai(2026, 12, 10, 0, 0)
    cycle(sessions, settings, clock)
    with sessions() as session:
        assert session.scalars(select(ReadingRequest)).all() == []
    assert slack.messages(DANA_DM) == []


@pytest.fixture
def asked(app, owned, sessions, settings, clock, slack):
    """Dana's question of 12-10 00:00 as her Slack shows it before she taps; the clock moves to
    09:00 that morning."""
    clock.now = shanghai(2026, 12, 10, 0, 0)
    cycle(sessions, settings, clock)
    [dm] = slack.messages(DANA_DM)
    clock.now = shanghai(2026, 12, 10, 9, 0)
    return copy.deepcopy(dm)


def test_yes_records_the_bill_and_bill_missing_does_not_fire(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Yes, as expected at 09:00: the bill due 12-20 for ¥4,498.77, observed 09:00; the message
    says so; after the grace no bill_missing; a second tap records nothing more."""
    assert app.click(asked, DANA_DM, BILLED_ACTION, user=DANA).status == 200
    [bill] = bills(sessions)
    assert (bill.due_date, bill.amount, bill.observed_at) == (DUE, Decimal("4498.77"), clock())
    [dm] = slack.messages(DANA_DM)
    assert dm.text == (
        "Recorded for jiebei-main at 2026-12-10 09:00 CST: the bill due 2026-12-20, ¥4,498.77 "
        "(as expected)."
    )
    assert BILLED_ACTION not in json.dumps(dm.blocks)
    app.click(asked, DANA_DM, BILLED_ACTION, user=DANA)
    assert len(bills(sessions)) == 1
    clock.now = shanghai(2026, 12, 11, 1, 0)
    cycle(sessions, settings, clock)
    assert open_alerts(sessions, "bill_missing") == []
    assert open_alerts(sessions, "bill_amount_mismatch") == []


def test_different_amount_records_what_is_typed(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Different amount…: a form prefilled with ¥4,498.77; "lots" is refused on the field with
    nothing recorded; ¥4,600 is recorded, and the next cycle says the bill is off by ¥101.23."""
    app.click(asked, DANA_DM, DIFFERENT_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    shown = json.dumps(view, ensure_ascii=False)
    assert '"initial_value": "4,498.77"' in shown
    assert "the ledger expects ¥4,498.77" in shown

    def typed(amount: str) -> dict:
        return {"amount": {"value": {"type": "plain_text_input", "value": amount}}}

    bad = app.submit(view, typed("lots"), user=DANA)
    assert "amount" in bad.body["errors"]
    assert bills(sessions) == []
    assert app.submit(view, typed("4,600.00"), user=DANA).status == 200
    [bill] = bills(sessions)
    assert (bill.due_date, bill.amount, bill.observed_at) == (DUE, Decimal("4600.00"), clock())
    [dm] = slack.messages(DANA_DM)
    assert "the bill due 2026-12-20, ¥4,600.00 (a different amount)" in dm.text
    cycle(sessions, settings, clock)
    [mismatch] = open_alerts(sessions, "bill_amount_mismatch")
    assert mismatch.summary.startswith(
        "bill due 2026-12-20 shows ¥4,600.00, the ledger expects ¥4,498.77 due 2026-12-20"
    )
    assert "off by ¥101.23" in mismatch.summary
    assert open_alerts(sessions, "bill_missing") == []


def test_different_amount_form_is_signed(app, asked, sessions, slack) -> None:
    """A submission whose metadata was tampered with is refused on the field; nothing recorded."""
    app.click(asked, DANA_DM, DIFFERENT_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    # Another request's id in the facts, with the signature left as it was.
    text, _, signature = view["private_metadata"].rpartition(".")
    forged = {**view, "private_metadata": f"{text.replace('1', '2', 1)}.{signature}"}
    values = {"amount": {"value": {"type": "plain_text_input", "value": "4,600.00"}}}
    answer = app.submit(forged, values, user=DANA)
    assert "amount" in answer.body["errors"]
    assert bills(sessions) == []


def test_not_yet_then_bill_missing_says_the_owner_was_asked(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Not yet at 09:00: nothing recorded; at 12-11 00:00 bill_missing opens and its message
    says Dana was asked at 12-10 00:00 and answered Not yet at 09:00."""
    app.click(asked, DANA_DM, NOT_YET_ACTION, user=DANA)
    assert bills(sessions) == []
    [dm] = slack.messages(DANA_DM)
    assert "the bill due 2026-12-20 has not appeared yet" in dm.text
    clock.now = shanghai(2026, 12, 11, 0, 0)
    cycle(sessions, settings, clock)
    [alert] = open_alerts(sessions, "bill_missing")
    told = json.dumps(posted_alert(slack, alert.id).blocks, ensure_ascii=False)
    assert (
        "the owner U0DANA was asked 2026-12-10 00:00 (Asia/Shanghai) and answered Not yet at "
        "2026-12-10 09:00 (Asia/Shanghai)"
    ) in told


def test_a_late_yes_resolves_bill_missing(app, asked, sessions, settings, clock, slack) -> None:
    """No answer by 12-11 00:00: bill_missing opens, saying Dana was asked (no Not yet); her Yes
    at 12-11 09:30 records the bill, and the next cycle resolves the alert."""
    clock.now = shanghai(2026, 12, 11, 0, 0)
    cycle(sessions, settings, clock)
    [alert] = open_alerts(sessions, "bill_missing")
    assert alert.summary.endswith("; the owner U0DANA was asked 2026-12-10 00:00 (Asia/Shanghai)")
    clock.now = shanghai(2026, 12, 11, 9, 30)
    app.click(asked, DANA_DM, BILLED_ACTION, user=DANA)
    [bill] = bills(sessions)
    assert bill.observed_at == clock()
    cycle(sessions, settings, clock)
    assert open_alerts(sessions, "bill_missing") == []


def test_someone_else_may_not_answer(app, asked, sessions, slack) -> None:
    """Charlie (a viewer) taps Yes on Dana's question: refused privately, nothing recorded."""
    app.click(asked, DANA_DM, BILLED_ACTION, user=CHARLIE)
    app.click(asked, DANA_DM, NOT_YET_ACTION, user=CHARLIE)
    assert bills(sessions) == []
    notes = slack.calls_to("chat.postEphemeral")
    assert len(notes) == 2
    assert all("only they (or an operator) may answer it" in n.args["text"] for n in notes)
    with sessions() as session:
        assert session.scalar(select(ReadingRequest.state)) == "open"


def test_a_bill_request_does_not_make_a_reading_answer_late(
    app, owned, sessions, settings, clock, slack
) -> None:
    """Dana is also asked for readings daily at 09:00: the bill request sent after Wednesday's
    reading request is of another kind, so her answer to that one is not called late."""
    with sessions.begin() as session:
        set_readings(
            session,
            ALICE_CLI,
            session.get(Facility, owned.id),
            owner=None,
            readings="daily 09:00",
            now=shanghai(2026, 12, 9, 8, 0),
        )
    clock.now = shanghai(2026, 12, 9, 9, 0)
    cycle(sessions, settings, clock)
    reading = copy.deepcopy(slack.messages(DANA_DM)[0])
    clock.now = shanghai(2026, 12, 10, 0, 0)
    cycle(sessions, settings, clock)
    assert [m.text for m in slack.messages(DANA_DM)][1] == QUESTION
    clock.now = shanghai(2026, 12, 10, 8, 0)
    app.click(reading, DANA_DM, UNAVAILABLE_ACTION, user=DANA)
    answered = next(m for m in slack.messages(DANA_DM) if m.ts == reading.ts)
    assert "the platform could not be seen" in answered.text
    assert "late" not in answered.text
