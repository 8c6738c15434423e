"""Slack waits 3 s for a command's answer. While it waits, loanwatch asks Slack the person's
language (users.info) and, for their role, their user groups (usergroups.users.list): both are
asked at once and waited for until one deadline, so a Slack slow to answer either does not make
the command's answer late (Slack would drop it and tell the person it failed). Signed requests
through the real server; the fake Web API made slow.
"""

import time

from tests.slack.test_answer_zones import london_line, open_alert_on
from tests.support.slack_app import ALICE, BOB, SlackApp

# Slack drops an answer after 3 s; the lookups alone took 3 s one after the other.
IN_TIME = 2.5


def eventually(what, seconds: float = 10.0):
    """What `what()` says once it is truthy (None after `seconds`)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = what()
        if found:
            return found
        time.sleep(0.05)
    return None


def timed_command(app: SlackApp, text: str, user: str) -> tuple[str, float]:
    started = time.monotonic()
    answer = app.command(text, user=user)
    return answer.text, time.monotonic() - started


def test_a_command_is_answered_in_time_when_slack_hangs_on_language_and_groups(
    app: SlackApp, slack, sessions, settings, clock
) -> None:
    """Bob is an operator through the on-call group. Slack hangs on both lookups: his `/loan ack`
    is still answered, in the workspace's language, refused as Slack could not say his group (as
    when Slack is down), well inside Slack's 3 s."""
    slack.locales[BOB] = "zh-CN"
    alert_id = open_alert_on(sessions, london_line(sessions, clock).id, settings, clock())
    slack.delays["users.info"] = 3  # past both clients' timeouts (1 s, 2 s)
    slack.delays["usergroups.users.list"] = 3

    text, seconds = timed_command(app, f"ack {alert_id}", BOB)

    assert seconds < IN_TIME
    assert text.startswith("Only operators may acknowledge alerts.")
    # Both were asked (the fake notes a call once its delay is over).
    assert eventually(lambda: slack.calls_to("users.info"))
    assert eventually(lambda: slack.calls_to("usergroups.users.list"))


def test_a_group_listed_after_the_deadline_is_kept_for_the_next_command(
    app: SlackApp, slack, sessions, settings, clock
) -> None:
    """Slack lists the on-call group only after the deadline (1.5 s, inside the client's own
    2 s): Bob's first `/loan 确认` is answered in time, refused in Chinese as Slack had not
    said; the list, kept when it came, lets his next one through without asking again."""
    slack.locales[BOB] = "zh-CN"
    alert_id = open_alert_on(sessions, london_line(sessions, clock).id, settings, clock())
    slack.delays["usergroups.users.list"] = 1.5

    first, seconds = timed_command(app, f"确认 {alert_id}", BOB)
    assert seconds < IN_TIME
    assert "只有" in first
    time.sleep(2)  # the late answer arrives and is kept
    second, _ = timed_command(app, f"确认 {alert_id}", BOB)

    assert second.startswith("你已确认收到告警")
    assert str(alert_id) in second
    assert len(slack.calls_to("usergroups.users.list")) == 1


def test_someone_found_by_their_own_id_first_costs_no_group_lookup(app: SlackApp, slack) -> None:
    """Alice is listed as treasurer by her id, before the on-call group: her command asks Slack
    her language only, as her role needs no group."""
    app.command("status", user=ALICE)

    assert slack.calls_to("users.info")
    assert slack.calls_to("usergroups.users.list") == []


def test_a_language_said_after_the_deadline_is_kept_for_the_next_command(
    app: SlackApp, slack
) -> None:
    """Slack says Bob reads Chinese only at 1.5 s, past the request's deadline: his first
    `/loan help` is answered in time in the workspace's English (as Alice, who reads English,
    gets it); the answer, kept when it came, gives his next one in Chinese without asking
    Slack again."""
    slack.locales[BOB] = "zh-CN"
    english = app.command("help", user=ALICE).text
    slack.delays["users.info"] = 1.5

    first, seconds = timed_command(app, "help", BOB)
    assert seconds < IN_TIME
    assert first == english
    time.sleep(2)  # the late answer arrives and is kept
    second, _ = timed_command(app, "help", BOB)

    assert second != english
    assert "帮助" in second or "用法" in second
    assert len([c for c in slack.calls_to("users.info") if c.args.get("user") == BOB]) == 1
