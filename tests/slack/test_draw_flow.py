"""A draw is logged exactly once: Slack's retries, double submissions, the form and its errors."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.installation import this_installation
from bot.models import CommandRequest, Draw
from bot.slack.draw_replies import CANCEL_ACTION, CONFIRM_ACTION
from bot.slack.views.metadata import unpack
from tests.support.fake_slack import Message
from tests.support.slack_app import ALICE, BOB, DANA, TEAM_CHANNEL


def draws(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Draw))


def test_slacks_retry_of_the_same_command_logs_one_draw(app, jiebei, sessions) -> None:
    """The same request delivered twice (Slack retried it) gives one draw and the same answer."""
    form = urlencode(app.command_form("draw jiebei-main 50,000 12m", user=ALICE))
    first = app.post(form)
    retry = app.post(form, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    assert draws(sessions) == 1
    assert retry.text == first.text


def ephemeral_message(answer) -> Message:
    """The question an ephemeral answer asked, as a message whose buttons can be clicked."""
    return Message(ts="1700000000.000900", text=answer.text, blocks=answer.body["blocks"], user="")


def answer(app, slack, question, action_id: str, user: str) -> str:
    """Click a button on the ephemeral question; return what the app answered through its
    response URL (where Slack replaces or adds to an ephemeral message)."""
    app.click(
        ephemeral_message(question),
        TEAM_CHANNEL,
        action_id,
        user=user,
        response_url=slack.response_url(user),
    )
    return slack.responses[-1]["text"]


def test_the_same_draw_twice_within_ten_minutes_asks_first(
    app, jiebei, sessions, clock, slack
) -> None:
    """Alice types the same draw again 3 minutes later: asked; "Log it again" logs the second."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    clock.advance(minutes=3)
    question = app.command("draw jiebei-main 50,000 12m", user=ALICE)
    assert question.body["response_type"] == "ephemeral"
    assert "3 min ago" in question.text
    assert draws(sessions) == 1

    answer(app, slack, question, CONFIRM_ACTION, ALICE)
    assert draws(sessions) == 2
    # A second click on the same question logs nothing more.
    answer(app, slack, question, CONFIRM_ACTION, ALICE)
    assert draws(sessions) == 2


def test_a_cancelled_double_logs_nothing(app, jiebei, sessions, clock, slack) -> None:
    """ "Cancel" on the question drops the second draw, and says so in place of the question."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    question = app.command("draw jiebei-main 50,000 12m", user=ALICE)
    assert answer(app, slack, question, CANCEL_ACTION, ALICE) == "Not logged: cancelled."
    assert draws(sessions) == 1
    assert slack.responses[-1]["replace_original"] is True


def test_only_the_person_who_asked_can_confirm(app, jiebei, sessions, slack) -> None:
    """Dana (an admin) cannot confirm Alice's draw, and Bob may not log draws at all."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    question = app.command("draw jiebei-main 50,000 12m", user=ALICE)
    assert "only the person who typed this draw can confirm it" in answer(
        app, slack, question, CONFIRM_ACTION, DANA
    )
    assert "Only treasurers may" in answer(app, slack, question, CONFIRM_ACTION, BOB)
    assert draws(sessions) == 1


def test_a_different_amount_or_eleven_minutes_later_is_not_asked(
    app, jiebei, sessions, clock
) -> None:
    """Only the same amount within 10 minutes looks like a double."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    app.command("draw jiebei-main 50,001 12m", user=ALICE)
    clock.advance(minutes=11)
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    assert draws(sessions) == 3


def open_form(app, slack) -> dict:
    """A bare `/loan draw` opens the form; returns the view Slack was asked to open."""
    answer = app.command("draw", user=ALICE)
    assert answer.status == 200
    [opened] = [v for v in slack.views if v["method"] == "views.open"]
    return opened


def filled(facility=None, amount=None, term=None, method=None, note=None) -> dict:
    """State values as Slack sends them for the draw form."""

    def typed(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    def picked(value):
        option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
        return {"value": {"type": "static_select", "selected_option": option}}

    return {
        "facility": picked(facility),
        "amount": typed(amount),
        "term": typed(term),
        "method": picked(method),
        "note": typed(note),
    }


def test_a_bare_draw_opens_the_form_with_the_facilities(app, jiebei, sessions, slack) -> None:
    """The form lists the facilities and asks for amount, term, method and note; it carries the
    channel to answer in, signed for Alice."""
    view = open_form(app, slack)
    assert view["callback_id"] == "draw_modal"
    assert [b["block_id"] for b in view["blocks"]] == [
        "facility",
        "amount",
        "term",
        "method",
        "note",
    ]
    options = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == ["jiebei-main"]
    with sessions.begin() as session:
        facts = unpack(this_installation(session), view["private_metadata"], "draw_modal", ALICE)
    assert facts["channel"] == TEAM_CHANNEL


def test_form_errors_show_on_their_fields_and_change_nothing(app, jiebei, sessions, slack) -> None:
    """No facility, a bad amount and a bad term: three inline errors, no draw."""
    view = open_form(app, slack)
    answer = app.submit(view, filled(amount="-5", term="forever"))
    assert answer.body["response_action"] == "errors"
    assert set(answer.body["errors"]) == {"facility", "amount", "term"}
    assert "negative" in answer.body["errors"]["amount"]
    assert draws(sessions) == 0


def test_a_note_past_its_length_shows_on_the_note(app, jiebei, sessions, slack) -> None:
    """The note field stops at 2,000 characters; 2,001 sent anyway are refused on the note
    field (not the amount), and nothing is logged."""
    view = open_form(app, slack)
    [note] = [b for b in view["blocks"] if b["block_id"] == "note"]
    answer = app.submit(view, filled("jiebei-main", "1,000", "3m", note="x" * 2001))
    assert note["element"]["max_length"] == 2000
    assert answer.body["response_action"] == "errors"
    assert list(answer.body["errors"]) == ["note"]
    assert "keep it to 2,000" in answer.body["errors"]["note"]
    assert draws(sessions) == 0


def test_a_draw_over_the_limit_shows_on_the_amount(app, jiebei, sessions, slack) -> None:
    """The ledger's refusal (over the limit) is shown on the amount field."""
    view = open_form(app, slack)
    answer = app.submit(view, filled("jiebei-main", "300,000", "12m"))
    assert "above its limit" in answer.body["errors"]["amount"]
    assert draws(sessions) == 0


