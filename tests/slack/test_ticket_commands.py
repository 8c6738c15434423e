"""`/loan ticket …` and the ticket's buttons, through signed requests and the fake Web API.

Jiebei has no contact configured, so it is reached by hand (manual): the ticket's message has a
**Mark as sent** button and its thread the text to paste with the usage records.
"""

import copy
import json

import pytest
from sqlalchemy import func, select

from bot.db import transaction
from bot.models import AuditRecord, OutboxMessage, Ticket, TicketEntry
from bot.slack.blocks import ACK_ACTION, TICKET_ACTION
from bot.slack.ticket_blocks import CLOSE_ACTION, NOTE_ACTION, REPLY_ACTION, SENT_ACTION
from bot.tickets.follow_ups import run_ticket_wake_ups
from jobs.delivery import DeliveryWorker
from jobs.transports.slack import SlackTransport
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import open_alerts
from tests.support.fake_slack import Fault
from tests.support.slack_app import ALERTS, ALICE, BOB, CHARLIE


def top_ticket(slack):
    """The ticket's own message, posted in #loan-alerts (jiebei-main's channel)."""
    [message] = [
        m
        for m in slack.messages(ALERTS)
        if any(b.get("type") == "header" and "🎫" in b["text"]["text"] for b in m.blocks)
    ]
    return message


def ticket_row(sessions) -> Ticket:
    with sessions() as session:
        return session.scalars(select(Ticket)).one()


def written(sessions) -> tuple[int, int]:
    """Timeline entries and outbox rows: what a refused or bad command must not add to."""
    with sessions() as session:
        entries = session.scalar(select(func.count()).select_from(TicketEntry))
        rows = session.scalar(select(func.count()).select_from(OutboxMessage))
    return entries, rows


@pytest.fixture
def t1(app, jiebei, sessions, settings, clock, slack):
    """Bob opened T-1 with `/loan ticket`; the worker posted it."""
    answer = app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    assert "You opened T-1" in answer.text
    deliver(sessions, settings, clock)
    return top_ticket(slack)


def test_a_manual_ticket_shows_the_text_to_paste_and_mark_as_sent_starts_the_clock(
    app, t1, sessions, settings, clock, slack
):
    assert "not sent to 借呗 Jiebei (Alipay) yet" in t1.text
    assert SENT_ACTION in json.dumps(t1.blocks)
    thread = slack.thread(ALERTS, t1.ts)
    assert any("paste the text below" in m.text for m in thread)
    assert any("T-1" in json.dumps(m.blocks, ensure_ascii=False) and "```" in json.dumps(m.blocks)
               for m in thread)  # fmt: skip
    [shared] = [f for m in thread for f in m.files]
    assert shared["title"] == "T-1-usage-records.csv"

    app.click(t1, ALERTS, SENT_ACTION, user=BOB)
    assert ticket_row(sessions).state == "waiting"
    assert ticket_row(sessions).next_follow_up_at is not None
    deliver(sessions, settings, clock)
    message = top_ticket(slack)
    assert message.edited == 1
    assert "waiting on 借呗 Jiebei (Alipay)" in message.text
    assert any("sent T-1" in m.text for m in slack.thread(ALERTS, t1.ts))


def test_note_reply_list_show_and_close_by_command(app, t1, sessions, settings, clock, slack):
    assert app.command("ticket note T-1 called their hotline", user=BOB).text.startswith(
        "You added a note to T-1"
    )
    replied = app.command("ticket reply t-1 case CS-88 we will reissue the bill", user=BOB)
    assert "case CS-88" in replied.text
    row = ticket_row(sessions)
    assert (row.state, row.case_ref) == ("answered", "CS-88")
    deliver(sessions, settings, clock)
    lines = [m.text for m in slack.thread(ALERTS, t1.ts)]
    assert any("noted: called their hotline" in line for line in lines)
    assert any("reply (case CS-88): we will reissue the bill" in line for line in lines)
    assert "answered by 借呗 Jiebei (Alipay)" in top_ticket(slack).text

    listed = app.command("ticket list", user=CHARLIE).text  # anyone may read
    assert "*T-1* jiebei-main: 十二月账单缺失" in listed
    assert "answered by" in listed
    assert "T-1" in app.command("ticket list all jiebei-main", user=CHARLIE).text
    shown = app.command("ticket show T-1", user=CHARLIE).text
    assert "case CS-88" in shown
    assert "note by <@U0BOB>: called their hotline" in shown

    closed = app.command("ticket close T-1 bill reissued", user=ALICE)
    assert closed.text == "You closed T-1."
    deliver(sessions, settings, clock)
    assert "closed" in top_ticket(slack).text
    assert REPLY_ACTION not in json.dumps(top_ticket(slack).blocks)
    assert app.command("ticket list", user=CHARLIE).text == "No tickets."
    assert "T-1" in app.command("ticket list all", user=CHARLIE).text


