# ruff: noqa: F811 (the fixtures are those of test_bill_requests)
"""Bill requests when the ledger has the bill already: a tap never unpays nor overwrites it,
and the request is closed rather than repeated.

The cast as in test_bill_requests: Dana is asked on 2026-12-10 00:00 whether the bill due
2026-12-20 (¥4,498.77 expected) appeared; a script records bills through the ledger too.
"""

import json
from decimal import Decimal

from sqlalchemy import select

from bot.ledger.bills import record_bill
from bot.models import Facility, ReadingRequest
from bot.slack.request_blocks import BILLED_ACTION, DIFFERENT_ACTION
from tests.slack.test_bill_requests import (  # noqa: F401 (fixtures)
    ALICE_CLI,
    DANA_DM,
    DUE,
    asked,
    bills,
    cycle,
    open_alerts,
    owned,
    shanghai,
)
from tests.support.slack_app import DANA


def script_records(sessions, amount: str, *, paid: bool, at) -> None:
    """The platform's bill as a script saw it at `at`."""
    with sessions.begin() as session:
        record_bill(
            session,
            ALICE_CLI,
            session.scalars(select(Facility)).one(),
            due_date=DUE,
            amount=Decimal(amount),
            paid=paid,
            now=at,
            observed_at=at,
        )


def current(sessions) -> list[tuple[Decimal, bool]]:
    return [(b.amount, b.paid) for b in bills(sessions) if b.superseded_at is None]


def test_a_late_yes_keeps_a_paid_bill_paid(app, asked, sessions, settings, clock, slack) -> None:
    """The bill was seen paid 12-20 10:00; Dana taps Yes, as expected on 12-22 09:00: nothing
    is recorded, the message says what the ledger has, and no bill_overdue opens."""
    script_records(sessions, "4498.77", paid=True, at=shanghai(2026, 12, 20, 10, 0))
    clock.now = shanghai(2026, 12, 22, 9, 0)
    assert app.click(asked, DANA_DM, BILLED_ACTION, user=DANA).status == 200
    assert current(sessions) == [(Decimal("4498.77"), True)]
    assert len(bills(sessions)) == 1
    [dm] = slack.messages(DANA_DM)
    assert dm.text == (
        "Nothing recorded for jiebei-main: the ledger already has the bill due 2026-12-20, "
        "¥4,498.77, paid (seen paid 2026-12-20 10:00 CST), recorded 2026-12-20 10:00 CST."
    )
    cycle(sessions, settings, clock)
    assert open_alerts(sessions, "bill_overdue") == []


def test_yes_keeps_the_amount_the_platform_showed(
    app, asked, sessions, settings, clock, slack
) -> None:
    """A script saw ¥4,600.00 at 08:00 and bill_amount_mismatch opened; Dana's 09:00 Yes on
    the old question records nothing, and the mismatch stays open."""
    script_records(sessions, "4600.00", paid=False, at=shanghai(2026, 12, 10, 8, 0))
    clock.now = shanghai(2026, 12, 10, 8, 0)
    cycle(sessions, settings, clock)
    assert len(open_alerts(sessions, "bill_amount_mismatch")) == 1
    clock.now = shanghai(2026, 12, 10, 9, 0)
    app.click(asked, DANA_DM, BILLED_ACTION, user=DANA)
    cycle(sessions, settings, clock)
    assert current(sessions) == [(Decimal("4600.00"), False)]
    assert len(open_alerts(sessions, "bill_amount_mismatch")) == 1
    [dm] = slack.messages(DANA_DM)
    assert dm.text.startswith("Nothing recorded for jiebei-main: the ledger already has the bill")
    assert "¥4,600.00, not paid" in dm.text


def typed(amount: str) -> dict:
    return {"amount": {"value": {"type": "plain_text_input", "value": amount}}}


def test_different_amount_corrects_a_paid_bill_and_keeps_it_paid(
    app, asked, sessions, clock, slack
) -> None:
    """The bill was seen paid at 08:00 for ¥4,498.77; Dana types ¥4,500.00: the amount is
    corrected, still paid since 08:00. Typing the same amount again changes nothing."""
    script_records(sessions, "4498.77", paid=True, at=shanghai(2026, 12, 10, 8, 0))
    app.click(asked, DANA_DM, DIFFERENT_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    assert app.submit(view, typed("4,500.00"), user=DANA).status == 200
    [now] = [b for b in bills(sessions) if b.superseded_at is None]
    assert (now.amount, now.paid, now.paid_at) == (
        Decimal("4500.00"),
        True,
        shanghai(2026, 12, 10, 8, 0),
    )
    [dm] = slack.messages(DANA_DM)
    assert "the bill due 2026-12-20, ¥4,500.00 (a different amount)" in dm.text


def test_different_amount_of_the_same_amount_records_nothing(app, asked, sessions, slack) -> None:
    script_records(sessions, "4498.77", paid=True, at=shanghai(2026, 12, 10, 8, 0))
    app.click(asked, DANA_DM, DIFFERENT_ACTION, user=DANA)
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    assert app.submit(view, typed("4,498.77"), user=DANA).status == 200
    assert current(sessions) == [(Decimal("4498.77"), True)]
    assert len(bills(sessions)) == 1
    [dm] = slack.messages(DANA_DM)
    assert dm.text.startswith("Nothing recorded for jiebei-main")


def test_a_bill_recorded_meanwhile_closes_the_request(
    app, asked, sessions, settings, clock, slack
) -> None:
    """Asked 00:00 (Thursday); a script records the bill at 09:30; at 11:05 no reminder goes
    out, the request is no longer open, and a tap on the old message says what is recorded."""
    script_records(sessions, "4498.77", paid=False, at=shanghai(2026, 12, 10, 9, 30))
    clock.now = shanghai(2026, 12, 10, 11, 5)
    cycle(sessions, settings, clock)
    assert [m.text for m in slack.messages(DANA_DM)] == [asked.text]
    with sessions() as session:
        [request] = session.scalars(select(ReadingRequest)).all()
        assert (request.state, request.answer) == ("answered", "ledger")
    app.click(asked, DANA_DM, BILLED_ACTION, user=DANA)
    [dm] = slack.messages(DANA_DM)
    assert dm.text.startswith("Nothing recorded for jiebei-main: the ledger already has the bill")
    assert BILLED_ACTION not in json.dumps(dm.blocks)
    assert len(bills(sessions)) == 1


def test_app_home_does_not_invite_a_tap_on_a_bill_recorded_meanwhile(
    app, asked, sessions, slack
) -> None:
    """Before any cycle runs after the script's 08:00 bill, Dana's App Home lists nothing."""
    app.event({"type": "app_home_opened", "user": DANA, "tab": "home"})
    [before] = [v for v in slack.views if v["method"] == "views.publish"]
    assert BILLED_ACTION in json.dumps(before)
    script_records(sessions, "4498.77", paid=False, at=shanghai(2026, 12, 10, 8, 0))
    app.event({"type": "app_home_opened", "user": DANA, "tab": "home"})
    after = [v for v in slack.views if v["method"] == "views.publish"][-1]
    assert BILLED_ACTION not in json.dumps(after)
