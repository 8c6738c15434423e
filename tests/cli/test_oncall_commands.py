"""`loanwatch oncall …` and `loanwatch escalation …` as an admin uses them."""

import shlex
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select

from bot.calendar import BusinessCalendar
from bot.cli import main
from bot.clock import utcnow
from bot.models import AuditRecord, EscalationPolicy, Facility, OncallOverride, Rotation

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _count(database_url, model) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return count


ADD = 'oncall rotation add finance --members U0ANN,U0BEN --handoff "mon 09:00" --length 1w'


def test_a_rotation_is_added_listed_asked_overridden_and_removed(loanwatch, database_url) -> None:
    status, out, _ = loanwatch(ADD + " --timezone Asia/Shanghai")
    assert status == 0
    assert out.splitlines()[1].startswith("finance: U0ANN on call until ")
    handoff = out.splitlines()[1].removeprefix("finance: U0ANN on call until ")[:16]
    status, out, _ = loanwatch(f'oncall who --at "{handoff}"')
    assert status == 0
    assert out.startswith("finance: U0BEN on call until ")
    assert out.rstrip().endswith(", then U0ANN")
    status, out, _ = loanwatch(f'oncall who --rotation finance --at "{handoff}" ')
    assert out.startswith("finance: U0BEN")
    status, out, _ = loanwatch(
        'oncall override finance --user U0CAT --from "2030-01-01 10:00" --until "2030-01-01 18:00"'
    )
    assert status == 0
    status, out, _ = loanwatch('oncall who --at "2030-01-01 12:00"')
    assert "U0CAT (override) on call until 2030-01-01 18:00 CST" in out
    status, out, _ = loanwatch("oncall rotation list")
    assert "U0ANN,U0BEN" in out
    assert (
        loanwatch("facility add jiebei-main --platform jiebei --limit 1000 --rotation finance")[0]
        == 0
    )
    status, _, err = loanwatch("oncall rotation remove finance")
    assert status == 2
    assert "jiebei-main" in err
    assert loanwatch("facility set jiebei-main --rotation -")[0] == 0
    assert loanwatch("oncall rotation remove finance")[0] == 0
    assert _count(database_url, Rotation) == 0
    assert _count(database_url, OncallOverride) == 0
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        actions = set(connection.scalars(select(AuditRecord.action)))
    engine.dispose()
    assert {
        "oncall.rotation_add",
        "oncall.override",
        "facility.rotation",
        "oncall.rotation_remove",
    } <= actions