def test_bad_input_says_so_and_changes_nothing(app, t1, sessions):
    app.command("ticket close T-1 fixed", user=ALICE)
    before = written(sessions)
    cases = {
        "ticket show T-99": "no ticket T-99",
        "ticket note T-99 hello": "no ticket T-99",
        "ticket reply T-1 they answered": "closed",
        "ticket close T-1 again": "closed",
        "ticket note banana hello": "not a ticket id",
        "ticket list open nowhere-main": "nowhere-main",
        "ticket jiebei-main": "subject",
        "ticket nowhere-main no bill": "nowhere-main",
    }
    for typed, said in cases.items():
        answer = app.command(typed, user=ALICE)
        assert answer.body["response_type"] == "ephemeral"
        assert answer.text.startswith(":warning:"), typed
        assert said in answer.text, typed
    assert written(sessions) == before
    assert ticket_row(sessions).state == "closed"


def test_roles_operators_open_note_reply_treasurers_close(app, t1, sessions, slack):
    before = written(sessions)
    refused = {
        ("ticket jiebei-main again", CHARLIE): "Only operators may open tickets",
        ("ticket note T-1 hi", CHARLIE): "Only operators may add notes to tickets",
        ("ticket reply T-1 hi", CHARLIE): "Only operators may record the platform's replies",
        ("ticket close T-1 done", BOB): "Only treasurers may close tickets",
        ("ticket", CHARLIE): "Only operators may open tickets",
    }
    for (typed, user), said in refused.items():
        answer = app.command(typed, user=user)
        assert answer.body["response_type"] == "ephemeral"
        assert said in answer.text, typed
    # The buttons too: an ephemeral refusal and no form.
    for action_id, user in ((CLOSE_ACTION, BOB), (NOTE_ACTION, CHARLIE), (SENT_ACTION, CHARLIE)):
        app.click(t1, ALERTS, action_id, user=user)
    notes = [c.args["text"] for c in slack.calls_to("chat.postEphemeral")]
    assert notes == [
        "Only treasurers may close tickets. Ask an admin to add you (or one of your user groups) "
        "to LOANWATCH_TREASURERS.",
        "Only operators may add notes to tickets. Ask an admin to add you (or one of your user "
        "groups) to LOANWATCH_OPERATORS.",
        "Only operators may mark tickets as sent. Ask an admin to add you (or one of your user "
        "groups) to LOANWATCH_OPERATORS.",
    ]
    assert [v for v in slack.views if v["method"] == "views.open"] == []
    assert written(sessions) == before
    with sessions() as session:
        assert session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "refused")
        ) == len(refused) + 3  # fmt: skip


def test_bare_ticket_opens_the_form_and_the_note_button_adds_a_note(
    app, t1, sessions, settings, clock, slack
):
    assert app.command("ticket", user=BOB).body == {}
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    assert form["callback_id"] == "ticket_open_modal"
    values = {
        "facility": {
            "value": {"type": "static_select", "selected_option": {"value": "jiebei-main"}}
        },
        "subject": {"value": {"type": "plain_text_input", "value": "额度不符"}},
        "days": {"value": {"type": "plain_text_input", "value": "30"}},
    }
    assert app.submit(form, values, user=BOB).status == 200
    with sessions() as session:
        t2 = session.scalars(select(Ticket).where(Ticket.number == 2)).one()
        assert (t2.subject, t2.records_days) == ("额度不符", 30)
    bad = app.submit(form, values | {"days": {"value": {"value": "lots"}}}, user=BOB)
    assert bad.body["response_action"] == "errors"

    app.click(t1, ALERTS, NOTE_ACTION, user=BOB)
    note_form = [v for v in slack.views if v["method"] == "views.open"][-1]
    assert note_form["callback_id"] == "ticket_note_modal"
    typed = {"text": {"value": {"type": "plain_text_input", "value": "waiting for their call"}}}
    assert app.submit(note_form, typed, user=BOB).status == 200
    deliver(sessions, settings, clock)
    assert any("noted: waiting for their call" in m.text for m in slack.thread(ALERTS, t1.ts))
    # A form made for Bob, submitted by Alice: refused, nothing written.
    before = written(sessions)
    forged = app.submit(note_form, typed, user=ALICE)
    assert forged.body["response_action"] == "errors"
    assert written(sessions) == before


