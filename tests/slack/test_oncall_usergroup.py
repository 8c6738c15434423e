"""The on-call user group follows whoever is on call, as it reaches the fake Web API.

The rotation `finance` (Ann this week until Monday 2026-12-07 09:00 Shanghai, Ben next) keeps
the user group S0FINONCALL in step. Bob (an operator) takes the shift by a signed
`/loan oncall take`; the worker's wake-up and `check` each claim a change once, and delivery
sets the group's members with `usergroups.users.update`.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.audit import Actor
from bot.db import transaction
from bot.models import Alert, OutboxMessage
from bot.oncall.rotations import add_rotation
from bot.oncall.usergroups import USERGROUP_KIND, set_usergroup
from jobs.cycle import run_check_cycle
from jobs.worker import _wake_up
from tests.slack.test_alert_buttons import deliver, posted_alert
from tests.slack.test_commands import open_alerts
from tests.support.slack_app import BOB

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GROUP = "S0FINONCALL"
UPDATE = "usergroups.users.update"


@pytest.fixture
def finance(sessions, clock, slack) -> None:
    slack.usergroups[GROUP] = ["U0OLD"]
    dana = Actor("cli:dana", "cli")
    with sessions.begin() as session:
        add_rotation(
            session,
            dana,
            "finance",
            members="U0ANN,U0BEN",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )
        set_usergroup(session, dana, "finance", GROUP, now=clock())


def _updates(slack) -> list[tuple[str, str]]:
    return [(c.args["usergroup"], c.args["users"]) for c in slack.calls_to(UPDATE)]


def test_the_group_follows_each_change_of_who_is_on_call_once(
    app, finance, sessions, settings, clock, slack
) -> None:
    """Named: set to Ann. Wake-ups with nothing changed send nothing. Bob takes the shift:
    set to Bob. His override ends: back to Ann, by `check`. Ann's week ends: Ben."""
    wake = _wake_up(sessions, settings)
    wake(clock())
    wake(clock() + timedelta(minutes=1))
    deliver(sessions, settings, clock)
    assert _updates(slack) == [(GROUP, "U0ANN")]
    assert slack.usergroups[GROUP] == ["U0ANN"]

    assert app.command("oncall take finance until 4h", user=BOB).status == 200
    wake(clock())
    wake(clock())
    deliver(sessions, settings, clock)
    assert _updates(slack)[1:] == [(GROUP, BOB)]
    assert slack.usergroups[GROUP] == [BOB]

    clock.advance(hours=5)
    with transaction(sessions) as session:
        run_check_cycle(session, now=clock(), settings=settings, calendar=settings.calendar())
    deliver(sessions, settings, clock)
    assert _updates(slack)[2:] == [(GROUP, "U0ANN")]

    clock.advance(days=6)  # Monday 2026-12-07 15:00: Ben's week
    wake(clock())
    deliver(sessions, settings, clock)
    assert _updates(slack)[3:] == [(GROUP, "U0BEN")]
    assert slack.usergroups[GROUP] == ["U0BEN"]


def test_an_app_without_the_scope_alerts_the_admins_once_and_other_work_goes_on(
    app, finance, jiebei, sessions, settings, clock, slack
) -> None:
    """Slack answers missing_scope: the sync is a dead letter with one delivery_failed alert,
    not tried again; the bill_missing alert written beside it is posted all the same."""
    slack.refusals[UPDATE] = "missing_scope"
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    _wake_up(sessions, settings)(clock())
    deliver(sessions, settings, clock)
    deliver(sessions, settings, clock)

    assert _updates(slack) == [(GROUP, "U0ANN")]
    assert slack.usergroups[GROUP] == ["U0OLD"]
    assert posted_alert(slack, alert_id)
    with sessions() as session:
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == USERGROUP_KIND))
        assert row.state == "dead"
        assert "missing_scope" in (row.last_error or "")
        failed = session.scalars(select(Alert).where(Alert.check == "delivery_failed")).all()
    assert len(failed) == 1
    assert "missing_scope" in failed[0].summary + str(failed[0].facts)
