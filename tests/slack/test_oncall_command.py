"""`/loan oncall` through the real server, by signed requests: who is on call, take, set.

The cast (tests/support/slack_app.py): Alice the treasurer, Bob an operator through the
on-call group, Charlie may only read, Dana is the admin. The rotation `finance` has Ann on call
this week (until Monday 2026-12-07 09:00 in Shanghai) and Ben next.
"""

import pytest
from sqlalchemy import func, select

from bot.audit import Actor
from bot.models import AuditRecord, OncallOverride
from bot.oncall.rotations import add_rotation
from tests.support.slack_app import BOB, CHARLIE, DANA


@pytest.fixture
def finance(sessions, clock) -> None:
    with sessions.begin() as session:
        add_rotation(
            session,
            Actor("cli:dana", "cli"),
            "finance",
            members="U0ANN,U0BEN",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )


def _overrides(sessions) -> list[tuple[str, str]]:
    with sessions() as session:
        return [
            (o.user, o.created_by)
            for o in session.scalars(select(OncallOverride).order_by(OncallOverride.id))
        ]


def test_oncall_shows_each_rotation_and_says_when_there_is_none(app, sessions, clock) -> None:
    answer = app.command("oncall", user=CHARLIE)
    assert answer.body["response_type"] == "ephemeral"
    assert "No on-call rotation yet" in answer.text
    with sessions.begin() as session:
        add_rotation(
            session,
            Actor("cli:dana", "cli"),
            "finance",
            members="U0ANN,U0BEN",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=clock(),
        )
    answer = app.command("oncall", user=CHARLIE)
    assert answer.text == "*finance*: <@U0ANN> on call until 2026-12-07 09:00 CST, then <@U0BEN>"


def test_an_operator_takes_the_shift_until_a_time_and_everyone_sees_it(
    app, finance, sessions
) -> None:
    answer = app.command("oncall take until 18:00", user=BOB)
    assert answer.body["response_type"] == "in_channel"
    assert answer.text == (
        "You are on call in *finance* until 2026-12-01 18:00 CST (set by <@U0BOB>)."
    )
    assert app.command("oncall", user=CHARLIE).text == (
        "*finance*: <@U0BOB> (override) on call until 2026-12-01 18:00 CST, then <@U0ANN>"
    )
    assert _overrides(sessions) == [(BOB, BOB)]
    with sessions() as session:
        audited = session.scalars(
            select(AuditRecord.actor).where(AuditRecord.action == "oncall.override")
        ).all()
    assert audited == [BOB]


def test_take_without_a_time_lasts_to_the_end_of_the_shift(app, finance) -> None:
    answer = app.command("oncall take finance", user=BOB)
    assert "until 2026-12-07 09:00 CST" in answer.text


def test_an_admin_sets_someone_on_call(app, finance, sessions) -> None:
    answer = app.command("oncall set <@U0CHARLIE|charlie> until 2026-12-02 09:00", user=DANA)
    assert answer.text == (
        "<@U0CHARLIE> is on call in *finance* until 2026-12-02 09:00 CST (set by <@U0DANA>)."
    )
    assert _overrides(sessions) == [(CHARLIE, DANA)]


@pytest.mark.parametrize(
    ("user", "text", "role"),
    [
        (CHARLIE, "oncall take until 18:00", "operators"),
        (BOB, "oncall set <@U0CHARLIE> until 2h", "admins"),
    ],
)
def test_who_may_not_is_refused_audited_and_nothing_changes(
    app, finance, sessions, user, text, role
) -> None:
    answer = app.command(text, user=user)
    assert answer.body["response_type"] == "ephemeral"
    assert f"Only {role} may" in answer.text
    assert _overrides(sessions) == []
    with sessions() as session:
        refused = session.scalars(
            select(AuditRecord.actor).where(AuditRecord.action == "refused")
        ).all()
    assert refused == [user]


@pytest.mark.parametrize(
    "text",
    [
        "oncall dance",
        "oncall take until",
        "oncall take until someday",
        "oncall take nope until 2h",
        "oncall take finance tomorrow",
        "oncall set bob until 2h",
        "oncall set <@U0CHARLIE>",
        "oncall take until 2026-11-30 09:00",  # already over
    ],
)
def test_bad_input_is_answered_ephemerally_and_changes_nothing(
    app, finance, sessions, text
) -> None:
    answer = app.command(text, user=DANA)
    assert answer.status == 200
    assert answer.body["response_type"] == "ephemeral"
    assert "/loan oncall" in answer.text  # with the usage
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OncallOverride)) == 0