def test_overdue_shows_in_the_list_app_home_and_on_the_alert(
    app, jiebei, sessions, settings, clock, slack
):
    """A manual ticket marked sent, three follow-ups unanswered: overdue everywhere."""
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    deliver(sessions, settings, clock)
    app.click(posted_alert(slack, alert_id), ALERTS, TICKET_ACTION, user=BOB)
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    app.submit(
        form, {"subject": {"value": {"type": "plain_text_input", "value": "no bill"}}}, user=BOB
    )
    deliver(sessions, settings, clock)
    [ticket] = [
        m
        for m in slack.thread(ALERTS, posted_alert(slack, alert_id).ts)
        if SENT_ACTION in json.dumps(m.blocks)
    ]
    # Bob acknowledges the alert: its message, updated, still shows the ticket.
    app.click(posted_alert(slack, alert_id), ALERTS, ACK_ACTION, user=BOB)
    deliver(sessions, settings, clock)
    acked = json.dumps(posted_alert(slack, alert_id).blocks, ensure_ascii=False)
    assert "<@U0BOB>" in acked
    assert "Ticket T-1 · not sent to 借呗 Jiebei (Alipay) yet" in acked
    assert TICKET_ACTION not in acked
    app.click(ticket, ALERTS, SENT_ACTION, user=BOB)
    for _ in range(3):
        clock.advance(days=7)
        with transaction(sessions) as session:
            run_ticket_wake_ups(session, now=clock(), calendar=settings.calendar())
    deliver(sessions, settings, clock)

    assert "OVERDUE" in app.command("ticket list", user=CHARLIE).text
    alert_blocks = json.dumps(posted_alert(slack, alert_id).blocks, ensure_ascii=False)
    assert "Ticket T-1 · waiting on 借呗 Jiebei (Alipay) · overdue" in alert_blocks
    reminders = [
        m.text
        for m in slack.thread(ALERTS, posted_alert(slack, alert_id).ts)
        if "has not answered" in m.text
    ]
    assert len(reminders) == 3
    assert all(r.startswith("<@U0BOB>") for r in reminders)  # the owner is mentioned

    answer = app.event({"type": "app_home_opened", "user": CHARLIE, "tab": "home"})
    assert answer.status == 200
    published = slack.wait_for(lambda: [v for v in slack.views if v["method"] == "views.publish"])
    home = json.dumps(published[-1]["blocks"], ensure_ascii=False)
    assert "Overdue tickets (1)" in home
    assert "*T-1* jiebei-main: no bill — overdue" in home

    stale = copy.deepcopy(ticket)  # the message as it was, buttons and all
    # Alice closes it while its alert is still open: she is told, and so is the thread.
    closed = app.command("ticket close T-1 gave up, paid from the bank statement", user=ALICE)
    assert closed.text == (
        f"You closed T-1. Its alert {alert_id} is still open: resolve it if it is fixed."
    )
    deliver(sessions, settings, clock)
    thread = [m.text for m in slack.thread(ALERTS, posted_alert(slack, alert_id).ts)]
    assert any(f"Still open: alert {alert_id}" in line for line in thread)
    # A click on the closed ticket's old message: said so, no form.
    app.click(stale, ALERTS, REPLY_ACTION, user=BOB)
    [said] = [c.args["text"] for c in slack.calls_to("chat.postEphemeral")]
    assert said.startswith(":warning: T-1 was closed on ")
    assert said.endswith("to record a reply, reopen it first (`ticket reopen T-1 REASON`)")
    assert len([v for v in slack.views if v["method"] == "views.open"]) == 1


def test_a_lost_answer_posts_nothing_twice(app, jiebei, sessions, settings, clock, slack):
    """Slack posted the ticket, its line and its file, but each answer was lost: the retries
    find them by their metadata (and the file by its name); one of each in all."""
    lost: set[str] = set()

    def lose_each_first_answer(method: str) -> Fault | None:
        """The ticket's post and the file's sharing happen, but their first answers are lost."""
        if method in ("chat.postMessage", "files.completeUploadExternal") and method not in lost:
            lost.add(method)
            return Fault("drop_after")
        return None

    app.command("ticket jiebei-main 十二月账单缺失", user=BOB)
    slack.faults = lose_each_first_answer
    worker = DeliveryWorker(
        sessions, SlackTransport.from_settings(settings), worker_id="test", clock=clock
    )
    for _ in range(20):
        worker.step()
        clock.advance(seconds=20)
    message = top_ticket(slack)
    thread = slack.thread(ALERTS, message.ts)
    assert len([m for m in thread if "opened T-1" in m.text]) == 1
    assert len([f for m in thread for f in m.files]) == 1
    with sessions() as session:
        assert session.scalars(select(Ticket)).one().message_ref == f"{ALERTS}:{message.ts}"
        states = session.scalars(select(OutboxMessage.state)).all()
    assert set(states) == {"sent"}
    assert lost == {"chat.postMessage", "files.completeUploadExternal"}
