"""A time typed for an on-call command is read by one rule: in the rotation's zone when the
command names a rotation (else LOANWATCH_TIMEZONE); a wall time that zone skips is refused and
one it has twice is the first, said so.

The cast: the `nyc` rotation hands off daily at 09:00 in New York (Ann, then Ben); loanwatch's
own zone is Shanghai. New York's clocks skip 02:00–03:00 on 2027-03-14 and go back from 02:00
to 01:00 on 2027-11-07.
"""

import shlex

import pytest

from bot.cli import main

ADD = (
    "oncall rotation add nyc --members U0ANN,U0BEN --handoff 09:00 --length 1d "
    "--timezone America/New_York"
)


@pytest.fixture
def loanwatch(database_url, capsys, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOANWATCH_TIMEZONE", "Asia/Shanghai")

    def run(command: str) -> tuple[int, str, str]:
        status = main(["--database-url", database_url, *shlex.split(command)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    assert run(ADD)[0] == 0
    return run


def test_who_at_a_time_reads_it_in_the_named_rotations_zone(loanwatch) -> None:
    """10:00 on 10 March is New York's 10:00 (the next handoff the 11th at 09:00), not
    Shanghai's (21:00 the evening before in New York, handing off the 10th)."""
    status, out, err = loanwatch('oncall who --rotation nyc --at "2027-03-10 10:00"')

    assert status == 0, err
    assert "until 2027-03-11 09:00 EST" in out


def test_who_and_override_refuse_a_wall_time_the_zone_skips(loanwatch) -> None:
    """02:15 on 14 March does not happen in New York: refused, saying which hour is skipped."""
    skipped = "2027-03-14 02:15 does not exist in America/New_York (clocks skip 02:00–03:00)"

    status, _, err = loanwatch('oncall who --rotation nyc --at "2027-03-14 02:15"')
    assert status == 2
    assert skipped in err

    status, _, err = loanwatch(
        'oncall override nyc --user U0CAT --from "2027-03-14 02:15" --until 4h'
    )
    assert status == 2
    assert skipped in err

    status, _, err = loanwatch(
        'oncall override nyc --user U0CAT --from "2027-03-13 22:00" --until "2027-03-14 02:15"'
    )
    assert status == 2
    assert skipped in err


def test_a_wall_time_the_zone_has_twice_is_the_first_and_it_says_so(loanwatch) -> None:
    """01:30 on 7 November happens twice in New York: the first (EDT), with a note."""
    status, out, err = loanwatch(
        'oncall override nyc --user U0CAT --from "2027-11-07 01:30" --until 1h'
    )

    assert status == 0, err
    assert "2027-11-07 01:30 happens twice in America/New_York" in err
    assert "taken as the first, 01:30 EDT" in err
    assert "2027-11-07 01:30 EDT" in out


def test_who_help_says_which_zone_a_time_is_read_in(loanwatch) -> None:
    """`oncall who --help` names the rule."""
    _, out, _ = loanwatch("oncall who --help")

    assert "rotation's zone" in " ".join(out.split())


def test_who_before_the_rotation_existed_says_there_was_none_then(loanwatch) -> None:
    """nyc was added today: asked about 2020, `who` says there was no rotation nyc then (and
    since when there is), not who would have been on call."""
    status, out, err = loanwatch('oncall who --rotation nyc --at "2020-01-01 10:00"')

    assert status == 0, err
    assert out.startswith("nyc: no rotation then (added ")
    assert "U0ANN" not in out
    assert "U0BEN" not in out


def test_a_handoff_typed_9_00_is_kept_as_09_00(loanwatch) -> None:
    """`--handoff 9:00` (and "mon 9:00") is stored, and listed, as 09:00."""
    assert (
        loanwatch('oncall rotation add early --members U0ANN --handoff "mon 9:00" --length 1w')[0]
        == 0
    )
    assert loanwatch("oncall rotation add late --members U0ANN --handoff 9:05 --length 1d")[0] == 0

    _, out, _ = loanwatch("oncall rotation list")

    assert "mon 09:00" in out
    assert " 09:05" in out
    assert "9:00" not in out.replace("09:00", "")