def test_a_good_form_logs_the_draw_once_and_posts_the_schedule(
    app, jiebei, sessions, slack
) -> None:
    """Submitted (and resubmitted by a retry), the form logs one draw and posts its schedule."""
    view = open_form(app, slack)
    values = filled("jiebei-main", "10,000", "12m", "equal-principal", "stock <!channel>")
    first = app.submit(view, values)
    again = app.submit(view, values)
    assert first.status == again.status == 200
    assert draws(sessions) == 1
    [posted] = slack.messages(TEAM_CHANNEL)
    assert "equal-principal" in posted.text
    assert "stock &lt;!channel&gt;" in posted.text
    assert "<!channel>" not in str(posted.blocks)


def test_concurrent_clicks_on_log_it_again_log_one_draw(app, jiebei, sessions, slack) -> None:
    """Five clicks at once on the same question (a nervous double click): one more draw."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    question = app.command("draw jiebei-main 50,000 12m", user=ALICE)
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda _: answer(app, slack, question, CONFIRM_ACTION, ALICE), range(5)))
    assert draws(sessions) == 2
    posted = [r for r in slack.responses if r.get("response_type") == "in_channel"]
    assert len(posted) == 1


def test_the_same_draw_typed_five_times_at_once_is_logged_once(app, jiebei, sessions) -> None:
    """Five identical commands arriving together: one draw, four questions."""
    with ThreadPoolExecutor(5) as pool:
        answers = list(
            pool.map(lambda _: app.command("draw jiebei-main 50,000 12m", user=ALICE), range(5))
        )
    assert draws(sessions) == 1
    assert sum("Log another draw" in a.text for a in answers) == 4


def test_an_old_question_cannot_be_answered(app, jiebei, sessions, clock, slack) -> None:
    """ "Log it again" clicked 20 minutes later is refused: type the draw again."""
    app.command("draw jiebei-main 50,000 12m", user=ALICE)
    question = app.command("draw jiebei-main 50,000 12m", user=ALICE)
    clock.advance(minutes=20)
    assert "too old" in answer(app, slack, question, CONFIRM_ACTION, ALICE)
    assert draws(sessions) == 1


def test_a_form_opened_where_the_bot_cannot_post_answers_by_direct_message(
    app, jiebei, sessions, slack
) -> None:
    """From a private channel the bot is not in, the logged draw's schedule comes as a DM."""
    slack.add_channel("G0PRIVATE", "treasury", private=True, member=False)
    app.command("draw", user=ALICE, channel="G0PRIVATE")
    [view] = [v for v in slack.views if v["method"] == "views.open"]
    app.submit(view, filled("jiebei-main", "1,000", "3m"))
    assert draws(sessions) == 1
    [dm] = slack.messages(ALICE)
    assert "logged draw" in dm.text


def test_requests_older_than_a_week_are_forgotten(app, jiebei, sessions, clock) -> None:
    """The request log keeps a week: an old key is dropped when the next draw is logged."""
    app.command("draw jiebei-main 1,000 3m", user=ALICE)
    clock.advance(days=8)
    app.command("draw jiebei-main 2,000 3m", user=ALICE)
    with sessions() as session:
        kept = session.scalars(select(CommandRequest.args)).all()
    assert [args["amount"] for args in kept] == ["2000.00"]
