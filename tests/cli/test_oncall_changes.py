"""Changing what is set up for on-call: members, overrides, user groups, ladders (issue 13)."""

import shlex

import pytest
from sqlalchemy import create_engine, func, select

from bot.cli import main
from bot.models import AuditRecord, OncallOverride, Rotation

ADD = (
    'oncall rotation add finance --members U0ANN,U0BEN --handoff "mon 09:00" --length 1w '
    "--timezone Asia/Shanghai"
)
OPS = 'oncall rotation add ops --members U0DAN --handoff "09:00" --length 1d'


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch, terminal_clock):
    """Alice at the terminal, on Tuesday 2026-12-01 10:00 in Shanghai."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _scalars(database_url, query) -> list:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        found = list(connection.scalars(query))
    engine.dispose()
    return found


def _actions(database_url) -> list[str]:
    return _scalars(database_url, select(AuditRecord.action).order_by(AuditRecord.id))


def _count(database_url, model) -> int:
    return _scalars(database_url, select(func.count()).select_from(model))[0]


def test_rotation_set_members_changes_whose_turn_it_is_and_is_audited(
    loanwatch, database_url
) -> None:
    """Ann and Ben hand the rotation to Cat and Dan: the list and `who` name the new people,
    and the audit trail keeps who was in it before."""
    assert loanwatch(ADD)[0] == 0

    status, out, err = loanwatch("oncall rotation set finance --members U0CAT,U0DAN")

    assert status == 0, err
    assert "finance: members U0CAT,U0DAN" in out
    assert "U0CAT,U0DAN" in loanwatch("oncall rotation list")[1]
    assert loanwatch("oncall who")[1].startswith("finance: U0CAT on call until ")
    assert _actions(database_url)[-1] == "oncall.rotation_set"
    before = _scalars(database_url, select(AuditRecord.before).order_by(AuditRecord.id.desc()))
    assert before[0]["members"] == ["U0ANN", "U0BEN"]


def test_rotation_set_refuses_bad_members_and_an_empty_change(loanwatch, database_url) -> None:
    """A member that is no Slack id, or nothing to change: one line, exit 2, nothing written."""
    assert loanwatch(ADD)[0] == 0

    status, _, err = loanwatch("oncall rotation set finance --members U0ANN,bob")
    assert status == 2
    assert "'bob' is not a Slack user id" in err
    status, _, err = loanwatch("oncall rotation set finance")
    assert status == 2
    assert "--members" in err
    assert "--usergroup" in err
    assert _actions(database_url) == ["oncall.rotation_add"]


def test_overrides_are_listed_by_rotation_and_removed_with_an_audit_record(
    loanwatch, database_url
) -> None:
    """Cat covers finance on New Year's Day, Eve covers ops: the list shows both (or one
    rotation's), each with its id; removing Cat's puts Ann or Ben back and is audited."""
    assert loanwatch(ADD)[0] == 0
    assert loanwatch(OPS)[0] == 0
    cover = '--from "2030-01-01 10:00" --until "2030-01-01 18:00"'
    assert loanwatch(f"oncall override finance --user U0CAT {cover}")[0] == 0
    assert loanwatch(f"oncall override add ops --user U0EVE {cover}")[0] == 0

    status, out, _ = loanwatch("oncall override list")
    assert status == 0
    rows = [row for row in out.splitlines() if not row.startswith("--")]
    assert rows[0].split() == ["id", "rotation", "user", "from", "until", "set", "by"]
    assert rows[1].split()[:3] == ["1", "finance", "U0CAT"]
    assert "2030-01-01 10:00 CST" in rows[1]
    assert "2030-01-01 18:00 CST" in rows[1]
    assert rows[2].split()[:3] == ["2", "ops", "U0EVE"]
    out = loanwatch("oncall override list --rotation ops")[1]
    assert "U0EVE" in out
    assert "U0CAT" not in out

    status, out, _ = loanwatch("oncall override remove 1")

    assert status == 0
    assert "removed override 1: U0CAT in finance" in out
    assert "(override)" not in loanwatch('oncall who --rotation finance --at "2030-01-01 12:00"')[1]
    assert "U0CAT" not in loanwatch("oncall override list")[1]
    assert _actions(database_url)[-1] == "oncall.override_remove"
    assert _count(database_url, OncallOverride) == 1
    status, _, err = loanwatch("oncall override remove 1")
    assert status == 2
    assert "no override 1" in err


def test_an_empty_override_list_says_how_to_add_one(loanwatch) -> None:
    """No override yet: the list says so and names the command."""
    assert loanwatch(ADD)[0] == 0
    status, out, _ = loanwatch("oncall override list")
    assert status == 0
    assert "no overrides" in out
    assert "oncall override add" in out


def test_override_until_a_duration_counts_from_now_or_from_from(loanwatch) -> None:
    """`--until 4h` is four hours from now (10:00 in Shanghai), as Slack's `take until 4h`;
    with `--from`, from then."""
    assert loanwatch(ADD)[0] == 0

    status, out, err = loanwatch("oncall override finance --user U0CAT --until 4h")
    assert status == 0, err
    assert "from 2026-12-01 10:00 CST until 2026-12-01 14:00 CST" in out

    status, out, err = loanwatch(
        'oncall override finance --user U0DAN --from "2026-12-02 09:00" --until 2h30m'
    )
    assert status == 0, err
    assert "from 2026-12-02 09:00 CST until 2026-12-02 11:30 CST" in out


def test_two_rotations_cannot_keep_the_same_user_group(loanwatch, database_url) -> None:
    """S0FINONCALL follows finance: ops may not take it too (it would flap between two people);
    the refusal names finance, and nothing is written. finance may name it again."""
    assert loanwatch(f"{ADD} --usergroup S0FINONCALL")[0] == 0

    status, _, err = loanwatch(f"{OPS} --usergroup s0finoncall")
    assert status == 2
    assert "user group S0FINONCALL already follows rotation finance" in err
    assert _count(database_url, Rotation) == 1

    assert loanwatch(OPS)[0] == 0
    status, _, err = loanwatch("oncall rotation set ops --usergroup S0FINONCALL")
    assert status == 2
    assert "rotation finance" in err
    assert loanwatch("oncall rotation set finance --usergroup S0FINONCALL")[0] == 0


def test_escalation_set_refuses_a_step_given_twice(loanwatch, database_url) -> None:
    """The same delay and action twice would mention the same person twice at once: refused."""
    status, _, err = loanwatch('escalation set critical --steps "0m:oncall,15m:dm,15m:DM"')
    assert status == 2
    assert 'step "15m:dm" is given twice' in err
    assert _actions(database_url) == []


def test_escalation_set_echoes_delays_as_typed_and_reset_restores_the_default(
    loanwatch, database_url
) -> None:
    """`300d` is echoed `300d` (not `7200h`), `1d4h` as `1d4h`; `escalation reset warning` puts
    the default ladder back, audited; a second reset says it is the default already."""
    status, out, _ = loanwatch('escalation set warning --steps "0m:oncall,1d 4h:dm,300d:here"')
    assert status == 0
    assert out.startswith("warning: 0m:oncall,1d4h:dm,300d:here")

    status, out, _ = loanwatch("escalation reset warning")

    assert status == 0
    assert out.startswith("warning: 0m:oncall,30m:dm,2h:next,4h:here, last step repeated 1×")
    assert "(default)" in out
    assert "warning: 0m:oncall,30m:dm,2h:next,4h:here" in loanwatch("escalation show")[1]
    assert _actions(database_url) == ["escalation.set", "escalation.reset"]
    status, out, _ = loanwatch("escalation reset warning")
    assert status == 0
    assert "has the default ladder already" in out
    assert _actions(database_url) == ["escalation.set", "escalation.reset"]


def test_an_empty_timezone_is_refused_not_taken_as_the_default(loanwatch, database_url) -> None:
    """`--timezone ""` is a mistake (an unset variable in a script), not a wish for the default."""
    status, _, err = loanwatch(ADD.replace("Asia/Shanghai", '""'))
    assert status == 2
    assert "timezone must be an IANA name such as Asia/Shanghai" in err
    assert _count(database_url, Rotation) == 0


def test_a_negative_snooze_is_refused_saying_a_snooze_must_be_positive(loanwatch) -> None:
    """`alert snooze 1 -5m` says what is wrong, not that -5 is an unknown option."""
    status, _, err = loanwatch("alert snooze 1 -5m")
    assert status == 2
    assert "a snooze must be positive" in err