@pytest.mark.parametrize(
    "command",
    [
        'oncall rotation add finance --members U0ANN --handoff "someday" --length 1w',
        'oncall rotation add finance --members bob --handoff "mon 09:00" --length 1w',
        'oncall rotation add finance --members U0ANN --handoff "mon 09:00" --length 3d',
        'oncall rotation add finance --members U0ANN --handoff "09:00" --length 1d '
        "--timezone Nowhere/Land",
        'oncall override finance --user U0CAT --until "2030-01-01 18:00"',
        "oncall who --rotation finance",
        'escalation set critical --steps "15m:dm,5m:here"',
        'escalation set critical --steps "5m:shout"',
        'escalation set critical --steps "5m:group:everyone"',
        'escalation set critical --steps "0m:oncall" --repeat 99',
        "facility add jiebei-main --platform jiebei --limit 1000 --rotation nope",
        'oncall rotation add finance --members U0ANN --handoff "09:00" --length 1d '
        "--usergroup finance-oncall",
        "oncall rotation set finance --usergroup S0FINONCALL",
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    loanwatch, database_url, command
) -> None:
    status, _out, err = loanwatch(command)
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith("loanwatch: error: ")
    for model in (Rotation, OncallOverride, EscalationPolicy, Facility, AuditRecord):
        assert _count(database_url, model) == 0


def test_escalation_show_gives_the_defaults_then_what_the_admin_set(loanwatch) -> None:
    status, out, _ = loanwatch("escalation show")
    assert status == 0
    assert "critical: 0m:oncall,15m:dm,45m:next,2h:here, last step repeated 2×" in out
    assert "(default)" in out
    assert "info: never escalates" in out
    status, out, _ = loanwatch(
        'escalation set warning --steps "0m:oncall,1h:group:S0FINANCE,3h:here" --repeat 1'
    )
    assert status == 0
    status, out, _ = loanwatch("escalation show")
    assert "warning: 0m:oncall,1h:group:S0FINANCE,3h:here, last step repeated 1× every 2h\n" in out


def test_check_at_a_later_time_runs_every_step_due_by_then_once(loanwatch) -> None:
    """A frozen line's critical alert: `check --at T` escalates at once; `check --at T+2h`
    runs the 15m, 45m and 2h steps together, each worded with how long the alert has really
    waited (2 h, not the step's own 15 or 45 minutes); again, nothing."""
    _frozen_line_on_finance(loanwatch)
    start = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
    status, out, _ = loanwatch(f"check --at {start.isoformat()}")
    assert status == 0
    assert "step 1: oncall" in out
    assert out.rstrip().endswith("; 1 escalation steps")
    later = start + timedelta(hours=2)
    status, out, _ = loanwatch(f"check --at {later.isoformat()}")
    assert [line for line in out.splitlines() if line.startswith("Escalation of")] == [
        "Escalation of alert 1 (critical), step 2: dm",
        "Escalation of alert 1 (critical), step 3: next",
        "Escalation of alert 1 (critical), step 4: here",
    ]
    assert "unacknowledged for 2 h" in out
    assert "is unacknowledged after 2 h" in out
    assert "45 min" not in out
    status, out, _ = loanwatch(f"check --at {later.isoformat()}")
    assert "Escalation of" not in out
    assert out.rstrip().endswith("; 0 escalation steps")


def test_a_rotations_user_group_is_set_at_each_change_and_can_be_stopped(loanwatch) -> None:
    """`--usergroup` names the group; the next `check` sets it to the person on call (the
    console shows the sync without Slack), the one after has nothing to change; `-` stops it."""
    assert loanwatch(f"{ADD} --usergroup s0finoncall")[0] == 0
    status, out, _ = loanwatch("oncall rotation list")
    assert "S0FINONCALL" in out
    status, out, _ = loanwatch("check")
    assert status == 0
    assert "User group S0FINONCALL is now U0ANN, on call in finance until " in out
    status, out, _ = loanwatch("check")
    assert "User group" not in out
    status, out, _ = loanwatch("oncall rotation set finance --usergroup -")
    assert status == 0
    assert "keeps no user group" in out
    status, out, err = loanwatch("oncall rotation set finance --usergroup @finance")
    assert status == 2
    assert "S0123ABCD" in err


def _frozen_line_on_finance(loanwatch) -> None:
    """Rotation finance (a day each, Shanghai) and jiebei-main on it, frozen: a critical alert."""
    assert (
        loanwatch(
            'oncall rotation add finance --members U0ANN,U0BEN --handoff "09:00" '
            "--length 1d --timezone Asia/Shanghai"
        )[0]
        == 0
    )
    assert (
        loanwatch("facility add jiebei-main --platform jiebei --limit 1000 --rotation finance")[0]
        == 0
    )
    assert loanwatch("limit add jiebei-main 0 --status frozen")[0] == 0


def _business_morning_a_week_on() -> datetime:
    """10:00 in Shanghai on the first business day a week or more from now: a warning's ladder
    runs in business hours, so a week on from a test run at 18:30 would wait for the morning."""
    calendar = BusinessCalendar()
    day = utcnow().astimezone(SHANGHAI).date() + timedelta(days=7)
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)


