"""A command's answer is printed for what it committed: a reader that goes away (`| head -1`)
does not undo the change the answer described."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import main
from bot.db import make_engine
from bot.models import Draw
from bot.sessions import session_factory

ROOT = Path(__file__).resolve().parents[2]


def _draws(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Draw)) or 0
    finally:
        engine.dispose()


def _loanwatch_into_a_closed_pipe(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with its stdout a pipe nobody reads any more: every write to it fails, as
    the lines after the first do under `| head -1`."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from bot.cli import main; sys.exit(main())",
                "--database-url",
                database_url,
                *args,
            ],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_draw_whose_answer_cannot_be_printed_is_still_logged(database_url) -> None:
    assert (
        main(
            [
                "--database-url",
                database_url,
                "facility",
                "add",
                "jb",
                "--platform",
                "jiebei",
                "--limit",
                "300k",
            ]
        )
        == 0
    )

    done = _loanwatch_into_a_closed_pipe(
        database_url, "draw", "add", "jb", "50000", "--months", "6"
    )

    assert _draws(database_url) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
