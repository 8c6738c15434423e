"""A scheduler process for the two-process test: claims slots and records each run it made."""

import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.db import make_engine
from bot.sessions import session_factory
from jobs.scheduler import run_once_per_slot


def main(url: str, worker: str, slots: int) -> None:
    """Walk the same `slots` slots the other process walks; record every run in slot_runs."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    interval = timedelta(minutes=15)

    for n in range(slots):
        slot_time = start + n * interval

        def work(now: datetime, n: int = n) -> None:
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO slot_runs (slot, worker) VALUES (:slot, :worker)"),
                    {"slot": n, "worker": worker},
                )

        run_once_per_slot(sessions, "checks", interval, worker, work, clock=lambda t=slot_time: t)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