def test_a_ladder_step_months_away_counts_its_business_hours(loanwatch) -> None:
    """A warning ladder whose last step is 300 days away (the policy accepts up to a year):
    a check runs, its warning (data_stale, a line never read) escalates at once, and nothing
    fails; until then every check crashed counting the 300 days."""
    _frozen_line_on_finance(loanwatch)
    assert loanwatch('escalation set warning --steps "0m:oncall,300d:here"')[0] == 0
    later = _business_morning_a_week_on()

    status, out, err = loanwatch(f"check --at {later.isoformat()}")

    assert status == 0, err
    assert "Escalation of alert 2 (warning), step 1: oncall" in out
    assert "checks failed" not in out


def test_an_escalation_that_raises_stops_nothing_else_and_admins_are_told(
    loanwatch, monkeypatch
) -> None:
    """The escalation wake-up raises: the check still opens and tells the frozen line's alert,
    the summary names `escalation` as failed (exit 1), a check_failed alert says so; the next
    clean run resolves it."""
    _frozen_line_on_finance(loanwatch)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the ladder broke")

    monkeypatch.setattr("jobs.cycle.run_escalations", broken)
    status, out, _ = loanwatch("check")

    assert status == 1
    assert "CRITICAL: limit_frozen on jiebei-main" in out
    assert "CRITICAL: check_failed" in out
    assert out.strip().splitlines()[-1].endswith("; checks failed: escalation")

    monkeypatch.undo()
    status, out, _ = loanwatch("check")
    assert status == 0
    assert ", 1 resolved," in out.strip().splitlines()[-1]  # the check_failed alert
    assert "checks failed" not in out


def test_a_warning_that_turns_urgent_at_midnight_starts_its_critical_ladder_then(
    loanwatch, terminal_clock
) -> None:
    """jb's ¥5,140.26 bill is due Friday 12-11; its due-soon warning opens on Monday and waits
    out its warning ladder. At 00:00 on Wednesday the due date is two business days away: the
    alert escalates as critical from then, one step at a time (the on-call mention at 00:01),
    not every critical step it would have run since Monday at once."""
    terminal_clock.now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert (
        loanwatch(
            'oncall rotation add finance --members U0ANN,U0BEN --handoff "09:00" '
            "--length 1d --timezone Asia/Shanghai"
        )[0]
        == 0
    )
    assert loanwatch("facility add jb --platform jiebei --limit 300000 --rotation finance")[0] == 0
    assert loanwatch("draw add jb 30000 --months 6 --on 2026-11-11")[0] == 0
    assert loanwatch("bill add jb 2026-12-11 5140.26")[0] == 0
    for moment in ("2026-12-07T03:40:00Z", "2026-12-08T10:00:00Z", "2026-12-08T15:50:00Z"):
        assert loanwatch(f"check --at {moment}")[0] == 0

    status, out, _ = loanwatch("check --at 2026-12-08T16:01:00Z")

    assert status == 0
    steps = [line for line in out.splitlines() if line.startswith("Escalation of")]
    assert steps, out
    assert all(line.endswith("(critical), step 1: oncall") for line in steps), steps


def test_the_default_rotation_cannot_be_removed_while_it_is_the_default(
    loanwatch, monkeypatch, database_url
) -> None:
    """LOANWATCH_DEFAULT_ROTATION=finance: removing finance would silence every alert escalating
    on it, so it is refused (one line, exit 2, nothing removed) until the setting changes."""
    assert loanwatch(ADD + " --timezone Asia/Shanghai")[0] == 0
    monkeypatch.setenv("LOANWATCH_DEFAULT_ROTATION", "finance")

    status, _, err = loanwatch("oncall rotation remove finance")

    assert status == 2
    assert "LOANWATCH_DEFAULT_ROTATION" in err
    assert len(err.strip().splitlines()) == 1
    assert _count(database_url, Rotation) == 1
    monkeypatch.delenv("LOANWATCH_DEFAULT_ROTATION")
    assert loanwatch("oncall rotation remove finance")[0] == 0
