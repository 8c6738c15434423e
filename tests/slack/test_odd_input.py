"""Signed but odd input from Slack's surfaces is refused with a message, never a crash: button
values that are not loanwatch's, forms with metadata or choices the bot never made."""

import copy

import pytest

from bot.slack.actions.values import NOT_OURS
from bot.slack.blocks import ACK_ACTION, RESOLVE_ACTION, SNOOZE_ACTION
from bot.slack.draw_replies import CANCEL_ACTION, CONFIRM_ACTION
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import counts, open_alerts
from tests.slack.test_draw_flow import draws, ephemeral_message, filled, open_form
from tests.support.fake_slack import Message
from tests.support.slack_app import ALERTS, ALICE, BOB, TEAM_CHANNEL

ODD_IDS = ["²", "", "9" * 30, "1:", "-1", "0", " 1", None]
ODD_SNOOZES = ["²:1h", ":1h", "9" * 30 + ":1h", "1:", "{alert}:forever", "{alert}:99h", "x:1h"]
CRASHED = "Something went wrong"


def with_value(message: Message, action_id: str, value: str | None) -> Message:
    """The message with one element's value (or its select's only option) replaced."""
    blocks = copy.deepcopy(message.blocks)
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") != action_id:
                continue
            if element["type"] == "static_select":
                element["options"] = [{"text": {"type": "plain_text", "text": "x"}, "value": value}]
            elif value is None:
                element.pop("value", None)
            else:
                element["value"] = value
    return Message(ts=message.ts, text=message.text, blocks=blocks, user=message.user)


@pytest.fixture
def alert(app, jiebei, sessions, settings, clock, slack) -> int:
    """A bill_missing alert on jiebei-main, posted to #loan-alerts."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    return alert_id


@pytest.mark.parametrize("action_id", [ACK_ACTION, RESOLVE_ACTION])
@pytest.mark.parametrize("value", ODD_IDS)
def test_an_alert_button_with_an_odd_value_says_so(
    app, alert, sessions, slack, action_id, value
) -> None:
    """Bob clicks Acknowledge or Resolve carrying a value loanwatch never made: he is told, the
    alert is untouched, no form opens."""
    before = counts(sessions)
    message = with_value(posted_alert(slack, alert), action_id, value)
    answer = app.click(message, ALERTS, action_id, user=BOB)
    assert answer.status == 200
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["text"] == NOT_OURS
    assert counts(sessions) == before
    assert slack.views == []


@pytest.mark.parametrize("value", ODD_SNOOZES)
def test_a_snooze_option_that_is_not_ours_says_so(app, alert, sessions, slack, value) -> None:
    """A snooze option with an odd alert id or a duration loanwatch does not offer: told so,
    not snoozed."""
    chosen = value.format(alert=alert)
    message = with_value(posted_alert(slack, alert), SNOOZE_ACTION, chosen)
    app.click(message, ALERTS, SNOOZE_ACTION, user=BOB, option=chosen)
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["text"] == NOT_OURS
    with_state = counts(sessions)
    assert with_state["alerts open"] == 1


@pytest.mark.parametrize("action_id", [CONFIRM_ACTION, CANCEL_ACTION])
@pytest.mark.parametrize("value", ODD_IDS)
def test_the_log_it_again_buttons_with_an_odd_value_say_so(
    app, jiebei, sessions, slack, action_id, value
) -> None:
    """ "Log it again" or "Cancel" carrying a value loanwatch never made: told so, no draw."""
    app.command("draw jiebei-main 1,000 3m", user=ALICE)
    question = app.command("draw jiebei-main 1,000 3m", user=ALICE)
    message = with_value(ephemeral_message(question), action_id, value)
    app.click(message, TEAM_CHANNEL, action_id, user=ALICE, response_url=slack.response_url())
    assert [r["text"] for r in slack.responses] == [NOT_OURS]
    assert draws(sessions) == 1


REASON = {"reason": {"value": {"type": "plain_text_input", "value": "paid"}}}


@pytest.mark.parametrize("metadata", ["", "abc", "9" * 30, "1", "{}.", "²." + "0" * 64, None])
def test_a_resolve_form_with_odd_metadata_is_refused(app, alert, sessions, slack, metadata):
    """The resolve form submitted with metadata loanwatch did not sign: refused on the form,
    the alert untouched."""
    app.click(posted_alert(slack, alert), ALERTS, RESOLVE_ACTION, user=BOB)
    [form] = slack.views
    answer = app.submit({**form, "private_metadata": metadata}, REASON, user=BOB)
    assert answer.status == 200
    assert answer.body["response_action"] == "errors"
    assert CRASHED not in str(answer.body)
    assert counts(sessions)["alerts open"] == 1


def test_a_draw_form_with_a_method_not_offered_is_refused_on_the_field(
    app, jiebei, sessions, slack
) -> None:
    """Method "bogus" in the draw form: an error on the method field, no draw."""
    view = open_form(app, slack)
    answer = app.submit(view, filled("jiebei-main", "1,000", "3m", "bogus"))
    assert answer.body["response_action"] == "errors"
    assert set(answer.body["errors"]) == {"method"}
    assert draws(sessions) == 0
